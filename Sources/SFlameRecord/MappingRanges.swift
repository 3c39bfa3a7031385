// SPDX-License-Identifier: Apache-2.0
//
// Makes the pprof mappings of a recording describe real address ranges, so tools that map an
// address back to its file (`go tool pprof`, Parca, Pyroscope) find the right place:
//
//   /proc/PID/maps:  5581a000-5581b000 r-xp 00001000 …  /usr/bin/two-hot
//   bias = 0x5581a000 − 0x1000 = 0x55819000 (runtime address − file offset)
//   frame at file offset 0x1384  ──►  location address 0x55819000 + 0x1384 = 0x5581a384
//   mapping: start 0x5581a000, limit 0x5581b000, file_offset 0x1000
//            (address − start + file_offset = the file offset again)
//
// A module loaded at different addresses in several processes (ASLR) is one mapping with the
// bias of the first process (lowest pid) that mapped it; addresses of the others are
// translated into it through their file offsets, so every address still maps to its file
// offset. Kernel and anonymous mappings keep their runtime addresses and span those seen.

import SFlameProfile

/// Start, limit and file offset of each mapping of an assembled profile.
struct MappingRanges {
    private var spans: [MappingID: (low: UInt64, high: UInt64, bias: UInt64)] = [:]

    /// Notes that `address` (with `bias` = address − file offset) is in `mapping`.
    mutating func add(_ address: UInt64, to mapping: MappingID, bias: UInt64) {
        if let s = spans[mapping] {
            spans[mapping] = (min(s.low, address), max(s.high, address), s.bias)
        } else {
            spans[mapping] = (address, address, bias)
        }
    }

    /// Per module: the executable range of the lowest pid that maps it.
    static func moduleRanges(_ state: RecordingState) -> [Int32: AddressSpace.Range] {
        var out: [Int32: AddressSpace.Range] = [:]
        for pid in state.addressSpaces.keys.sorted() {
            for range in state.addressSpaces[pid]!.ranges {
                guard let module = range.module, out[module] == nil else { continue }
                out[module] = range
            }
        }
        return out
    }

    /// Per module: runtime address − file offset in the lowest pid that maps it.
    static func moduleBiases(_ state: RecordingState) -> [Int32: UInt64] {
        moduleRanges(state).mapValues { $0.start &- $0.fileOffset }
    }

    /// The module mapped lowest in the lowest pid: the executable (PIE images load below the
    /// shared libraries, non-PIE ones at 0x400000), which pprof expects as the first mapping.
    /// perf.data's kernel image (pid -1) is not a process.
    static func mainModule(_ state: RecordingState) -> Int32? {
        guard let pid = state.addressSpaces.keys.filter({ $0 > 0 }).min() else { return nil }
        return state.addressSpaces[pid]!.ranges.filter { $0.module != nil }.min { $0.start < $1.start }?.module
    }

    /// Moves mapping `id` to the front (pprof and `go tool pprof` take the first mapping for the
    /// main binary), renumbering the mappings 1…N and the locations' references to them.
    static func moveToFront(_ id: MappingID, in profile: inout Profile) {
        guard let index = profile.mappings.firstIndex(where: { $0.id == id }), index > 0 else { return }
        var mappings = profile.mappings
        mappings.insert(mappings.remove(at: index), at: 0)
        var newID: [MappingID: MappingID] = [:]
        for i in mappings.indices {
            let renumbered = MappingID(UInt64(i + 1))
            newID[mappings[i].id] = renumbered
            mappings[i].id = renumbered
        }
        profile.mappings = mappings
        for i in profile.locations.indices {
            if let old = profile.locations[i].mappingID { profile.locations[i].mappingID = newID[old] }
        }
    }

    /// Sets start, limit and file offset of every mapping that has addresses: the module's
    /// mapped range widened to hold every location, file offset = start − bias.
    func apply(to profile: inout Profile, moduleRanges: [Int32: AddressSpace.Range], mappingIDs: [Int32: MappingID]) {
        var rangeByMapping: [MappingID: AddressSpace.Range] = [:]
        for (module, id) in mappingIDs { if let r = moduleRanges[module] { rangeByMapping[id] = r } }
        for (id, span) in spans {
            let i = Int(id.rawValue) - 1
            var start = span.low
            var limit = span.high &+ 1
            if let r = rangeByMapping[id], r.start &- r.fileOffset == span.bias {
                start = min(start, r.start)
                limit = max(limit, r.end)
            }
            profile.mappings[i].start = start
            profile.mappings[i].limit = limit
            // Kernel and anonymous memory: bias 0, the "offset" is the address itself (perf's
            // convention for [kernel.kallsyms]).
            profile.mappings[i].fileOffset = start &- span.bias
        }
    }
}
