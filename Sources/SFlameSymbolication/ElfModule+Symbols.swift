// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

/// The symbol table as libdwfl reads it, indexed once per module (see ``SymbolIndex``).
extension ElfModule {
    /// Reads every code symbol with `dwfl_module_getsym_info`: defined `STT_FUNC` and
    /// `STT_GNU_IFUNC` symbols, and `STT_NOTYPE` labels inside executable segments.
    static func buildSymbolIndex(module: OpaquePointer, segments: LoadSegments) -> SymbolIndex {
        let count = dwfl_module_getsymtab(module)
        guard count > 1 else { return SymbolIndex([], segments: segments) }
        var symbols: [SymbolIndex.Symbol] = []
        symbols.reserveCapacity(Int(count))
        for index in 1..<count {
            var symbol = GElf_Sym()
            var address: GElf_Addr = 0
            var sectionIndex: GElf_Word = 0
            guard let name = dwfl_module_getsym_info(module, index, &symbol, &address, &sectionIndex, nil, nil),
                name.pointee != 0,
                sectionIndex != UInt32(SHN_UNDEF), sectionIndex != UInt32(SHN_ABS),
                sectionIndex != GElf_Word.max  // a non-allocated section
            else { continue }
            let type = Int32(symbol.st_info & 0xf)
            let isFunction = type == STT_FUNC || type == STT_GNU_IFUNC
            guard isFunction || (type == STT_NOTYPE && segments.segment(containing: address)?.isExecutable == true)
            else {
                continue
            }
            let bindingRank: UInt8
            switch Int32(symbol.st_info >> 4) {
            case STB_WEAK: bindingRank = 1
            case STB_LOCAL: bindingRank = 2
            default: bindingRank = 0
            }
            symbols.append(
                SymbolIndex.Symbol(
                    address: address, size: symbol.st_size, bindingRank: bindingRank,
                    isFunction: isFunction, tableIndex: index))
        }
        return SymbolIndex(symbols, segments: segments)
    }

    /// The name libdwfl stores for a symbol-table index.
    func symbolName(tableIndex: Int32) -> String? {
        var symbol = GElf_Sym()
        var address: GElf_Addr = 0
        guard let name = dwfl_module_getsym_info(module, tableIndex, &symbol, &address, nil, nil, nil) else {
            return nil
        }
        return String(cString: name)
    }

    /// The name of the symbol whose range holds `address` (an SVMA).
    func symbolName(at address: UInt64) -> String? {
        symbolIndex.lookup(address).flatMap { symbolName(tableIndex: $0.tableIndex) }
    }
}
