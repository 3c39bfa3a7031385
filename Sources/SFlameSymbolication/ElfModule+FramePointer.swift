// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

/// The frame-pointer heuristic behind ``ModuleInfo/framePointerShare``.
///
/// Code built with frame pointers starts almost every function with `push %rbp; mov %rsp,%rbp`
/// (`55 48 89 e5`), after `endbr64` (`f3 0f 1e fa`) when built with `-fcf-protection`. GCC at -O2
/// may schedule a few independent instructions between the two (`55 89 f8 c1 e0 05 01 f8 48 89
/// e5`), so the `mov` is looked for in the 16 bytes after the `push`. Code built with
/// `-fomit-frame-pointer` (GCC's default at -O1 and above on x86-64) almost never has the pair:
/// when it pushes %rbp at all, it does so to use it as a general register. The share of matching
/// entries therefore tells whether the kernel's frame-pointer callchains can be trusted for this
/// module.
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
            guard let bytes = entryBytes(at: entries[sample * entries.count / samples], count: 24) else { continue }
            sampled += 1
            if Self.startsWithFramePointerPrologue(bytes) { matching += 1 }
        }
        return sampled == 0 ? nil : Double(matching) / Double(sampled)
    }

    /// True for `[endbr64] push %rbp; …; mov %rsp,%rbp` with the `mov` (`48 89 e5`, or the other
    /// encoding `48 8b ec`) within the 16 bytes after the `push` (`55`).
    static func startsWithFramePointerPrologue(_ bytes: [UInt8]) -> Bool {
        let endbr64: [UInt8] = [0xf3, 0x0f, 0x1e, 0xfa]
        var body = bytes[...]
        if body.starts(with: endbr64) { body = body.dropFirst(endbr64.count) }
        guard body.first == 0x55 else { return false }
        let window = Array(body.dropFirst().prefix(16))
        guard window.count >= 3 else { return false }
        for start in 0...(window.count - 3) where window[start] == 0x48 {
            if (window[start + 1] == 0x89 && window[start + 2] == 0xe5)
                || (window[start + 1] == 0x8b && window[start + 2] == 0xec)
            {
                return true
            }
        }
        return false
    }

    /// Sorted, distinct SVMAs of function symbols with a size, without GCC's `.cold` parts.
    private func functionEntries() -> [UInt64] {
        symbolIndex.symbols.compactMap { symbol in
            guard symbol.isFunction, symbol.size > 0,
                let name = symbolName(tableIndex: symbol.tableIndex), !name.contains(".cold")
            else { return nil }
            return symbol.address
        }
    }

    /// Up to `count` bytes of the main file at an SVMA, fewer at the end of a segment's file bytes.
    private func entryBytes(at address: UInt64, count: Int) -> [UInt8]? {
        guard let location = segments.fileLocation(fileAddress: address) else { return nil }
        let length = Int(min(UInt64(count), location.bytesToSegmentEnd))
        guard let data = elf_getdata_rawchunk(mainElf, Int64(location.offset), length, ELF_T_BYTE),
            let buffer = data.pointee.d_buf
        else { return nil }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }
}
