// SPDX-License-Identifier: Apache-2.0
//
// Merges folded stacks into the frames of a flame graph, in weight units (no pixels yet):
//
//   input (root first)      frames, preorder                    as drawn, x grows right
//   main;parse;lex 2        all    depth 0  start 0  width 9    (one column per unit of weight)
//   main;parse 1            main   depth 1  start 0  width 9     .lx......
//   main;render 6           parse  depth 2  start 0  width 3     parrender
//                           lex    depth 3  start 1  width 2     main.....
//                           render depth 2  start 3  width 6     all......
//
// A stack that ends in a frame puts that frame's own weight (self weight) to the left of its
// children, as its shorter stack sorts first.
//
// Siblings are sorted by name, bytewise (flamegraph.pl sorts its input lines), so the same
// input always gives the same graph. In a flame chart they keep the input order instead, and
// only consecutive stacks merge their common prefix.
//
// How: every distinct name gets an integer whose order is the names' bytewise order; stacks
// become integer sequences; sorting those puts stacks with a common prefix next to each other,
// and one pass extends the previous stack's frames where the prefix continues and opens new
// frames where it ends.

import SFlameDiff
import SFlameProfile

/// The frames of a flame graph, laid out in weight units.
///
/// Shape: parallel arrays indexed by frame, in preorder (a parent before its children, siblings
/// left to right). Frame 0 is the root ("all"), spanning the total weight.
struct FrameLayout: Sendable {
    /// Distinct frame names, sorted bytewise.
    var names: [String]
    /// Per frame: its index in `names`, or -1 for the root.
    var nameIndex: [Int32]
    /// Per frame: 0 for the root, 1 for the stacks' first frames, and so on.
    var depth: [Int32]
    /// Per frame: the weight to its left.
    var start: [Int64]
    /// Per frame: the weight of the stacks that pass through it.
    var width: [Int64]
    /// Per frame of a differential graph: the other profile's weight of the stacks that pass
    /// through it (BEFORE's when AFTER is drawn, and the reverse); empty otherwise.
    var otherWidth: [Int64] = []
    /// What a differential graph compares; nil for a plain graph.
    var differential: Differential? = nil
    /// Frames (not counting their descendants) left out while laying out because they were too
    /// narrow; 0 unless built with a minimum weight.
    var prunedCount = 0

    var count: Int { nameIndex.count }
    /// The sum of all weights: the root's width.
    var total: Int64 { width[0] }
    var isDifferential: Bool { differential != nil }

    /// The two profiles behind a differential graph.
    struct Differential {
        /// Whether the widths are BEFORE's (`--negate`) rather than AFTER's.
        var drawsBaseline: Bool
        var baselineTotal: Int64
        var comparisonTotal: Int64
        /// The factor that turns BEFORE's weights into AFTER's units (1 when not normalized).
        var baselineScale: Double
        var isNormalized: Bool

        /// The change of a frame drawn `drawn` wide whose other weight is `other`, as a fraction
        /// of the drawn profile's total: AFTER's share minus BEFORE's when normalized, else the
        /// change in counts over the drawn total. Positive when the frame grew.
        func change(drawn: Int64, other: Int64) -> Double {
            if drawsBaseline {
                return (Double(other) / baselineScale - Double(drawn)) / Double(baselineTotal)
            }
            return (Double(drawn) - Double(other) * baselineScale) / Double(comparisonTotal)
        }
    }

    /// Lays out `stacks`.
    ///
    /// - Parameters:
    ///   - stacks: root-first stacks; zero weights are skipped, equal stacks may repeat.
    ///   - reverse: reverse each stack first (merge from the leaf).
    ///   - sortSiblings: sort siblings by name and merge all equal prefixes; false for a flame
    ///     chart (input order; only consecutive stacks merge).
    /// - Throws: `RenderError(.invalidInput)` for a negative weight or an overflowing sum.
    /// - Complexity: O(F log S) for F frames in S stacks; one dictionary lookup per frame name
    ///   that differs from the previous stack's name at the same depth.
    static func build(
        _ stacks: [FoldedStack], reverse: Bool = false, sortSiblings: Bool = true
    ) throws(RenderError) -> FrameLayout {
        var encoded = try EncodedStacks(stacks, reverse: reverse)
        let names = encoded.sortNames()
        var order = Array(0..<encoded.weights.count)
        if sortSiblings {
            encoded.ids.withUnsafeBufferPointer { ids in
                order.sort { a, b in
                    EncodedStacks.precedes(
                        ids[encoded.offsets[a]..<encoded.offsets[a + 1]],
                        ids[encoded.offsets[b]..<encoded.offsets[b + 1]])
                }
            }
        }
        var layout = FrameLayout(names: names, nameIndex: [-1], depth: [0], start: [0], width: [0])
        try layout.merge(encoded, order: order)
        return layout
    }

