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
    /// Frames narrower than `minWeight` (weight units) are left out with their subtrees but keep
    /// their room, and `prunedCount` counts them all (the writer would not draw them anyway).
    ///
    /// - Throws: `RenderError(.invalidInput)` for a negative weight or a sum beyond `Int64.max`.
    /// - Complexity: O(N + M log k) for N nodes, M of them kept, with at most k children each.
    static func build(_ trie: StackTrie, minWeight: Double = 0) throws(RenderError) -> FrameLayout {
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
        let order = trie.names.idsInBytewiseOrder()
        var rank = [Int32](repeating: 0, count: names.count)
        for (r, id) in order.enumerated() { rank[Int(id)] = Int32(r) }

        // Children of each node with weight (CSR arrays); each list is sorted by name rank
        // when the walk reaches it, so subtrees left out are never sorted.
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
        // Frames per subtree, to count what is left out.
        var sizes: [Int32] = []
        if minWeight > 0 {
            sizes = [Int32](repeating: 0, count: n)
            for node in stride(from: n - 1, through: 1, by: -1) where totals[node] > 0 {
                sizes[node] += 1
                sizes[Int(parents[node])] += sizes[node]
            }
        }

        var layout = FrameLayout(
            names: order.map { names[Int($0)] }, nameIndex: [], depth: [], start: [], width: [])
        if minWeight <= 0 {
            let frameCount = children.count + 1
            layout.nameIndex.reserveCapacity(frameCount)
            layout.depth.reserveCapacity(frameCount)
            layout.start.reserveCapacity(frameCount)
            layout.width.reserveCapacity(frameCount)
        }

        // Preorder walk; each entry is (node, depth, start).
        var stack: [(node: Int32, depth: Int32, start: Int64)] = [(0, 0, 0)]
        var kids: [Int32] = []
        while let (node, depth, start) = stack.popLast() {
            layout.nameIndex.append(node == 0 ? -1 : rank[Int(nameIDs[Int(node)])])
            layout.depth.append(depth)
            layout.start.append(start)
            layout.width.append(totals[Int(node)])
            let range = firstChild[Int(node)]..<firstChild[Int(node) + 1]
            if range.isEmpty { continue }
            kids.removeAll(keepingCapacity: true)
            kids.append(contentsOf: children[range])
            if kids.count > 1 { kids.sort { rank[Int(nameIDs[Int($0)])] < rank[Int(nameIDs[Int($1)])] } }
            // The node's own weight sits left of its children; push them right to left so the
            // leftmost is drawn first. Narrow children keep their room but are left out.
            var x = start + (node == 0 ? 0 : selfWeights[Int(node)])
            for child in kids { x += totals[Int(child)] }
            for child in kids.reversed() {
                x -= totals[Int(child)]
                if Double(totals[Int(child)]) < minWeight {
                    layout.prunedCount += Int(sizes[Int(child)])
                    continue
                }
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
        let trie = options.reverse ? stacks.reversed() : stacks
        // Leave out what the writer would not draw while laying out: a large profile has
        // millions of nodes and only thousands wide enough to see.
        let minWeight = FlameGraphWriter.minimumWeight(options: options, scaleTotal: scaleTotal(trie.totalWeight, options))
        let layout = try FrameLayout.build(trie, minWeight: minWeight)
        return try draw(layout, options: options)
    }
}
