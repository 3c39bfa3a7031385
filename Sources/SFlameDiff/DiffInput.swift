// SPDX-License-Identifier: Apache-2.0
//
// One side of a comparison, encoded for merging: frame names interned to integers, stacks as
// integer sequences.
//
//   main;parse 20         names ["main", "parse", "poll"]
//   main;poll 50    ──►   ids [0, 1, 0, 2]   offsets [0, 2, 4]   weights [20, 50]
//
// Encoding is the costly part of a comparison, and the two sides are independent, so a caller
// with threads can encode BEFORE and AFTER at the same time (and free each FoldedProfile
// there) before `ProfileDiff(baseline:comparison:options:)` merges them.

import SFlameProfile

/// A profile's stacks with interned frame names, ready to be compared.
public struct DiffInput: Sendable {
    /// Distinct frame names, in order of first appearance.
    let names: [String]
    /// All stacks' name ids back to back, root first.
    let ids: [Int32]
    /// Stack i is `ids[offsets[i]..<offsets[i + 1]]`.
    let offsets: [Int]
    let weights: [Int64]
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
    /// - Complexity: O(F) for F frames; one hash per frame that differs from the previous
    ///   stack's frame at the same depth.
    public init(_ profile: FoldedProfile, label: String) throws(DiffError) {
        var table = NameTable()
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
                    ids.append(table.id(name))
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
        self.names = table.names
        self.ids = ids
        self.offsets = offsets
        self.weights = weights
        totalWeight = total
    }
}
