// SPDX-License-Identifier: Apache-2.0

internal import CElfutils
import SFlameProfile

/// What ``ModuleInfo`` reports, read through libdwfl so that separate debug files count.
extension ElfModule {
    /// Loads the symbol table, DWARF and CFI (which makes libdwfl search for a separate debug
    /// file) and summarizes what was found.
    func info() -> ModuleInfo {
        ModuleInfo(
            path: path,
            buildID: buildID(),
            hasSymbolTable: hasSymbolTable(),
            hasDebugInfo: hasDebugInfo(),
            hasCFI: hasCFI(),
            framePointerShare: framePointerShare(),
            debugFilePath: debugFilePath()
        )
    }

    /// The main file's `NT_GNU_BUILD_ID` (`dwfl_module_build_id`).
    func buildID() -> BuildID? {
        var bits: UnsafePointer<UInt8>?
        var address: GElf_Addr = 0
        let length = dwfl_module_build_id(module, &bits, &address)
        guard length > 0, let bits else { return nil }
        return BuildID(bytes: Array(UnsafeBufferPointer(start: bits, count: Int(length))))
    }

    /// True when the table libdwfl reads symbols from is a `.symtab` (of the main file or of
    /// the debug file), or the main file has one.
    private func hasSymbolTable() -> Bool {
        if Self.hasSection(ofType: UInt32(SHT_SYMTAB), in: mainElf) { return true }
        guard dwfl_module_getsymtab(module) > 1 else { return false }
        var symbol = GElf_Sym()
        var address: GElf_Addr = 0
        var elf: OpaquePointer?
        guard dwfl_module_getsym_info(module, 1, &symbol, &address, nil, &elf, nil) != nil, let elf else {
            return false
        }
        return Self.hasSection(ofType: UInt32(SHT_SYMTAB), in: elf)
    }

    /// True when libdw finds at least one unit in `.debug_info` (of the file or a debug file).
    private func hasDebugInfo() -> Bool {
        var bias: Dwarf_Addr = 0
        guard let dwarf = dwfl_module_getdwarf(module, &bias) else { return false }
        var next: Dwarf_Off = 0
        var headerSize = 0
        return dwarf_nextcu(dwarf, 0, &next, &headerSize, nil, nil, nil) == 0
    }

    /// `.eh_frame` in the main file, or `.debug_frame` in the file or its debug file.
    private func hasCFI() -> Bool {
        var bias: Dwarf_Addr = 0
        return dwfl_module_eh_cfi(module, &bias) != nil || dwfl_module_dwarf_cfi(module, &bias) != nil
    }

    /// The debug file libdwfl settled on, when it is not the main file itself. Meaningful after
    /// the symbol table or DWARF has been requested.
    private func debugFilePath() -> String? {
        var mainFile: UnsafePointer<CChar>?
        var debugFile: UnsafePointer<CChar>?
        _ = dwfl_module_info(module, nil, nil, nil, nil, nil, &mainFile, &debugFile)
        guard let debugFile else { return nil }
        let debug = String(cString: debugFile)
        if let mainFile, String(cString: mainFile) == debug { return nil }
        return debug
    }

    static func hasSection(ofType type: UInt32, in elf: OpaquePointer) -> Bool {
        var section = elf_nextscn(elf, nil)
        while let current = section {
            var header = GElf_Shdr()
            if gelf_getshdr(current, &header) != nil, header.sh_type == type { return true }
            section = elf_nextscn(elf, current)
        }
        return false
    }
}