    /// Lays out a differential graph: the nodes of `tree` that the drawn profile has (AFTER's,
    /// or BEFORE's when `drawsBaseline`), each frame carrying the other profile's weight too.
    ///
    /// Nodes the drawn profile lacks have no width and are left out with their subtrees (they
    /// show in the other direction, and `ProfileDiff` lists their stacks). Nodes narrower than
    /// `minWeight` are left out too (with their subtrees, which are narrower still) but keep
    /// their room, so `prunedCount` counts them and the writer never sees them: a large profile
    /// has millions of nodes and only thousands wide enough to draw. A frame's own weight lies
    /// to the left of its children, as in `build(_:reverse:sortSiblings:)`.
    ///
    /// - Complexity: O(N) for N nodes.
    static func build(_ tree: DiffTree, diff: ProfileDiff, drawsBaseline: Bool, minWeight: Double) -> FrameLayout {
        let drawn = drawsBaseline ? tree.baselineWeight : tree.comparisonWeight
        let drawnSelf = drawsBaseline ? tree.baselineSelfWeight : tree.comparisonSelfWeight
        let other = drawsBaseline ? tree.comparisonWeight : tree.baselineWeight
        var layout = FrameLayout(names: tree.names, nameIndex: [-1], depth: [0], start: [0], width: [drawn[0]])
        layout.otherWidth = [other[0]]
        layout.differential = Differential(
            drawsBaseline: drawsBaseline, baselineTotal: diff.baselineTotal, comparisonTotal: diff.comparisonTotal,
            baselineScale: diff.normalization.baselineScale, isNormalized: diff.normalization.isApplied)
        // Per depth on the current path of kept frames: the x where the next child starts.
        var cursor: [Int64] = [drawnSelf[0]]
        for node in 1..<tree.count where drawn[node] > 0 {
            let d = Int(tree.depth[node])
            guard cursor.count >= d else { continue }  // under a frame left out
            cursor.removeLast(cursor.count - d)
            let x = cursor[d - 1]
            cursor[d - 1] += drawn[node]
            guard Double(drawn[node]) >= minWeight else {
                layout.prunedCount += 1
                continue
            }
            cursor.append(x + drawnSelf[node])
            layout.nameIndex.append(tree.nameIndex[node])
            layout.depth.append(Int32(d))
            layout.start.append(x)
            layout.width.append(drawn[node])
            layout.otherWidth.append(other[node])
        }
        return layout
    }

    /// Appends the frames of the stacks in `order`, extending the previous stack's frames along
    /// the common prefix.
    private mutating func merge(_ encoded: EncodedStacks, order: [Int]) throws(RenderError) {
        let ids = encoded.ids
        let offsets = encoded.offsets
        var path: [Int] = []  // frame index at depth k + 1 of the previous stack
        var previous: Range<Int> = 0..<0
        var x: Int64 = 0
        for s in order {
            let current = offsets[s]..<offsets[s + 1]
            let w = encoded.weights[s]
            var common = 0
            while common < current.count && common < previous.count
                && ids[current.lowerBound + common] == ids[previous.lowerBound + common]
            {
                common += 1
            }
            path.removeLast(path.count - common)
            for frame in path { width[frame] += w }
            for k in common..<current.count {
                path.append(nameIndex.count)
                nameIndex.append(ids[current.lowerBound + k])
                depth.append(Int32(k + 1))
                start.append(x)
                width.append(w)
            }
            let (sum, overflow) = x.addingReportingOverflow(w)
            guard !overflow else {
                throw RenderError(.invalidInput, "the sum of the stack weights exceeds \(Int64.max)")
            }
            x = sum
            previous = current
        }
        width[0] = x
    }
}

/// Stacks as sequences of name ids, flattened into one array.
private struct EncodedStacks {
    /// Name ids of all kept stacks, back to back.
    var ids: [Int32] = []
    /// Stack i's ids are `ids[offsets[i]..<offsets[i + 1]]`.
    var offsets: [Int] = [0]
    var weights: [Int64] = []
    private var names: [String] = []

    init(_ stacks: [FoldedStack], reverse: Bool) throws(RenderError) {
        var table: [String: Int32] = [:]
        var previous: (frames: [String], offset: Int)? = nil
        for (i, stack) in stacks.enumerated() {
            guard stack.weight >= 0 else {
                throw RenderError(.invalidInput, "stack \(i + 1) has a negative weight (\(stack.weight))")
            }
            if stack.weight == 0 { continue }
            let frames = reverse ? Array(stack.frames.reversed()) : stack.frames
            let offset = ids.count
            for (k, name) in frames.enumerated() {
                // Consecutive input stacks usually share their first frames: comparing with the
                // previous stack's name is cheaper than hashing.
                if let previous, k < previous.frames.count, previous.frames[k] == name {
                    ids.append(ids[previous.offset + k])
                } else if let id = table[name] {
                    ids.append(id)
                } else {
                    let id = Int32(names.count)
                    table[name] = id
                    names.append(name)
                    ids.append(id)
                }
            }
            offsets.append(ids.count)
            weights.append(stack.weight)
            previous = (frames, offset)
        }
    }

    /// Renumbers the names in bytewise order, so comparing ids compares names; returns the
    /// sorted names.
    mutating func sortNames() -> [String] {
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var rank = [Int32](repeating: 0, count: names.count)
        for (r, old) in order.enumerated() { rank[old] = Int32(r) }
        for i in ids.indices { ids[i] = rank[Int(ids[i])] }
        return order.map { names[$0] }
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
