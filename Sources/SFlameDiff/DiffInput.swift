// SPDX-License-Identifier: Apache-2.0
//
// One side of a comparison, encoded for merging: frame names interned and ranked bytewise,
// stacks as rank sequences with their sorted order, and each function's self and total weight.
//
//   main;poll 50          names ["main", "parse", "poll"]  (bytewise)
//   main;parse 20   ──►   ids [0, 2, 0, 1]   offsets [0, 2, 4]   weights [50, 20]
//                         order [1, 0]   self [0, 20, 50]   total [70, 20, 50]
//
// Encoding is most of the work of a comparison, and the two sides are independent, so a
// caller with threads encodes BEFORE and AFTER at the same time (and frees each FoldedProfile
// there); `ProfileDiff(baseline:comparison:options:)` then only merges two sorted lists.

import SFlameProfile

/// A profile's stacks with interned, ranked frame names, ready to be compared.
public struct DiffInput: Sendable, Equatable {
    /// Distinct frame names, sorted bytewise.
    let names: [String]
    /// All stacks' name ranks back to back, root first.
    let ids: [Int32]
    /// Stack i is `ids[offsets[i]..<offsets[i + 1]]`.
    let offsets: [Int]
    let weights: [Int64]
    /// Stack indices in lexicographic order of their rank sequences.
    let order: [Int]
    /// Per name: the weight of the stacks that end in it.
    let selfWeights: [Int64]
    /// Per name: the weight of the stacks that contain it, once per stack.
    let totalWeights: [Int64]
    /// The sum of `weights`.
    public let totalWeight: Int64

    /// The number of stacks kept (those with a positive weight and at least one frame).
    public var stackCount: Int { weights.count }

    /// Encodes `profile`; `label` ("BEFORE", "AFTER") names it in errors.
    ///
    /// Stacks with weight 0 or no frames are left out; equal stacks may repeat (they are merged
    /// later).
    ///
    /// - Throws: `DiffError(.invalidInput)` for a negative weight or a total that overflows.
    /// - Complexity: O(F + N log N + S log S · d) for F frames, N distinct names, S stacks; one
    ///   hash per frame that differs from the previous stack's frame at the same depth.
    public init(_ profile: FoldedProfile, label: String) throws(DiffError) {
        var table = NameTable()
        var cache = DepthCache()
        var ids: [Int32] = []
        var offsets: [Int] = [0]
        var weights: [Int64] = []
        ids.reserveCapacity(profile.stacks.reduce(0) { $0 + $1.frames.count })
        offsets.reserveCapacity(profile.stacks.count + 1)
        weights.reserveCapacity(profile.stacks.count)
        var total: Int64 = 0
        var previous: (frames: [String], offset: Int)? = nil
        for (i, stack) in profile.stacks.enumerated() {
            guard stack.weight >= 0 else {
                throw DiffError(.invalidInput, "\(label): stack \(i + 1) has a negative weight (\(stack.weight))")
            }
            if stack.weight == 0 || stack.frames.isEmpty { continue }
            let offset = ids.count
            for (k, name) in stack.frames.enumerated() {
                // Consecutive stacks usually share their first frames (folded files are
                // sorted): comparing with the previous stack's name is cheaper than hashing.
                if let previous, k < previous.frames.count, previous.frames[k] == name {
                    ids.append(ids[previous.offset + k])
                } else {
                    ids.append(cache.id(name, depth: k, table: &table))
                }
            }
            let (sum, overflow) = total.addingReportingOverflow(stack.weight)
            guard !overflow else {
                throw DiffError(.invalidInput, "\(label): the sum of the weights overflows 64 bits")
            }
            total = sum
            offsets.append(ids.count)
            weights.append(stack.weight)
            previous = (stack.frames, offset)
        }
        self.init(interned: table.names, ids: ids, offsets: offsets, weights: weights, total: total)
    }

