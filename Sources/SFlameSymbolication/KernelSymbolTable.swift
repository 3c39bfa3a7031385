// SPDX-License-Identifier: Apache-2.0
//
// Example input (the text of /proc/kallsyms; the module column is tab-separated):
//
//   ffffffff81000000 T _stext
//   ffffffff81000000 T startup_64
//   ffffffff81000100 t secondary_startup_64
//   ffffffff82209988 T _etext
//   ffffffff82400000 D __start_rodata
//   ffffffffc0201000 t ext4_lookup	[ext4]
//
// lookup(0xffffffff81000042) → startup_64 (preferred over the _stext marker at the same address)
// lookup(0xffffffff82209990) → nil (past _etext)
// lookup(0xffffffffc0201010) → ext4_lookup, module "ext4"

/// The kernel's text symbols from /proc/kallsyms, parsed once, sorted, and searched by address.
///
/// Shape: only text symbols (types `t`, `T`, `w`, `W`) are returned. Every other symbol except
/// absolute ones (`a`, `A`, whose values are not addresses) still bounds the range of the text
/// symbol before it, as do the text-section end markers `_etext`, `_einittext` and
/// `__*_text_end`. When several symbols share an address, a real function wins over section
/// markers (`_stext`, `__*_text_start`), and among those the name with fewer leading
/// underscores, then the global one, then the first listed. The last symbol of the table covers
/// at most ``lastSymbolSpan`` bytes, since nothing bounds it.
///
/// With `kernel.kptr_restrict` in force (or without CAP_SYSLOG), every address reads as zero; such
/// a table ``isRestricted`` and ``isEmpty``, and every lookup returns nil.
///
/// Source: kernel/kallsyms.c (`s_show`: "%px %c %s\t[%s]"), nm(1) for the type letters.
///
/// Complexity: parsing is O(n log n) in the number of lines (one pass over the bytes, then a sort
/// that is near-linear because kallsyms is mostly ordered); ``lookup(_:)`` is O(log n).
public struct KernelSymbolTable: Sendable {
    /// Bytes covered by the last symbol of the table, which no later symbol bounds.
    public static let lastSymbolSpan: UInt64 = 4096

    struct Entry: Sendable {
        var address: UInt64
        var nameStart: UInt32
        var nameLength: UInt32
        /// Index into `modules` + 1; 0 for the core kernel.
        var module: UInt32
        var rank: Rank
        /// Among entries of one address and rank, lower wins: leading underscores, then local.
        var tieBreak: UInt8
    }

    /// What an entry is, best first when several share an address.
    enum Rank: UInt8, Sendable, Comparable {
        /// A function or other text symbol.
        case function
        /// A text-section start marker: names the address when nothing better does.
        case startMarker
        /// Not text (data, rodata, bss) or a text-section end marker: ends the previous symbol.
        case boundary

        static func < (lhs: Rank, rhs: Rank) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Sorted by address; one entry per address.
    private let entries: [Entry]
    private let names: [UInt8]
    private let modules: [String]

    /// The number of text symbols in the table.
    public let count: Int
    /// True when kallsyms listed symbols but every address was zero (`kernel.kptr_restrict`, or
    /// the reader lacks CAP_SYSLOG): kernel frames cannot be symbolized.
    public let isRestricted: Bool
    /// True when the table has no usable text symbol (empty input or ``isRestricted``).
    public var isEmpty: Bool { count == 0 }

    /// Parses the text of /proc/kallsyms. Lines that do not have the `ADDRESS TYPE NAME` shape
    /// are skipped.
    public init(kallsyms: String) {
        var text = kallsyms
        let parsed = text.withUTF8 { KallsymsParser.parse($0) }
        names = parsed.names
        modules = parsed.modules
        isRestricted = parsed.sawLines && !parsed.sawNonZeroAddress
        entries = isRestricted ? [] : Self.sortedUnique(parsed.entries)
        count = entries.reduce(0) { $1.rank == .boundary ? $0 : $0 + 1 }
    }

    /// The text symbol whose range holds `address`: from the symbol's own address up to the next
    /// symbol's. Nil below the first symbol, inside data, past the end of text, and for a
    /// restricted table.
    public func lookup(_ address: UInt64) -> KernelSymbol? {
        // The last entry whose address is <= the address searched for.
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let entry = entries[low - 1]
        guard entry.rank != .boundary else { return nil }
        if low == entries.count, address - entry.address >= Self.lastSymbolSpan { return nil }
        let name = String(
            decoding: names[Int(entry.nameStart)..<Int(entry.nameStart + entry.nameLength)], as: UTF8.self)
        return KernelSymbol(
            name: name, module: entry.module == 0 ? nil : modules[Int(entry.module - 1)],
            address: entry.address)
    }

    /// Sorts by address and keeps the best-ranked entry per address.
    private static func sortedUnique(_ entries: [Entry]) -> [Entry] {
        // Stable sort: among equal keys the first listed stays first.
        let sorted = entries.enumerated().sorted { lhs, rhs in
            (lhs.element.address, lhs.element.rank, lhs.element.tieBreak, lhs.offset)
                < (rhs.element.address, rhs.element.rank, rhs.element.tieBreak, rhs.offset)
        }
        var unique: [Entry] = []
        unique.reserveCapacity(sorted.count)
        for (_, entry) in sorted where unique.last?.address != entry.address {
            unique.append(entry)
        }
        return unique
    }
}
