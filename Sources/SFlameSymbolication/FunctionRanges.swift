// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

/// The function definitions of one DWARF compile unit, sorted by their PC ranges, so the
/// subprogram holding an address is a binary search instead of a walk over the unit.
///
/// `dwarf_getscopes` walks the unit's DIE tree from its root on every call (measured: ~65 µs per
/// address in glibc's units); this index is filled once per unit by `dwarf_getfuncs` (libdw's
/// enumerator of `DW_TAG_subprogram` DIEs, through namespaces and classes) and `dwarf_ranges`
/// (which also splits hot/cold functions into their ranges).
///
/// Shape: ranges sorted by start, one per start address, in the DWARF address space of the unit
/// (SVMA minus the module's DWARF bias).
struct FunctionRanges {
    private struct Entry {
        var low: Dwarf_Addr
        var high: Dwarf_Addr
        var die: Dwarf_Die
    }

    private var entries: [Entry] = []

    /// Enumerates the unit's functions with `dwarf_getfuncs`.
    init(compileUnit: Dwarf_Die) {
        final class Collector {
            var entries: [Entry] = []
        }
        // libdw calls this for every DW_TAG_subprogram; declarations have no ranges and add nothing.
        let collect: @convention(c) (UnsafeMutablePointer<Dwarf_Die>?, UnsafeMutableRawPointer?) -> Int32 = {
            die, context in
            guard let die, let context else { return Int32(DWARF_CB_OK) }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            var base: Dwarf_Addr = 0
            var low: Dwarf_Addr = 0
            var high: Dwarf_Addr = 0
            var offset = dwarf_ranges(die, 0, &base, &low, &high)
            while offset > 0 {
                if high > low { collector.entries.append(Entry(low: low, high: high, die: die.pointee)) }
                offset = dwarf_ranges(die, offset, &base, &low, &high)
            }
            return Int32(DWARF_CB_OK)
        }
        let collector = Collector()
        var unit = compileUnit
        withExtendedLifetime(collector) {
            _ = dwarf_getfuncs(&unit, collect, Unmanaged.passUnretained(collector).toOpaque(), 0)
        }
        // Assembler-generated DWARF describes aliases as several subprograms with one range
        // (`__setpgid`, `__GI___setpgid`, `setpgid`); keep the first, as dwarf_getscopes would.
        let sorted = collector.entries.enumerated().sorted { ($0.element.low, $0.offset) < ($1.element.low, $1.offset) }
        for (_, entry) in sorted where entries.last?.low != entry.low {
            entries.append(entry)
        }
    }

    /// The subprogram DIE whose ranges hold `pc`, or nil.
    func function(containing pc: Dwarf_Addr) -> Dwarf_Die? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].low <= pc { low = middle + 1 } else { high = middle }
        }
        guard low > 0, pc < entries[low - 1].high else { return nil }
        return entries[low - 1].die
    }
}
