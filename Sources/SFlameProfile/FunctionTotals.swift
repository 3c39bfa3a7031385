// SPDX-License-Identifier: Apache-2.0

/// Self and total weight of one frame name across a profile.
///
/// `selfWeight` counts samples where the frame is the leaf; `totalWeight` counts samples
/// where it appears anywhere, once per sample even under recursion. So
/// `selfWeight <= totalWeight`, and the self weights of all frames sum to the total weight.
public struct FunctionTotals: Hashable, Sendable {
    public var name: String
    public var selfWeight: Int64
    public var totalWeight: Int64
    public init(name: String, selfWeight: Int64, totalWeight: Int64) {
        self.name = name
        self.selfWeight = selfWeight
        self.totalWeight = totalWeight
    }
}

extension FoldedProfile {
    /// Self and total weight per frame name, sorted by the size of the self (or total) weight
    /// descending (as `pprof -top`), then by name.
    ///
    /// - Parameter skippingRoots: how many root frames to leave out (e.g. 1 to skip the
    ///   process-name root that `Profile.folded` adds).
    public func functionTotals(skippingRoots: Int = 0, sortedBySelf: Bool = true) -> [FunctionTotals] {
        var selfW: [String: Int64] = [:]
        var totalW: [String: Int64] = [:]
        var seen = Set<String>()
        for stack in stacks {
            let frames = stack.frames.dropFirst(skippingRoots)
            guard let leaf = frames.last else { continue }
            selfW[leaf, default: 0] &+= stack.weight
            seen.removeAll(keepingCapacity: true)
            for f in frames where seen.insert(f).inserted {
                totalW[f, default: 0] &+= stack.weight
            }
        }
        var out = totalW.map { FunctionTotals(name: $0.key, selfWeight: selfW[$0.key] ?? 0, totalWeight: $0.value) }
        out.sort { FunctionTotals.ranksBefore($0, $1, bySelf: sortedBySelf) }
        return out
    }
}

extension FunctionTotals {
    /// The order of `pprof -top`: the larger size of the self (or total) weight first, so that
    /// in a difference of two profiles (negative values) the largest changes either way lead;
    /// then the larger weight, then the name.
    static func ranksBefore(_ a: FunctionTotals, _ b: FunctionTotals, bySelf: Bool) -> Bool {
        let (x, y) = bySelf ? (a.selfWeight, b.selfWeight) : (a.totalWeight, b.totalWeight)
        if x.magnitude != y.magnitude { return x.magnitude > y.magnitude }
        if x != y { return x > y }
        return a.name < b.name
    }
}
