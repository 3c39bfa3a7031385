// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

#if canImport(Glibc)
    import Glibc
#endif

/// Name → address lookups in the symbol table, for placing probes.
extension ElfModule {
    /// The defined function symbol called `name` (`STT_FUNC` or `STT_GNU_IFUNC`, any section but
    /// `SHN_UNDEF`/`SHN_ABS`), global before weak before local; nil when there is none.
    ///
    /// Reads the table libdwfl reads (`.symtab` of the file or of its separate debug file, else
    /// `.dynsym`). Symbol versions are not part of the name (`malloc`, not `malloc@@GLIBC_2.2.5`).
    ///
    /// Complexity: O(symbols); callers look up a handful of names.
    func functionSymbol(named name: String) -> SymbolFileRange? {
        let count = dwfl_module_getsymtab(module)
        guard count > 1 else { return nil }
        var best: (rank: UInt8, range: SymbolFileRange)?
        for index in 1..<count {
            var symbol = GElf_Sym()
            var address: GElf_Addr = 0
            var sectionIndex: GElf_Word = 0
            guard let cName = dwfl_module_getsym_info(module, index, &symbol, &address, &sectionIndex, nil, nil),
                sectionIndex != UInt32(SHN_UNDEF), sectionIndex != UInt32(SHN_ABS)
            else { continue }
            let type = Int32(symbol.st_info & 0xf)
            guard type == STT_FUNC || type == STT_GNU_IFUNC, strcmp(cName, name) == 0 else { continue }
            let rank: UInt8
            switch Int32(symbol.st_info >> 4) {
            case STB_WEAK: rank = 1
            case STB_LOCAL: rank = 2
            default: rank = 0
            }
            guard best == nil || rank < best!.rank,
                let location = segments.fileLocation(fileAddress: address)
            else { continue }
            best = (
                rank,
                SymbolFileRange(
                    name: name, fileAddress: address, fileOffset: location.offset, size: symbol.st_size,
                    isIndirect: type == STT_GNU_IFUNC)
            )
        }
        return best?.range
    }
}

extension ElfModule {
    /// Whether the file names a program interpreter (`PT_INTERP`): a dynamically linked
    /// executable, whose libraries the dynamic linker loads. Statically linked executables
    /// (static-pie included) and shared libraries have none.
    var hasProgramInterpreter: Bool {
        var count = 0
        guard elf_getphdrnum(mainElf, &count) == 0 else { return false }
        for index in 0..<count {
            var header = GElf_Phdr()
            if gelf_getphdr(mainElf, Int32(index), &header) != nil, header.p_type == UInt32(PT_INTERP) { return true }
        }
        return false
    }
}
