// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// The mappings of one process, from /proc/PID/maps at attach time and PERF_RECORD_MMAP2
/// records afterwards, for runtime address → (module, file offset) lookups.
///
/// Shape: non-overlapping ranges sorted by start; a new mapping replaces whatever it overlaps
/// (as mmap(2) over an existing range does).
struct AddressSpace {
    struct Range {
        var start: UInt64
        var end: UInt64
        var fileOffset: UInt64
        /// Index into the recorder's module table, or nil for memory without a file.
        var module: Int32?
        /// The pseudo name of an anonymous mapping (`[vdso]`, `[heap]`, `//anon`, ""), for frames
        /// without a module.
        var name: String
        var isExecutable: Bool
    }

    private(set) var ranges: [Range] = []

    /// Inserts a mapping, trimming or removing the ranges it overlaps.
    mutating func insert(_ range: Range) {
        guard range.end > range.start else { return }
        var kept: [Range] = []
        var insertAt: Int?
        for r in ranges {
            if r.end <= range.start || r.start >= range.end {
                if insertAt == nil && r.start >= range.end { insertAt = kept.count }
                kept.append(r)
                continue
            }
            if r.start < range.start {
                var left = r
                left.end = range.start
                kept.append(left)
            }
            if r.end > range.end {
                if insertAt == nil { insertAt = kept.count }
                var right = r
                right.fileOffset += range.end - r.start
                right.start = range.end
                kept.append(right)
            }
        }
        kept.insert(range, at: insertAt ?? kept.count)
        ranges = kept
    }

    /// The range containing `address`. O(log n).
    func lookup(_ address: UInt64) -> Range? {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].end <= address {
                low = mid + 1
            } else {
                high = mid
            }
        }
        guard low < ranges.count, ranges[low].start <= address else { return nil }
        return ranges[low]
    }
}
