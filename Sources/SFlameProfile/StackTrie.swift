// SPDX-License-Identifier: Apache-2.0
//
// Folded stacks merged as they are read: a trie of interned frame names, one node per distinct
// stack prefix, with the weight of the stacks that end at each node.
//
//   input (root first)      nodes                      folded text (sorted bytewise)
//   main;parse;lex 2        0 root                     main;parse 1
//   main;render 6           1 main                     main;parse;lex 2
//   main;parse 1            2 main;parse      self 1   main;render 6
//                           3 main;parse;lex  self 2
//                           4 main;render     self 6
//
// Adding a stack costs one hash lookup per frame (parent node, name id) and allocates nothing
// once the names are known, which is what makes `sflame collapse` and `sflame flamegraph` fast
// on large inputs.

/// Merged folded stacks: interned names and a trie of stack prefixes.
///
/// Shape: node 0 is the root (no name); every other node has a parent with a smaller index, so
/// visiting nodes in index order visits parents first. `selfWeight` of a node is the weight of
/// the stacks that end there.
public struct StackTrie: Sendable {
    /// The frame names.
    public var names = NameTable()

    /// One node: its place in the tree and the weight of the stacks ending at it. Children form
    /// a list (newest first); a node with many children also has them in `slots`.
    private struct Node: Sendable {
        var parent: Int32
        var name: Int32
        var firstChild: Int32 = -1
        var nextSibling: Int32 = -1
        var childCount: Int32 = 0
        var selfWeight: Int64 = 0
    }
    private var nodes: [Node] = [Node(parent: -1, name: -1)]

    /// Nodes with more children than this find them through `slots` instead of their list.
    private static let listLimit: Int32 = 3
    /// Open addressing over (parent, name) → node, for the children of nodes with many. A slot
    /// holds its key, so a probe touches one cache line. `node` 0 marks an empty slot (the root
    /// is never a child).
    private struct Slot: Sendable {
        var key: UInt64 = 0
        var node: Int32 = 0
    }
    private var slots = [Slot](repeating: Slot(), count: 1024)
    private var indexed = 0

    public init() {}

    /// The root node.
    public static let root: Int32 = 0

    /// The number of nodes, including the root.
    public var nodeCount: Int { nodes.count }
    /// The parent of `node`, or -1 for the root.
    public func parent(of node: Int32) -> Int32 { nodes[Int(node)].parent }
    /// The name id of `node`, or -1 for the root.
    public func nameID(of node: Int32) -> Int32 { nodes[Int(node)].name }
    /// The weight of the stacks that end at `node`.
    public func selfWeight(of node: Int32) -> Int64 { nodes[Int(node)].selfWeight }

    /// Every node's parent, name id and self weight as parallel arrays indexed by node (the
    /// root first, with parent and name -1), for passes over the whole tree.
    public func nodeColumns() -> (parents: [Int32], names: [Int32], selfWeights: [Int64]) {
        var parents = [Int32](repeating: 0, count: nodes.count)
        var names = [Int32](repeating: 0, count: nodes.count)
        var weights = [Int64](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            parents[i] = node.parent
            names[i] = node.name
            weights[i] = node.selfWeight
        }
        return (parents, names, weights)
    }

    /// The child of `node` named `name`, added when it is new.
    ///
    /// Complexity: O(1) expected. A new path costs no lookup at all below the first new node
    /// (its children list is empty), and new nodes are contiguous in memory, which is what
    /// keeps reading many distinct stacks fast.
    @inline(__always)
    public mutating func child(of node: Int32, name: Int32) -> Int32 {
        let found: Int32? = nodes.withUnsafeBufferPointer { nodes in
            let parent = nodes[Int(node)]
            if parent.childCount <= Self.listLimit {
                var c = parent.firstChild
                while c >= 0 {
                    if nodes[Int(c)].name == name { return c }
                    c = nodes[Int(c)].nextSibling
                }
                return nil
            }
            return lookup(node, name)
        }
        if let found { return found }
        let id = Int32(nodes.count)
        nodes.append(Node(parent: node, name: name, nextSibling: nodes[Int(node)].firstChild))
        nodes[Int(node)].firstChild = id
        nodes[Int(node)].childCount += 1
        let count = nodes[Int(node)].childCount
        if count > Self.listLimit {
            if count == Self.listLimit + 1 {
                // Index every child of a node that just got many.
                var c = id
                while c >= 0 {
                    insert(node, nodes[Int(c)].name, c)
                    c = nodes[Int(c)].nextSibling
                }
            } else {
                insert(node, name, id)
            }
        }
        return id
    }

