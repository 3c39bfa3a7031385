// SPDX-License-Identifier: Apache-2.0
//
// The flame graph layout straight from a `StackTrie`: the trie already is the merged tree, so
// laying it out is one pass to sum weights and one depth-first walk with siblings sorted by
// name, with no per-stack sorting or string comparison:
//
//   trie                          frames, preorder (as FrameLayout.build gives for the same stacks)
//   main (self 1)                 all    depth 0  start 0  width 9
//   ├ render (self 6)             main   depth 1  start 0  width 9
//   └ parse                       parse  depth 2  start 1  width 2   (main's own weight, 1, is left of it)
//     └ lex (self 2)              lex    depth 3  start 1  width 2
//                                 render depth 2  start 3  width 6

import SFlameProfile

extension FrameLayout {
    /// Lays out merged stacks; the same frames, in the same order, as `build(_:)` gives for the
    /// trie's stacks (siblings sorted by name bytewise, a frame's own weight left of its children).
    ///
    /// - Throws: `RenderError(.invalidInput)` for a negative weight or a sum beyond `Int64.max`.
    /// - Complexity: O(N + N log k) for N nodes with at most k children each.
    static func build(_ trie: StackTrie) throws(RenderError) -> FrameLayout {
        let (parents, nameIDs, selfWeights) = trie.nodeColumns()
        let n = parents.count
        // Subtree weights, children after parents: sum in reverse node order.
        var totals = selfWeights
        var failure: RenderError?
        totals.withUnsafeMutableBufferPointer { totals in
            parents.withUnsafeBufferPointer { parents in
                for node in stride(from: n - 1, through: 1, by: -1) {
                    guard selfWeights[node] >= 0 else {
                        failure = RenderError(
                            .invalidInput,
                            "the stack \(trie.frames(of: Int32(node)).joined(separator: ";")) has a negative weight "
                                + "(\(selfWeights[node]))")
                        return
                    }
                    let parent = Int(parents[node])
                    let (up, overflow) = totals[parent].addingReportingOverflow(totals[node])
                    guard !overflow else {
                        failure = RenderError(.invalidInput, "the sum of the stack weights exceeds \(Int64.max)")
                        return
                    }
                    totals[parent] = up
                }
            }
        }
        if let failure { throw failure }

        // Names in bytewise order; rank[id] is a name's position.
        let names = trie.names.names
        let order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var rank = [Int32](repeating: 0, count: names.count)
        for (r, id) in order.enumerated() { rank[id] = Int32(r) }

        // Children of each node with weight, sorted by name rank (CSR arrays).
        var firstChild = [Int](repeating: 0, count: n + 1)
        for node in 1..<max(n, 1) where totals[node] > 0 { firstChild[Int(parents[node]) + 1] += 1 }
        for i in 0..<n { firstChild[i + 1] += firstChild[i] }
        var children = [Int32](repeating: 0, count: firstChild[n])
        var fill = firstChild
        for node in 1..<max(n, 1) where totals[node] > 0 {
            let p = Int(parents[node])
            children[fill[p]] = Int32(node)
            fill[p] += 1
        }
        children.withUnsafeMutableBufferPointer { children in
            for p in 0..<n where firstChild[p + 1] - firstChild[p] > 1 {
                children[firstChild[p]..<firstChild[p + 1]].sort { rank[Int(nameIDs[Int($0)])] < rank[Int(nameIDs[Int($1)])] }
            }
        }

        let frameCount = children.count + 1
        var layout = FrameLayout(
            names: order.map { names[$0] }, nameIndex: [], depth: [], start: [], width: [])
        layout.nameIndex.reserveCapacity(frameCount)
        layout.depth.reserveCapacity(frameCount)
        layout.start.reserveCapacity(frameCount)
        layout.width.reserveCapacity(frameCount)

        // Preorder walk; each entry is (node, depth, start).
        var stack: [(node: Int32, depth: Int32, start: Int64)] = [(0, 0, 0)]
        while let (node, depth, start) = stack.popLast() {
            layout.nameIndex.append(node == 0 ? -1 : rank[Int(nameIDs[Int(node)])])
            layout.depth.append(depth)
            layout.start.append(start)
            layout.width.append(totals[Int(node)])
            let kids = firstChild[Int(node)]..<firstChild[Int(node) + 1]
            if kids.isEmpty { continue }
            // The node's own weight sits left of its children; push them right to left so the
            // leftmost is drawn first.
            var x = start + (node == 0 ? 0 : selfWeights[Int(node)])
            for c in kids { x += totals[Int(children[c])] }
            for c in kids.reversed() {
                let child = children[c]
                x -= totals[Int(child)]
                stack.append((child, depth + 1, x))
            }
        }
        return layout
    }
}

extension FlameGraph {
    /// Renders merged stacks as an interactive SVG flame graph: the same SVG as
    /// `render(_: FoldedProfile, options:)` for the same stacks, without sorting them.
    ///
    /// A flame chart (`options.flameChart`) needs stacks in input order, which a trie does not
    /// keep: render a `FoldedProfile` for those.
    ///
    /// - Throws: as `render(_:options:)`.
    /// - Complexity: O(N log k) for N distinct stack prefixes with at most k siblings.
    public static func render(_ stacks: StackTrie, options: FlameGraphOptions = FlameGraphOptions())
        throws(RenderError) -> FlameGraphOutput
    {
        if options.flameChart { return try render(stacks.foldedProfile(), options: options) }
        try options.validate()
        let layout = try FrameLayout.build(options.reverse ? stacks.reversed() : stacks)
        return try draw(layout, options: options)
    }
}
