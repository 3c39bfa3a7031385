// SPDX-License-Identifier: Apache-2.0

internal import CElfutils
#if canImport(Glibc)
import Glibc
#endif

/// The frame-pointer heuristic behind ``ModuleInfo/framePointerShare``.
///
/// Code built with frame pointers starts almost every function with `push %rbp; mov %rsp,%rbp`
/// (`55 48 89 e5`), after `endbr64` (`f3 0f 1e fa`) when built with `-fcf-protection`. Code built
/// with `-fomit-frame-pointer` (GCC's default at -O1 and above on x86-64) almost never does.
/// The share of matching entries therefore tells whether the kernel's frame-pointer callchains
/// can be trusted for this module.
extension ElfModule {
    static let framePointerSampleLimit = 200

    /// The share of sampled function entries that start with the frame-pointer prologue; nil
    /// when the file is not x86-64 or no function entry could be read.
    ///
    /// Samples up to ``framePointerSampleLimit`` distinct `STT_FUNC` symbols with a size from the
    /// symbol table libdwfl uses (`.symtab`, else `.dynsym`), evenly spread over their addresses.
    /// GCC's split-off `.cold` parts are skipped: they are not entries. The bytes are read from the
    /// main file (a debug file's `.text` has no contents) with `elf_getdata_rawchunk`.
    func framePointerShare() -> Double? {
        var header = GElf_Ehdr()
        guard gelf_getehdr(mainElf, &header) != nil, header.e_machine == UInt16(EM_X86_64) else { return nil }
        let entries = functionEntries()
        guard !entries.isEmpty else { return nil }
        let samples = min(entries.count, Self.framePointerSampleLimit)
        var sampled = 0
        var matching = 0
        for sample in 0..<samples {
            guard let bytes = entryBytes(at: entries[sample * entries.count / samples], count: 8) else { continue }
            sampled += 1
            if Self.startsWithFramePointerPrologue(bytes) { matching += 1 }
        }
        return sampled == 0 ? nil : Double(matching) / Double(sampled)
    }

    static func startsWithFramePointerPrologue(_ bytes: [UInt8]) -> Bool {
        let prologue: [UInt8] = [0x55, 0x48, 0x89, 0xe5]
        let endbr64: [UInt8] = [0xf3, 0x0f, 0x1e, 0xfa]
        if bytes.starts(with: prologue) { return true }
        return bytes.starts(with: endbr64) && bytes.dropFirst(endbr64.count).starts(with: prologue)
    }

    /// Sorted, distinct SVMAs of defined function symbols with a size.
    private func functionEntries() -> [UInt64] {
        let count = dwfl_module_getsymtab(module)
        guard count > 0 else { return [] }
        var entries = Set<UInt64>()
        for index in 0..<count {
            var symbol = GElf_Sym()
            var address: GElf_Addr = 0
            var sectionIndex: GElf_Word = 0
            guard let name = dwfl_module_getsym_info(module, index, &symbol, &address, &sectionIndex, nil, nil),
                  Int32(symbol.st_info & 0xf) == STT_FUNC, symbol.st_size > 0,
                  sectionIndex != UInt32(SHN_UNDEF), strstr(name, ".cold") == nil else { continue }
            entries.insert(address)
        }
        return entries.sorted()
    }

    /// Up to `count` bytes of the main file at an SVMA, fewer at the end of a segment's file bytes.
    private func entryBytes(at address: UInt64, count: Int) -> [UInt8]? {
        guard let location = segments.fileLocation(fileAddress: address) else { return nil }
        let length = Int(min(UInt64(count), location.bytesToSegmentEnd))
        guard let data = elf_getdata_rawchunk(mainElf, Int64(location.offset), length, ELF_T_BYTE),
              let buffer = data.pointee.d_buf else { return nil }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}