    /// Encodes folded text directly from its bytes, without building a `FoldedProfile`: each
    /// frame is interned as bytes, and a name is decoded once (invalid UTF-8 becomes U+FFFD, as
    /// `FoldedProfile.parse` decodes it). The result equals `init(_:label:)` of the parsed text.
    ///
    /// - Throws: `ProfileError(.malformedLine)` naming `source` and the line, as
    ///   `FoldedProfile.parse` does; `DiffError(.invalidInput)` when the total overflows.
    /// - Complexity: O(B + N log N + S log S · d) for B bytes, N distinct names, S stacks.
    public init(folded bytes: UnsafeBufferPointer<UInt8>, source: String?, label: String) throws {
        var table = ByteNameTable()
        var ids: [Int32] = []
        var offsets: [Int] = [0]
        var weights: [Int64] = []
        ids.reserveCapacity(bytes.count / 8)
        var total: Int64 = 0
        var overflowed = false
        _ = try FoldedProfile.scan(bytes, source: source) { line in
            guard line.weight > 0, !overflowed else { return }
            let stack = line.stack
            var frameStart = 0
            var depth = 0
            var i = 0
            while true {
                if i == stack.count || stack[i] == 0x3B {
                    ids.append(table.id(UnsafeBufferPointer(rebasing: stack[frameStart..<i]), depth: depth))
                    if i == stack.count { break }
                    frameStart = i + 1
                    depth += 1
                }
                i += 1
            }
            let (sum, overflow) = total.addingReportingOverflow(line.weight)
            overflowed = overflow
            total = sum
            offsets.append(ids.count)
            weights.append(line.weight)
        }
        guard !overflowed else { throw DiffError(.invalidInput, "\(label): the sum of the weights overflows 64 bits") }
        self.init(interned: table.names(), ids: ids, offsets: offsets, weights: weights, total: total)
    }

    /// Ranks the interned names bytewise (equal names, which invalid UTF-8 decoded alike can
    /// produce, share a rank), renumbers the stacks with the ranks, sums each function's
    /// weights and sorts the stacks.
    private init(interned: [String], ids: [Int32], offsets: [Int], weights: [Int64], total: Int64) {
        let sorted = StackOrder.bytewise(interned)
        var rank = [Int32](repeating: 0, count: interned.count)
        var names: [String] = []
        names.reserveCapacity(interned.count)
        for old in sorted {
            if names.last != interned[old] { names.append(interned[old]) }
            rank[old] = Int32(names.count - 1)
        }
        var ids = ids
        for i in ids.indices { ids[i] = rank[Int(ids[i])] }
        self.names = names
        (selfWeights, totalWeights) = DiffInput.functionWeights(
            ids: ids, offsets: offsets, weights: weights, nameCount: names.count)
        order = StackOrder.sorted(ids: ids, offsets: offsets, nameCount: names.count)
        self.ids = ids
        self.offsets = offsets
        self.weights = weights
        totalWeight = total
    }

    /// Self and total weight per name; a name counts once per stack under recursion.
    private static func functionWeights(ids: [Int32], offsets: [Int], weights: [Int64], nameCount: Int)
        -> ([Int64], [Int64])
    {
        var selfWeights = [Int64](repeating: 0, count: nameCount)
        var totalWeights = [Int64](repeating: 0, count: nameCount)
        var lastStack = [Int32](repeating: -1, count: nameCount)
        // Unsafe buffers: this loop visits every frame; ranks are below `nameCount` by
        // construction. The sums cannot overflow: each is at most the checked total.
        selfWeights.withUnsafeMutableBufferPointer { selfWeights in
            totalWeights.withUnsafeMutableBufferPointer { totalWeights in
                lastStack.withUnsafeMutableBufferPointer { lastStack in
                    for s in 0..<weights.count {
                        let w = weights[s]
                        selfWeights[Int(ids[offsets[s + 1] - 1])] += w
                        for k in offsets[s]..<offsets[s + 1] {
                            let id = Int(ids[k])
                            if lastStack[id] != Int32(s) {
                                lastStack[id] = Int32(s)
                                totalWeights[id] += w
                            }
                        }
                    }
                }
            }
        }
        return (selfWeights, totalWeights)
    }
}

/// The names recently seen at each depth, in a few slots chosen by the name's length and last
/// byte (read from its contiguous UTF-8, no hashing): the same functions recur at the same depths across
/// stacks, sorted or not, and comparing one string is cheaper than hashing it.
private struct DepthCache {
    private static let slots = 16
    private static let maxDepth = 64
    /// Per slot: a name and its id; id -1 marks an empty slot.
    private var names: [String] = Array(repeating: "", count: DepthCache.slots * DepthCache.maxDepth)
    private var ids: [Int32] = Array(repeating: -1, count: DepthCache.slots * DepthCache.maxDepth)

    /// The id of `name`, seen at `depth`, from the cache or else from `table`.
    mutating func id(_ name: String, depth: Int, table: inout NameTable) -> Int32 {
        guard depth < DepthCache.maxDepth,
            let key = name.utf8.withContiguousStorageIfAvailable({ $0.count &* 31 &+ Int($0.last ?? 0) })
        else { return table.id(name) }
        let slot = depth &* DepthCache.slots &+ key & (DepthCache.slots - 1)
        let cached = ids[slot]
        if cached >= 0 && names[slot] == name { return cached }
        let id = table.id(name)
        names[slot] = name
        ids[slot] = id
        return id
    }
}
