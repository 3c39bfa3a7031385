// SPDX-License-Identifier: Apache-2.0
//
// The comparison of a baseline (BEFORE) and a comparison (AFTER) profile:
//
//   ProfileDiff(baseline: before, comparison: after)
//     .normalization     applied or not, and why (automatic above a 10 % difference in totals)
//     .functions         per function: self and total shares before/after, counts, z, p, Holm p
//     .newStacks         stacks only in AFTER          .vanishedStacks   stacks only in BEFORE
//     .callTree()        the merged call tree, changes rolled up from the leaves
//
// delta = comparison − baseline × baselineScale, per stack and per frame.

import SFlameProfile

/// One stack with its weight in each profile.
public struct DiffStack: Sendable, Hashable {
    /// Frame names, root first.
    public var frames: [String]
    /// The weight in BEFORE (0 when the stack is new).
    public var baselineWeight: Int64
    /// The weight in AFTER (0 when the stack vanished).
    public var comparisonWeight: Int64

    public init(frames: [String], baselineWeight: Int64, comparisonWeight: Int64) {
        self.frames = frames
        self.baselineWeight = baselineWeight
        self.comparisonWeight = comparisonWeight
    }
}

/// A before/after comparison of two profiles.
public struct ProfileDiff: Sendable {
    /// The options it was made with.
    public let options: DiffOptions
    /// BEFORE's total weight (> 0).
    public let baselineTotal: Int64
    /// AFTER's total weight (> 0).
    public let comparisonTotal: Int64
    /// Whether the baseline was scaled to the comparison's total, and why.
    public let normalization: NormalizationDecision
    /// Every function in either profile, sorted by name (bytewise).
    public let functions: [FunctionChange]
    /// How many functions had self weight in either profile: the size of the self family in
    /// the Holm–Bonferroni correction.
    public let selfFunctionCount: Int
    /// Stacks only in AFTER, heaviest first (then by frames).
    public let newStacks: [DiffStack]
    /// Stacks only in BEFORE, heaviest first (then by frames).
    public let vanishedStacks: [DiffStack]

    let table: StackTable
    let tree: DiffTree

    /// Compares `comparison` (AFTER) against `baseline` (BEFORE).
    ///
    /// - Throws: `DiffError(.emptyInput)` when either profile has no weight;
    ///   `DiffError(.invalidInput)` for negative weights or sums that overflow;
    ///   `DiffError(.invalidRule)` for options out of range.
    /// - Complexity: O(F + S log S · d) for F frames in S stacks of depth d.
    public init(baseline: FoldedProfile, comparison: FoldedProfile, options: DiffOptions = DiffOptions())
        throws(DiffError)
    {
        try self.init(
            baseline: DiffInput(baseline, label: "BEFORE"), comparison: DiffInput(comparison, label: "AFTER"),
            options: options)
    }

    /// Compares two encoded profiles (see `DiffInput`, which lets the two be encoded at once).
    ///
    /// - Parameter runBoth: runs two independent parts of the comparison (the call tree, and
    ///   the per-function statistics) and returns when both are done. The default runs one
    ///   after the other; a caller with threads may run them at once. This module starts no
    ///   threads itself.
    /// - Throws: as `init(baseline:comparison:options:)` with folded profiles.
    public init(
        baseline: DiffInput, comparison: DiffInput, options: DiffOptions = DiffOptions(),
        runBoth: (_ first: @Sendable () -> Void, _ second: @Sendable () -> Void) -> Void = {
            $0()
            $1()
        }
    ) throws(DiffError) {
        try options.validate()
        guard baseline.totalWeight > 0 else {
            throw DiffError(.emptyInput, "BEFORE has no samples (no stacks, or every count is 0)")
        }
        guard comparison.totalWeight > 0 else {
            throw DiffError(.emptyInput, "AFTER has no samples (no stacks, or every count is 0)")
        }
        self.options = options
        baselineTotal = baseline.totalWeight
        comparisonTotal = comparison.totalWeight
        let normalization = ProfileDiff.decide(baseline: baselineTotal, comparison: comparisonTotal, options: options)
        self.normalization = normalization
        let table = StackTable(baseline: baseline, comparison: comparison)
        let parts = Parts()
        runBoth(
            {
                let tree = DiffTree(table, baselineScale: normalization.baselineScale)
                parts.tree = tree
                parts.oneSided = ProfileDiff.oneSidedStacks(tree)
            },
            {
                parts.functions = ProfileDiff.compareFunctions(
                    table, baseline: baseline, comparison: comparison, alpha: options.significanceLevel)
            })
        self.table = table
        tree = parts.tree!
        (newStacks, vanishedStacks) = parts.oneSided!
        (functions, selfFunctionCount) = parts.functions!
    }

    /// The results of the two parts of `init`, each written by one part and read after both.
    private final class Parts: @unchecked Sendable {
        var tree: DiffTree?
        var oneSided: ([DiffStack], [DiffStack])?
        var functions: ([FunctionChange], Int)?
    }

    /// How many distinct stacks the two profiles have together.
    public var stackCount: Int {
        var n = 0
        for i in 1..<tree.count where tree.baselineSelfWeight[i] > 0 || tree.comparisonSelfWeight[i] > 0 { n += 1 }
        return n
    }

