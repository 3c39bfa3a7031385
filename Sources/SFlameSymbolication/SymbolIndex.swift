// SPDX-License-Identifier: Apache-2.0

/// Code symbols of one module sorted by address, for O(log n) lookups.
///
/// libdwfl's `dwfl_module_addrinfo` scans the whole symbol table for every lookup (measured:
/// ~120 µs per address on a 10k-symbol table), so ``ElfModule`` reads the table once through
/// `dwfl_module_getsym_info` (the same table `dwfl_module_addrinfo` would scan: `.symtab` of the
/// file or of its debug file, else `.dynsym`) and searches this index instead. The choice among
/// candidates follows libdwfl: the closest symbol at or below the address whose range holds it,
/// sized symbols before sizeless ones, global before weak before local.
///
/// Shape: one entry per address (the best-ranked symbol there), sorted by address. A sized symbol
/// covers `[address, address + size)`; a sizeless one (`_init`, assembler labels) covers up to the
/// next symbol, at most to the end of its `PT_LOAD` segment or of the sized symbol around it, and
/// only when no sized symbol holds the address. Nested sized symbols are handled: an address past
/// the inner one's end but inside the outer one finds the outer one.
struct SymbolIndex {
    struct Symbol: Hashable {
        /// SVMA of the first byte.
        var address: UInt64
        /// `st_size`; 0 for sizeless symbols.
        var size: UInt64
        /// `STB_GLOBAL` / `STB_GNU_UNIQUE` 0, `STB_WEAK` 1, `STB_LOCAL` 2: lower wins.
        var bindingRank: UInt8
        /// `STT_FUNC` or `STT_GNU_IFUNC` (rather than a `STT_NOTYPE` label).
        var isFunction: Bool
        /// The index to pass to `dwfl_module_getsym_info`.
        var tableIndex: Int32
    }

    /// Sorted by address, unique addresses.
    private(set) var symbols: [Symbol]
    /// The exclusive end address of each symbol's range.
    private var ends: [UInt64]
    /// For each symbol, the nearest earlier symbol whose range holds its address, or -1.
    private var enclosing: [Int]

    init(_ unsorted: [Symbol], segments: LoadSegments) {
        let sorted = unsorted.sorted {
            ($0.address, $0.size == 0 ? 1 : 0, $0.bindingRank, $0.tableIndex)
                < ($1.address, $1.size == 0 ? 1 : 0, $1.bindingRank, $1.tableIndex)
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(sorted.count)
        for symbol in sorted where symbols.last?.address != symbol.address {
            symbols.append(symbol)
        }
        // Sized symbols end where their size says; a sizeless one at the next symbol, the end of its
        // segment or the end of the sized symbol around it, whichever comes first.
        var ends = symbols.map { $0.size > 0 ? $0.address &+ $0.size : $0.address }
        var enclosing: [Int] = []
        enclosing.reserveCapacity(symbols.count)
        var open: [Int] = []
        for (position, symbol) in symbols.enumerated() {
            while let last = open.last, ends[last] <= symbol.address { open.removeLast() }
            enclosing.append(open.last ?? -1)
            if symbol.size == 0 {
                var end = position + 1 < symbols.count ? symbols[position + 1].address : UInt64.max
                end = min(
                    end,
                    segments.fileLocation(fileAddress: symbol.address)
                        .map { symbol.address + $0.bytesToSegmentEnd } ?? symbol.address + 1)
                if let holder = open.last(where: { symbols[$0].size > 0 }) { end = min(end, ends[holder]) }
                ends[position] = end
            }
            open.append(position)
        }
        self.symbols = symbols
        self.ends = ends
        self.enclosing = enclosing
    }

    /// The symbol whose range holds `address`, or nil.
    ///
    /// Complexity: O(log n) plus the nesting depth at the address.
    func lookup(_ address: UInt64) -> Symbol? {
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        var candidate = low - 1
        var sizeless: Int?
        while candidate >= 0 {
            if address < ends[candidate] {
                if symbols[candidate].size > 0 { return symbols[candidate] }
                if sizeless == nil { sizeless = candidate }
            }
            candidate = enclosing[candidate]
        }
        return sizeless.map { symbols[$0] }
    }
}
