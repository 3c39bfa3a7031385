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
    private var parents: [Int32] = [-1]
    private var nameIDs: [Int32] = [-1]
    private var selfWeights: [Int64] = [0]
    /// Open addressing over (parent, name) → node. A slot holds its key, so a lookup touches one
    /// slot (one cache line) per probe. `node` 0 marks an empty slot (the root is never a child).
    private struct Slot: Sendable {
        var key: UInt64 = 0
        var node: Int32 = 0
    }
    private var slots = [Slot](repeating: Slot(), count: 1024)

    public init() {}

    /// The root node.
    public static let root: Int32 = 0

    /// The number of nodes, including the root.
    public var nodeCount: Int { parents.count }
    /// The parent of `node`, or -1 for the root.
    public func parent(of node: Int32) -> Int32 { parents[Int(node)] }
    /// The name id of `node`, or -1 for the root.
    public func nameID(of node: Int32) -> Int32 { nameIDs[Int(node)] }
    /// The weight of the stacks that end at `node`.
    public func selfWeight(of node: Int32) -> Int64 { selfWeights[Int(node)] }

    /// The child of `node` named `name`, added when it is new.
    @inline(__always)
    public mutating func child(of node: Int32, name: Int32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: name))
        var slot = Int(truncatingIfNeeded: ByteHash.mix(key)) & (slots.count - 1)
        let found: Int32? = slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            while true {
                let entry = slots[slot]
                if entry.node == 0 { return nil }
                if entry.key == key { return entry.node }
                slot = (slot + 1) & mask
            }
        }
        if let found { return found }
        let id = Int32(parents.count)
        parents.append(node)
        nameIDs.append(name)
        selfWeights.append(0)
        slots[slot] = Slot(key: key, node: id)
        if parents.count * 2 > slots.count { grow() }
        return id
    }

    /// Adds `weight` to the stacks ending at `node`.
    ///
    /// - Returns: false when the sum overflows 64 bits (the weight is then not added).
    @discardableResult
    public mutating func addWeight(_ weight: Int64, at node: Int32) -> Bool {
        let (sum, overflow) = selfWeights[Int(node)].addingReportingOverflow(weight)
        if overflow { return false }
        selfWeights[Int(node)] = sum
        return true
    }

    /// Adds a stack of names, root first.
    public mutating func add(_ frames: [String], weight: Int64) {
        var node = Self.root
        for frame in frames { node = child(of: node, name: names.intern(frame)) }
        addWeight(weight, at: node)
    }

    /// Adds every stack of `other`.
    public mutating func merge(_ other: StackTrie) {
        var nameMap = [Int32](repeating: -1, count: other.names.count)
        for id in 0..<other.names.count { nameMap[id] = names.intern(other.names.names[id]) }
        var nodeMap = [Int32](repeating: 0, count: other.nodeCount)
        for n in 1..<max(other.nodeCount, 1) {
            nodeMap[n] = child(of: nodeMap[Int(other.parents[n])], name: nameMap[Int(other.nameIDs[n])])
            addWeight(other.selfWeights[n], at: nodeMap[n])
        }
    }

    /// The sum of all weights.
    public var totalWeight: Int64 { selfWeights.reduce(0) { $0 &+ $1 } }

    /// Whether no stack has weight.
    public var isEmpty: Bool { !selfWeights.contains { $0 != 0 } }

    /// The names of `node`'s stack, root first.
    public func frames(of node: Int32) -> [String] {
        var frames: [String] = []
        var n = node
        while n > 0 {
            frames.append(names[nameIDs[Int(n)]])
            n = parents[Int(n)]
        }
        return frames.reversed()
    }

    /// The nodes where stacks end (non-zero self weight), in node order.
    public var stackEnds: [Int32] {
        var ends: [Int32] = []
        for n in 1..<max(nodeCount, 1) where selfWeights[n] != 0 { ends.append(Int32(n)) }
        return ends
    }

    /// The stacks as a `FoldedProfile`, merged and sorted bytewise like `FoldedProfile.merged()`.
    public func foldedProfile() -> FoldedProfile {
        FoldedProfile(stacks: sortedStackEnds().map { FoldedStack(frames: frames(of: $0), weight: selfWeights[Int($0)]) })
    }

    /// The same stacks, each reversed (leaf first), as flamegraph.pl --reverse merges them.
    public func reversed() -> StackTrie {
        var out = StackTrie()
        var ids: [Int32] = []
        for end in stackEnds {
            ids.removeAll(keepingCapacity: true)
            var n = end
            while n > 0 {
                ids.append(out.names.intern(names.names[Int(nameIDs[Int(n)])]))
                n = parents[Int(n)]
            }
            var node = Self.root
            for id in ids { node = out.child(of: node, name: id) }
            out.addWeight(selfWeights[Int(end)], at: node)
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
        for n in 1..<max(nodeCount, 1) where selfWeights[n] != 0 {
            lineStarts.append(text.count)
            path.removeAll(keepingCapacity: true)
            var m = Int32(n)
            while m > 0 {
                path.append(nameIDs[Int(m)])
                m = parents[Int(m)]
            }
            for (k, id) in path.reversed().enumerated() {
                if k > 0 { text.append(0x3B) }
                names.withBytes(of: id) { text.append(contentsOf: $0) }
            }
            keyEnds.append(text.count)
            text.append(0x20)
            appendDecimal(selfWeights[n], to: &text)
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
