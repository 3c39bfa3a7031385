// SPDX-License-Identifier: Apache-2.0

/// Where a function symbol of a module file lies: its SVMA, its byte offset in the file (what a
/// uprobe is placed at), and its size.
///
/// Source: elf(5), `Elf64_Sym`; the SVMA becomes a file offset through the `PT_LOAD` segment
/// that holds it (`offset = address - p_vaddr + p_offset`).
public struct SymbolFileRange: Hashable, Sendable {
    /// The symbol's name, without a version suffix.
    public var name: String
    /// `st_value`: the address as the ELF file states it (SVMA).
    public var fileAddress: UInt64
    /// The byte offset of the first instruction in the file.
    public var fileOffset: UInt64
    /// `st_size` in bytes; 0 when the symbol has no size.
    public var size: UInt64
    /// `STT_GNU_IFUNC`: the address is a resolver that returns the real implementation, so a
    /// probe there does not see calls.
    public var isIndirect: Bool

    public init(name: String, fileAddress: UInt64, fileOffset: UInt64, size: UInt64, isIndirect: Bool = false) {
        self.name = name
        self.fileAddress = fileAddress
        self.fileOffset = fileOffset
        self.size = size
        self.isIndirect = isIndirect
    }

    /// Whether a file offset lies inside the function (`size` bytes from `fileOffset`).
    public func contains(fileOffset offset: UInt64) -> Bool {
        offset >= fileOffset && offset - fileOffset < max(size, 1)
    }
}

extension Symbolizer {
    /// The file range of the function symbol `name` in a module file, for placing a uprobe
    /// (`perf_event_attr.config2` is this file offset).
    ///
    /// Shape: symbol tables are searched as libdwfl reads them: the file's `.symtab`, or that of
    /// its separate debug file (found by build-id or debuglink), else `.dynsym`; global symbols
    /// win over weak ones, weak over local.
    /// - Returns: nil when the module has no defined function with that name (undefined imports
    ///   do not count) or the symbol is outside the file's loadable bytes.
    /// - Throws: ``SymbolizationError`` when the file cannot be opened as ELF.
    public func symbolFileOffset(name: String, modulePath: String) throws(SymbolizationError) -> SymbolFileRange? {
        try slot(for: modulePath).withModule(callbacks: callbacks, didOpen: countOpen) { module, _, _ in
            module.functionSymbol(named: name)
        }
    }
}

extension Symbolizer {
    /// Whether an executable file is dynamically linked: it names a program interpreter
    /// (`PT_INTERP`, the dynamic linker), which loads its shared libraries. False for statically
    /// linked executables and for shared libraries.
    ///
    /// Source: System V ABI, "Program Interpreter".
    /// - Throws: ``SymbolizationError`` when the file cannot be opened as ELF.
    public func hasProgramInterpreter(modulePath: String) throws(SymbolizationError) -> Bool {
        try slot(for: modulePath).withModule(callbacks: callbacks, didOpen: countOpen) { module, _, _ in
            module.hasProgramInterpreter
        }
    }
}
