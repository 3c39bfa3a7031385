// SPDX-License-Identifier: Apache-2.0
//
// Orders of names and stacks, shared by the encoding of one side (`DiffInput`) and the merge
// of both (`StackTable`):
//
//   names     ["poll", "main", "lex"]            bytewise order  [2, 1, 0]  (lex main poll)
//   stacks    [1, 0] [1, 2] [1] (rank sequences)  sorted          [2, 0, 1]  ([1] [1 0] [1 2])
//
// Names are ordered by their UTF-8 bytes, as flamegraph.pl sorts its input; a stack is ordered
// by its rank sequence, a prefix first. Because ranks follow the bytewise order, any two
// numberings of the same names (one side's, or the merged one) order stacks the same way.

/// Bytewise name order and lexicographic stack order.
enum StackOrder {
    /// The indices of `names` in bytewise order of their UTF-8.
    ///
    /// Each name's first sixteen bytes, big-endian and zero-padded, form two 64-bit keys that
    /// decide most comparisons; equal keys fall back to comparing all the bytes.
    static func bytewise(_ names: [String]) -> [Int] {
        var high = [UInt64](repeating: 0, count: names.count)
        var low = [UInt64](repeating: 0, count: names.count)
        for (i, name) in names.enumerated() {
            var key: (UInt64, UInt64) = (0, 0)
            var k = 0
            for b in name.utf8.prefix(16) {
                if k < 8 {
                    key.0 |= UInt64(b) << (56 - 8 * UInt64(k))
                } else {
                    key.1 |= UInt64(b) << (120 - 8 * UInt64(k))
                }
                k += 1
            }
            (high[i], low[i]) = key
        }
        return names.indices.sorted { a, b in
            if high[a] != high[b] { return high[a] < high[b] }
            if low[a] != low[b] { return low[a] < low[b] }
            return names[a].utf8.lexicographicallyPrecedes(names[b].utf8)
        }
    }

    /// Stack indices in lexicographic order of their rank sequences (a prefix first).
    ///
    /// Stack i is `ids[offsets[i]..<offsets[i + 1]]`; ranks are below `nameCount`.
    ///
    /// A most-significant-digit sort, two ranks at a time: the ranks at depths k and k + 1
    /// (+ 1, 0 past the end, so a shorter stack sorts first) and the entry's position in its
    /// run are packed into one 64-bit integer, 21 + 21 + 22 bits; the integers are sorted, and
    /// runs that tie and go on deeper are sorted the same way from depth k + 2. Nearly all the
    /// work is integer sorting, even though every stack starts with the same root frames.
    /// Inputs too large to pack are sorted by comparing sequences.
    static func sorted(ids: [Int32], offsets: [Int], nameCount: Int) -> [Int] {
        let count = offsets.count - 1
        var order = Array(0..<count)
        ids.withUnsafeBufferPointer { ids in
            offsets.withUnsafeBufferPointer { offsets in
                if count < 1 << 22 && nameCount < (1 << 21) - 1 {
                    order.withUnsafeMutableBufferPointer { order in
                        var sorter = RankSorter(ids: ids, offsets: offsets, order: order)
                        sorter.sort(0, count, depth: 0)
                    }
                } else {
                    order.sort { a, b in
                        precedes(ids[offsets[a]..<offsets[a + 1]], ids[offsets[b]..<offsets[b + 1]])
                    }
                }
            }
        }
        return order
    }

    /// Lexicographic order of id sequences; a prefix comes first.
    static func precedes(_ a: Slice<UnsafeBufferPointer<Int32>>, _ b: Slice<UnsafeBufferPointer<Int32>>) -> Bool {
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex && j < b.endIndex {
            if a[i] != b[j] { return a[i] < b[j] }
            i += 1
            j += 1
        }
        return a.count < b.count
    }
}

/// The most-significant-digit sort of `StackOrder.sorted`, over borrowed buffers.
private struct RankSorter {
    let ids: UnsafeBufferPointer<Int32>
    let offsets: UnsafeBufferPointer<Int>
    let order: UnsafeMutableBufferPointer<Int>
    /// Per recursion level: packed keys and the run's entries, reused from run to run.
    var keys: [[UInt64]] = []
    var entries: [[Int]] = []

    /// Runs this short are sorted by insertion, comparing sequences.
    static let shortRun = 16

    init(ids: UnsafeBufferPointer<Int32>, offsets: UnsafeBufferPointer<Int>, order: UnsafeMutableBufferPointer<Int>) {
        self.ids = ids
        self.offsets = offsets
        self.order = order
    }

    /// The rank at depth `k` of `entry`, + 1; 0 past the stack's end.
    func rank(_ entry: Int, _ k: Int) -> UInt64 {
        let position = offsets[entry] + k
        return position < offsets[entry + 1] ? UInt64(ids[position]) + 1 : 0
    }

    /// Sorts `order[lo..<hi]`, whose stacks agree on their first `depth` ranks.
    mutating func sort(_ lo: Int, _ hi: Int, depth: Int) {
        let n = hi - lo
        if n <= RankSorter.shortRun {
            insertionSort(lo, hi, depth: depth)
            return
        }
        let level = depth / 2
        while keys.count <= level {
            keys.append([])
            entries.append([])
        }
        var packed = keys[level]
        var saved = entries[level]
        keys[level] = []
        entries[level] = []
        packed.removeAll(keepingCapacity: true)
        saved.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let entry = order[lo + i]
            saved.append(entry)
            packed.append(rank(entry, depth) << 43 | rank(entry, depth + 1) << 22 | UInt64(i))
        }
        packed.sort()
        for i in 0..<n { order[lo + i] = saved[Int(packed[i] & 0x3F_FFFF)] }
        // Runs that tie on both ranks and have not ended: sort them by the next two.
        var start = 0
        while start < n {
            let key = packed[start] >> 22
            var end = start + 1
            while end < n && packed[end] >> 22 == key { end += 1 }
            if end - start > 1 && key & 0x1F_FFFF != 0 { sort(lo + start, lo + end, depth: depth + 2) }
            start = end
        }
        keys[level] = packed
        entries[level] = saved
    }

    private func insertionSort(_ lo: Int, _ hi: Int, depth: Int) {
        guard hi - lo > 1 else { return }
        for i in (lo + 1)..<hi {
            let entry = order[i]
            var j = i
            while j > lo && precedes(entry, order[j - 1], from: depth) {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = entry
        }
    }

    /// Whether stack `a` sorts before stack `b`, comparing from depth `k`.
    private func precedes(_ a: Int, _ b: Int, from k: Int) -> Bool {
        let (ea, eb) = (offsets[a + 1], offsets[b + 1])
        return StackOrder.precedes(ids[min(offsets[a] + k, ea)..<ea], ids[min(offsets[b] + k, eb)..<eb])
    }
}