    /// Every stack with both weights, sorted by frames (bytewise).
    public func stacks() -> [DiffStack] {
        var out: [DiffStack] = []
        tree.forEachPath { node, path in
            guard tree.baselineSelfWeight[node] > 0 || tree.comparisonSelfWeight[node] > 0 else { return }
            out.append(
                DiffStack(
                    frames: path.map { tree.name($0) }, baselineWeight: tree.baselineSelfWeight[node],
                    comparisonWeight: tree.comparisonSelfWeight[node]))
        }
        return out
    }

    /// The merged call tree of both profiles, with weights rolled up from the leaves.
    ///
    /// - Parameter reversed: merge from the leaves (each stack reversed), as flamegraph.pl's
    ///   `--reverse` does.
    public func callTree(reversed: Bool = false) -> DiffTree {
        reversed ? DiffTree(table.reversed(), baselineScale: normalization.baselineScale) : tree
    }

    /// The function called `name`, if either profile has it.
    public func function(named name: String) -> FunctionChange? {
        var low = 0
        var high = functions.count
        while low < high {
            let mid = (low + high) / 2
            if functions[mid].name.utf8.lexicographicallyPrecedes(name.utf8) { low = mid + 1 } else { high = mid }
        }
        return low < functions.count && functions[low].name == name ? functions[low] : nil
    }

    static func decide(baseline: Int64, comparison: Int64, options: DiffOptions) -> NormalizationDecision {
        let difference = (Double(comparison) - Double(baseline)).magnitude / Double(baseline)
        let scale = Double(comparison) / Double(baseline)
        switch options.normalization {
        case .always:
            return NormalizationDecision(
                isApplied: true, reason: .requested, relativeDifference: difference, baselineScale: scale)
        case .never:
            return NormalizationDecision(
                isApplied: false, reason: .refused, relativeDifference: difference, baselineScale: 1)
        case .automatic:
            let apply = difference > options.automaticThreshold
            return NormalizationDecision(
                isApplied: apply, reason: apply ? .totalsDiffer : .totalsClose, relativeDifference: difference,
                baselineScale: apply ? scale : 1)
        }
    }

    /// Self and total weights per function (from each side's, renumbered), their share
    /// changes and significance.
    private static func compareFunctions(
        _ table: StackTable, baseline: DiffInput, comparison: DiffInput, alpha: Double
    ) -> ([FunctionChange], Int) {
        let n = table.names.count
        let totals = (baseline.totalWeight, comparison.totalWeight)
        var selfWeights = [(Int64, Int64)](repeating: (0, 0), count: n)
        var totalWeights = [(Int64, Int64)](repeating: (0, 0), count: n)
        for (i, rank) in table.baselineRanks.enumerated() {
            selfWeights[Int(rank)].0 = baseline.selfWeights[i]
            totalWeights[Int(rank)].0 = baseline.totalWeights[i]
        }
        for (i, rank) in table.comparisonRanks.enumerated() {
            selfWeights[Int(rank)].1 = comparison.selfWeights[i]
            totalWeights[Int(rank)].1 = comparison.totalWeights[i]
        }
        func changes(_ weights: [(Int64, Int64)], family: [Int]) -> [ShareChange] {
            var result = weights.map { w in
                let z = Significance.zScore(w.0, of: totals.0, w.1, of: totals.1)
                return ShareChange(
                    baselineWeight: w.0, comparisonWeight: w.1, baselineShare: Double(w.0) / Double(totals.0),
                    comparisonShare: Double(w.1) / Double(totals.1), zScore: z, pValue: Significance.pValue(z: z),
                    adjustedPValue: 1, isSignificant: false)
            }
            let adjusted = Significance.holmAdjusted(family.map { result[$0].pValue })
            for (k, i) in family.enumerated() {
                result[i].adjustedPValue = adjusted[k]
                result[i].isSignificant = adjusted[k] < alpha
            }
            return result
        }
        let selfFamily = (0..<n).filter { selfWeights[$0] != (0, 0) }
        let selfChanges = changes(selfWeights, family: selfFamily)
        let totalChanges = changes(totalWeights, family: Array(0..<n))
        let functions = (0..<n).map {
            FunctionChange(name: table.names[$0], selfChange: selfChanges[$0], totalChange: totalChanges[$0])
        }
        return (functions, selfFamily.count)
    }

    /// The stacks that only one side has: nodes with self weight on one side only.
    private static func oneSidedStacks(_ tree: DiffTree) -> ([DiffStack], [DiffStack]) {
        var new: [DiffStack] = []
        var vanished: [DiffStack] = []
        tree.forEachPath { node, path in
            let (b, c) = (tree.baselineSelfWeight[node], tree.comparisonSelfWeight[node])
            if b == 0 && c > 0 {
                new.append(DiffStack(frames: path.map { tree.name($0) }, baselineWeight: 0, comparisonWeight: c))
            } else if c == 0 && b > 0 {
                vanished.append(DiffStack(frames: path.map { tree.name($0) }, baselineWeight: b, comparisonWeight: 0))
            }
        }
        // Preorder is frame order; sort is not stable, so break ties by position.
        func heaviestFirst(_ stacks: [DiffStack], _ weight: (DiffStack) -> Int64) -> [DiffStack] {
            stacks.enumerated().sorted {
                let (a, b) = (weight($0.element), weight($1.element))
                return a != b ? a > b : $0.offset < $1.offset
            }.map(\.element)
        }
        return (heaviestFirst(new, \.comparisonWeight), heaviestFirst(vanished, \.baselineWeight))
    }
}