    @inline(__always)
    private static func key(_ parent: Int32, _ name: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: parent)) << 32 | UInt64(UInt32(bitPattern: name))
    }

    private func lookup(_ parent: Int32, _ name: Int32) -> Int32? {
        let key = Self.key(parent, name)
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: ByteHash.mix(key)) & mask
            while true {
                let entry = slots[slot]
                if entry.node == 0 { return nil }
                if entry.key == key { return entry.node }
                slot = (slot + 1) & mask
            }
        }
    }

    private mutating func insert(_ parent: Int32, _ name: Int32, _ node: Int32) {
        let key = Self.key(parent, name)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: ByteHash.mix(key)) & mask
        while slots[slot].node != 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(key: key, node: node)
        indexed += 1
        if indexed * 2 > slots.count { grow() }
    }

    /// Adds `weight` to the stacks ending at `node`.
    ///
    /// - Returns: false when the sum overflows 64 bits (the weight is then not added).
    @discardableResult
    public mutating func addWeight(_ weight: Int64, at node: Int32) -> Bool {
        let (sum, overflow) = nodes[Int(node)].selfWeight.addingReportingOverflow(weight)
        if overflow { return false }
        nodes[Int(node)].selfWeight = sum
        return true
    }

    /// Adds a stack of names, root first.
    public mutating func add(_ frames: [String], weight: Int64) {
        var node = Self.root
        for frame in frames { node = child(of: node, name: names.intern(frame)) }
        addWeight(weight, at: node)
    }

    /// Adds every stack of `other`.
    ///
    /// - Returns: the frames (root first) of a stack whose weight would overflow 64 bits (that
    ///   stack keeps the weight it had, and the others are all added), or nil.
    @discardableResult
    public mutating func merge(_ other: StackTrie) -> [String]? {
        var nameMap = [Int32](repeating: -1, count: other.names.count)
        for id in 0..<other.names.count { nameMap[id] = names.intern(other.names.names[id]) }
        var nodeMap = [Int32](repeating: 0, count: other.nodeCount)
        var overflowed: Int32?
        for n in 1..<max(other.nodeCount, 1) {
            let node = other.nodes[n]
            nodeMap[n] = child(of: nodeMap[Int(node.parent)], name: nameMap[Int(node.name)])
            if !addWeight(node.selfWeight, at: nodeMap[n]) && overflowed == nil { overflowed = nodeMap[n] }
        }
        return overflowed.map { frames(of: $0) }
    }

    /// `merge(other)`, failing when a stack's weight would overflow.
    ///
    /// - Throws: `ProfileError(.invalidProfile)` naming the stack (the other stacks are added).
    public mutating func mergeChecked(_ other: StackTrie) throws(ProfileError) {
        if let frames = merge(other) {
            throw ProfileError(
                .invalidProfile,
                "the counts of the stack '\(frames.joined(separator: ";"))' add up to more than \(Int64.max) across the inputs")
        }
    }

    /// The sum of all weights.
    public var totalWeight: Int64 { nodes.reduce(0) { $0 &+ $1.selfWeight } }

    /// The frames (root first) of the first stack with a negative weight (a difference of two
    /// profiles has them), or nil.
    public var firstNegativeStack: [String]? {
        nodes.indices.first { nodes[$0].selfWeight < 0 }.map { frames(of: Int32($0)) }
    }

    /// Whether no stack has weight.
    public var isEmpty: Bool { !nodes.contains { $0.selfWeight != 0 } }

    /// The names of `node`'s stack, root first.
    public func frames(of node: Int32) -> [String] {
        var frames: [String] = []
        var n = node
        while n > 0 {
            frames.append(names[nodes[Int(n)].name])
            n = nodes[Int(n)].parent
        }
        return frames.reversed()
    }

    /// The nodes where stacks end (non-zero self weight), in node order.
    public var stackEnds: [Int32] {
        var ends: [Int32] = []
        for n in 1..<max(nodeCount, 1) where nodes[n].selfWeight != 0 { ends.append(Int32(n)) }
        return ends
    }

    /// The stacks as a `FoldedProfile`, merged and sorted bytewise like `FoldedProfile.merged()`.
    public func foldedProfile() -> FoldedProfile {
        FoldedProfile(stacks: sortedStackEnds().map { FoldedStack(frames: frames(of: $0), weight: nodes[Int($0)].selfWeight) })
    }

    /// The same stacks, each reversed (leaf first), as flamegraph.pl --reverse merges them.
    public func reversed() -> StackTrie {
        var out = StackTrie()
        var ids: [Int32] = []
        for end in stackEnds {
            ids.removeAll(keepingCapacity: true)
            var n = end
            while n > 0 {
                ids.append(out.names.intern(names.names[Int(nodes[Int(n)].name)]))
                n = nodes[Int(n)].parent
            }
            var node = Self.root
            for id in ids { node = out.child(of: node, name: id) }
            out.addWeight(nodes[Int(end)].selfWeight, at: node)
        }
        return out
    }

    /// Folded text: one `root;…;leaf WEIGHT` line per stack with non-zero weight, sorted bytewise
    /// by stack as `FoldedProfile.text()` and stackcollapse-perf.pl sort them.
    public func foldedText() -> [UInt8] {
        let (text, lineStarts, keyEnds) = unsortedLines()
        var order = Array(0..<keyEnds.count)
        text.withUnsafeBufferPointer { text in
            let base = text.baseAddress!
            order.sort { a, b in
                let sa = lineStarts[a]
                let sb = lineStarts[b]
                let la = keyEnds[a] - sa
                let lb = keyEnds[b] - sb
                let c = memcmp(base + sa, base + sb, min(la, lb))
                return c != 0 ? c < 0 : la < lb
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for i in order { out.append(contentsOf: text[lineStarts[i]..<lineStarts[i + 1]]) }
        return out
    }

    /// Stack ends sorted bytewise by their folded stack text.
    func sortedStackEnds() -> [Int32] {
        let ends = stackEnds
        let (text, lineStarts, keyEnds) = unsortedLines()
        var order = Array(0..<ends.count)
        text.withUnsafeBufferPointer { text in
            let base = text.baseAddress!
            order.sort { a, b in
                let la = keyEnds[a] - lineStarts[a]
                let lb = keyEnds[b] - lineStarts[b]
                let c = memcmp(base + lineStarts[a], base + lineStarts[b], min(la, lb))
                return c != 0 ? c < 0 : la < lb
            }
        }
        return order.map { ends[$0] }
    }

    /// Every stack's line in node order; line i is `text[lineStarts[i]..<lineStarts[i + 1]]` and
    /// its stack ends at `keyEnds[i]`.
    private func unsortedLines() -> (text: [UInt8], lineStarts: [Int], keyEnds: [Int]) {
        var text: [UInt8] = []
        var lineStarts: [Int] = []
        var keyEnds: [Int] = []
        var path: [Int32] = []
        for n in 1..<max(nodeCount, 1) where nodes[n].selfWeight != 0 {
            lineStarts.append(text.count)
            path.removeAll(keepingCapacity: true)
            var m = Int32(n)
            while m > 0 {
                path.append(nodes[Int(m)].name)
                m = nodes[Int(m)].parent
            }
            for (k, id) in path.reversed().enumerated() {
                if k > 0 { text.append(0x3B) }
                names.withBytes(of: id) { text.append(contentsOf: $0) }
            }
            keyEnds.append(text.count)
            text.append(0x20)
            appendDecimal(nodes[n].selfWeight, to: &text)
            text.append(0x0A)
        }
        lineStarts.append(text.count)
        if text.isEmpty { text.append(0) }  // a non-empty buffer, so baseAddress is never nil
        return (text, lineStarts, keyEnds)
    }

    private mutating func grow() {
        var bigger = [Slot](repeating: Slot(), count: slots.count * 2)
        let mask = bigger.count - 1
        for old in slots where old.node != 0 {
            var slot = Int(truncatingIfNeeded: ByteHash.mix(old.key)) & mask
            while bigger[slot].node != 0 { slot = (slot + 1) & mask }
            bigger[slot] = old
        }
        slots = bigger
    }
}

/// Appends the decimal digits of `value`.
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(0x2D) }
    var v = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
    withUnsafeMutableBytes(of: &digits) { buf in
        var i = buf.count
        repeat {
            i -= 1
            buf[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
            v /= 10
        } while v > 0
        out.append(contentsOf: buf[i...])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
