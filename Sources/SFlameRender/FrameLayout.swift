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
    /// Per frame: the summed deltas of the stacks that end in it (differential input), else empty.
    var delta: [Int64]
    /// The largest magnitude of one input stack's delta; 0 when not differential.
    var maxDelta: Int64

    var count: Int { nameIndex.count }
    /// The sum of all weights: the root's width.
    var total: Int64 { width[0] }
    var isDifferential: Bool { !delta.isEmpty }

    /// Lays out `stacks`.
    ///
    /// - Parameters:
    ///   - stacks: root-first stacks; zero weights are skipped, equal stacks may repeat.
    ///   - deltas: per stack, comparison minus baseline, for a differential graph; nil otherwise.
    ///   - reverse: reverse each stack first (merge from the leaf).
    ///   - sortSiblings: sort siblings by name and merge all equal prefixes; false for a flame
    ///     chart (input order; only consecutive stacks merge).
    /// - Throws: `RenderError(.invalidInput)` for a negative weight or an overflowing sum.
    /// - Complexity: O(F log S) for F frames in S stacks; one dictionary lookup per frame name
    ///   that differs from the previous stack's name at the same depth.
    static func build(
        _ stacks: [FoldedStack], deltas: [Int64]? = nil, reverse: Bool = false, sortSiblings: Bool = true
    ) throws(RenderError) -> FrameLayout {
        precondition(deltas == nil || deltas?.count == stacks.count, "one delta per stack")
        var encoded = try EncodedStacks(stacks, deltas: deltas, reverse: reverse)
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
        var layout = FrameLayout(
            names: names, nameIndex: [-1], depth: [0], start: [0], width: [0],
            delta: deltas == nil ? [] : [0], maxDelta: encoded.maxDelta)
        try layout.merge(encoded, order: order)
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
                if isDifferential { delta.append(0) }
            }
            if isDifferential { delta[path.last ?? 0] += encoded.deltas[s] }
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
    var deltas: [Int64] = []
    var maxDelta: Int64 = 0
    private var names: [String] = []

    init(_ stacks: [FoldedStack], deltas: [Int64]?, reverse: Bool) throws(RenderError) {
        var table: [String: Int32] = [:]
        var previous: (frames: [String], offset: Int)? = nil
        for (i, stack) in stacks.enumerated() {
            if let d = deltas?[i] { maxDelta = max(maxDelta, d == .min ? .max : abs(d)) }
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
            if let deltas { self.deltas.append(deltas[i]) }
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
