// SPDX-License-Identifier: Apache-2.0
//
// Puts the stacks of both sides into one order, over one table of names:
//
//   BEFORE names [m, parse, poll]      merged names, bytewise: [lex, m, parse, poll]
//   AFTER  names [m, parse, lex]       stacks as rank sequences, both sides, sorted:
//   BEFORE m;parse 20   m;poll 50      [1, 0] A 5     [1, 2] B 20     [1, 2] A 40     [1, 3] B 50
//   AFTER  m;parse 40   m;lex 5
//
// Name ids become ranks of the bytewise-sorted names, so comparing ids compares names, and
// sorting the id sequences puts equal stacks next to each other and stacks with a common prefix
// together: the call tree is then one pass (`DiffTree`).

/// The stacks of both sides as rank sequences, with their sorted order.
///
/// Shape: entry i is stack `ids[offsets[i]..<offsets[i + 1]]` (root first, or leaf first when
/// reversed) with `baseline[i]` or `comparison[i]` set (the other is 0); `order` lists entries
/// sorted lexicographically, a prefix first.
struct StackTable: Sendable {
    /// Distinct names of both sides, sorted bytewise.
    var names: [String]
    var ids: [Int32]
    var offsets: [Int]
    var baseline: [Int64]
    var comparison: [Int64]
    var order: [Int]

    var count: Int { baseline.count }

    /// Merges the two sides.
    ///
    /// - Complexity: O(F + N log N + S log S · d) for F frames, N distinct names, S stacks.
    init(baseline: DiffInput, comparison: DiffInput) {
        // AFTER's names in BEFORE's numbering, new ones appended.
        var table = NameTable(capacity: baseline.names.count + comparison.names.count)
        for name in baseline.names { _ = table.id(name) }
        let remap = comparison.names.map { table.id($0) }
        let all = table.names
        let sorted = StackTable.bytewiseOrder(all)
        var rank = [Int32](repeating: 0, count: all.count)
        for (r, old) in sorted.enumerated() { rank[old] = Int32(r) }
        names = sorted.map { all[$0] }

        ids = []
        ids.reserveCapacity(baseline.ids.count + comparison.ids.count)
        for id in baseline.ids { ids.append(rank[Int(id)]) }
        for id in comparison.ids { ids.append(rank[Int(remap[Int(id)])]) }
        offsets = baseline.offsets
        offsets.reserveCapacity(baseline.stackCount + comparison.stackCount + 1)
        let shift = baseline.ids.count
        for offset in comparison.offsets.dropFirst() { offsets.append(offset + shift) }
        self.baseline = baseline.weights + Array(repeating: 0, count: comparison.stackCount)
        self.comparison = Array(repeating: 0, count: baseline.stackCount) + comparison.weights
        order = []
        order = sortedOrder()
    }

    /// The indices of `names` in bytewise order of their UTF-8.
    ///
    /// Each name's first eight bytes, big-endian, form a 64-bit key that decides most
    /// comparisons; equal keys fall back to comparing the bytes.
    static func bytewiseOrder(_ names: [String]) -> [Int] {
        let keys = names.map { name -> UInt64 in
            var key: UInt64 = 0
            var shift: UInt64 = 56
            for b in name.utf8.prefix(8) {
                key |= UInt64(b) << shift
                shift &-= 8
            }
            return key
        }
        return names.indices.sorted { a, b in
            if keys[a] != keys[b] { return keys[a] < keys[b] }
            return names[a].utf8.lexicographicallyPrecedes(names[b].utf8)
        }
    }

    /// The same entries with each stack reversed (leaf first), re-sorted.
    func reversed() -> StackTable {
        var copy = self
        for s in 0..<count { copy.ids[offsets[s]..<offsets[s + 1]].reverse() }
        copy.order = copy.sortedOrder()
        return copy
    }

    /// Entry indices in lexicographic order of their rank sequences (a prefix first).
    ///
    /// A most-significant-digit sort, two ranks at a time: the ranks at depths k and k + 1
    /// (+ 1, 0 past the end, so a shorter stack sorts first) and the entry's position in its
    /// run are packed into one 64-bit integer, 21 + 21 + 22 bits; the integers are sorted, and
    /// runs that tie and go on deeper are sorted the same way from depth k + 2. Nearly all the
    /// work is integer sorting, even though every stack starts with the same root frames.
    /// Tables too large to pack are sorted by comparing sequences.
    private func sortedOrder() -> [Int] {
        guard count < 1 << 22 && names.count < (1 << 21) - 1 else { return comparisonSortedOrder() }
        var order = Array(0..<count)
        ids.withUnsafeBufferPointer { ids in
            offsets.withUnsafeBufferPointer { offsets in
                order.withUnsafeMutableBufferPointer { order in
                    var sorter = RankSorter(ids: ids, offsets: offsets, order: order)
                    sorter.sort(0, count, depth: 0)
                }
            }
        }
        return order
    }

    /// The order by comparing whole sequences, for tables too large to pack.
    private func comparisonSortedOrder() -> [Int] {
        var order = Array(0..<count)
        ids.withUnsafeBufferPointer { ids in
            offsets.withUnsafeBufferPointer { offsets in
                order.sort { a, b in
                    StackTable.precedes(ids[offsets[a]..<offsets[a + 1]], ids[offsets[b]..<offsets[b + 1]])
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

/// The most-significant-digit sort of `StackTable.sortedOrder`, over borrowed buffers.
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
        return StackTable.precedes(ids[min(offsets[a] + k, ea)..<ea], ids[min(offsets[b] + k, eb)..<eb])
    }
}
