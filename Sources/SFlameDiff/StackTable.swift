// SPDX-License-Identifier: Apache-2.0
//
// Puts the stacks of both sides into one order, over one table of names:
//
//   BEFORE names [m, parse, poll]      merged names [lex, m, parse, poll]
//   AFTER  names [lex, m, parse]       BEFORE's ranks + 1 → [1, 2, 3]; AFTER's → [0, 1, 2]
//   BEFORE m;parse 20   m;poll 50      stacks in merged ranks, both sides, in order:
//   AFTER  m;lex 5      m;parse 40     [1, 0] A 5    [1, 2] B 20    [1, 2] A 40    [1, 3] B 50
//
// Each side arrives with its names sorted bytewise and its stacks sorted (`DiffInput`), so the
// merge is linear: one pass merges the two name lists, one renumbers the stacks, one merges
// the two stack orders. Equal stacks end up next to each other and stacks with a common
// prefix together, so the call tree is one pass too (`DiffTree`).

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
    /// Per side, per name rank of that side: its rank in `names`.
    let baselineRanks: [Int32]
    let comparisonRanks: [Int32]

    var count: Int { baseline.count }

    /// Merges the two sides.
    ///
    /// - Complexity: O(F + N + S · d) for F frames, N distinct names, S stacks of depth d.
    init(baseline: DiffInput, comparison: DiffInput) {
        (names, baselineRanks, comparisonRanks) = StackTable.mergeNames(baseline.names, comparison.names)
        ids = []
        ids.reserveCapacity(baseline.ids.count + comparison.ids.count)
        for id in baseline.ids { ids.append(baselineRanks[Int(id)]) }
        for id in comparison.ids { ids.append(comparisonRanks[Int(id)]) }
        offsets = baseline.offsets
        offsets.reserveCapacity(baseline.stackCount + comparison.stackCount + 1)
        let shift = baseline.ids.count
        for offset in comparison.offsets.dropFirst() { offsets.append(offset + shift) }
        self.baseline = baseline.weights + Array(repeating: 0, count: comparison.stackCount)
        self.comparison = Array(repeating: 0, count: baseline.stackCount) + comparison.weights
        order = []
        order = mergeOrders(baseline.order, comparison.order.map { $0 + baseline.stackCount })
    }

    /// The same entries with each stack reversed (leaf first), re-sorted.
    func reversed() -> StackTable {
        var copy = self
        for s in 0..<count { copy.ids[offsets[s]..<offsets[s + 1]].reverse() }
        copy.order = StackOrder.sorted(ids: copy.ids, offsets: copy.offsets, nameCount: names.count)
        return copy
    }

    /// The union of two bytewise-sorted name lists, and where each list's names land in it.
    private static func mergeNames(_ a: [String], _ b: [String]) -> ([String], [Int32], [Int32]) {
        var merged: [String] = []
        merged.reserveCapacity(a.count + b.count)
        var ranksA = [Int32](repeating: 0, count: a.count)
        var ranksB = [Int32](repeating: 0, count: b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            let takeA: Bool
            let takeB: Bool
            if i == a.count {
                (takeA, takeB) = (false, true)
            } else if j == b.count {
                (takeA, takeB) = (true, false)
            } else if a[i] == b[j] {
                (takeA, takeB) = (true, true)
            } else {
                let aFirst = a[i].utf8.lexicographicallyPrecedes(b[j].utf8)
                (takeA, takeB) = (aFirst, !aFirst)
            }
            let rank = Int32(merged.count)
            if takeA {
                merged.append(a[i])
                ranksA[i] = rank
                i += 1
            }
            if takeB {
                if !takeA { merged.append(b[j]) }
                ranksB[j] = rank
                j += 1
            }
        }
        return (merged, ranksA, ranksB)
    }

    /// The union of two sorted entry orders, by the entries' (merged) rank sequences.
    private func mergeOrders(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        ids.withUnsafeBufferPointer { ids in
            offsets.withUnsafeBufferPointer { offsets in
                var i = 0
                var j = 0
                while i < a.count && j < b.count {
                    let (x, y) = (a[i], b[j])
                    // On a tie BEFORE's entry goes first; either order builds the same tree.
                    if StackOrder.precedes(ids[offsets[y]..<offsets[y + 1]], ids[offsets[x]..<offsets[x + 1]]) {
                        out.append(y)
                        j += 1
                    } else {
                        out.append(x)
                        i += 1
                    }
                }
                out.append(contentsOf: a[i...])
                out.append(contentsOf: b[j...])
            }
        }
        return out
    }
}
