// SPDX-License-Identifier: Apache-2.0
//
// Properties that hold for every pair of profiles (STYLE.md §7): diff(a, a) is all zeros;
// changes roll up (a node's delta is its own plus its children's); the function totals agree
// with SFlameProfile's; self ≤ total; self weights sum to the total.
import SFlameDiff
import SFlameProfile
import Testing

struct DiffPropertyTests {
    static let seeds: [UInt64] = Array(1...40)

    @Test(arguments: seeds)
    func aProfileComparedWithItselfChangesNothing(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let a = randomProfile(&rng)
        let diff = try ProfileDiff(baseline: a, comparison: a)
        #expect(!diff.normalization.isApplied)
        for f in diff.functions {
            for c in [f.selfChange, f.totalChange] {
                #expect(c.pointChange == 0 && c.zScore == 0 && c.pValue == 1 && !c.isSignificant, "\(f.name)")
                #expect(c.baselineWeight == c.comparisonWeight)
            }
        }
        #expect(diff.newStacks.isEmpty && diff.vanishedStacks.isEmpty)
        for reversed in [false, true] {
            let tree = diff.callTree(reversed: reversed)
            for i in 0..<tree.count { #expect(tree.delta(i) == 0 && tree.selfDelta(i) == 0) }
        }
        #expect(diff.regressions([try RegressionRule(parsing: "0")]).isEmpty)
        let report = DiffReport(diff)
        #expect(report.regressions.isEmpty && report.improvements.isEmpty)
    }

    @Test(arguments: seeds)
    func changesRollUpFromTheLeaves(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let a = randomProfile(&rng)
        let b = randomProfile(&rng, stacks: 90)
        for mode in DiffOptions.Normalization.allCases {
            let diff = try ProfileDiff(baseline: a, comparison: b, options: DiffOptions(normalization: mode))
            for reversed in [false, true] {
                let tree = diff.callTree(reversed: reversed)
                var childBaseline = [Int64](repeating: 0, count: tree.count)
                var childComparison = [Int64](repeating: 0, count: tree.count)
                var childDelta = [Double](repeating: 0, count: tree.count)
                for i in 1..<tree.count {
                    let p = Int(tree.parent[i])
                    #expect(p < i && tree.depth[p] == tree.depth[i] - 1, "preorder, parent before child")
                    childBaseline[p] += tree.baselineWeight[i]
                    childComparison[p] += tree.comparisonWeight[i]
                    childDelta[p] += tree.delta(i)
                }
                for i in 0..<tree.count {
                    #expect(tree.baselineWeight[i] == tree.baselineSelfWeight[i] + childBaseline[i])
                    #expect(tree.comparisonWeight[i] == tree.comparisonSelfWeight[i] + childComparison[i])
                    #expect(abs(tree.delta(i) - (tree.selfDelta(i) + childDelta[i])) < 1e-6, "node \(i)")
                }
                #expect(
                    tree.baselineWeight[0] == diff.baselineTotal && tree.comparisonWeight[0] == diff.comparisonTotal)
                if diff.normalization.isApplied { #expect(abs(tree.delta(0)) < 1e-6) }
            }
        }
    }

    @Test(arguments: seeds)
    func functionTotalsAgreeWithTheProfileModel(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let a = randomProfile(&rng)
        let b = randomProfile(&rng)
        let diff = try ProfileDiff(baseline: a, comparison: b)
        let before = Dictionary(uniqueKeysWithValues: a.functionTotals().map { ($0.name, $0) })
        let after = Dictionary(uniqueKeysWithValues: b.functionTotals().map { ($0.name, $0) })
        #expect(Set(diff.functions.map(\.name)) == Set(before.keys).union(after.keys))
        var selfSums: (Int64, Int64) = (0, 0)
        for f in diff.functions {
            #expect(f.totalChange.baselineWeight == before[f.name]?.totalWeight ?? 0, "\(f.name)")
            #expect(f.totalChange.comparisonWeight == after[f.name]?.totalWeight ?? 0, "\(f.name)")
            #expect(f.selfChange.baselineWeight == before[f.name]?.selfWeight ?? 0, "\(f.name)")
            #expect(f.selfChange.comparisonWeight == after[f.name]?.selfWeight ?? 0, "\(f.name)")
            #expect(f.selfChange.baselineWeight <= f.totalChange.baselineWeight)
            #expect(f.selfChange.comparisonWeight <= f.totalChange.comparisonWeight)
            selfSums.0 += f.selfChange.baselineWeight
            selfSums.1 += f.selfChange.comparisonWeight
        }
        #expect(selfSums == (diff.baselineTotal, diff.comparisonTotal))
        #expect(diff.baselineTotal == a.totalWeight && diff.comparisonTotal == b.totalWeight)
    }

    @Test(arguments: seeds)
    func theMergedStacksAreBothProfiles(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let a = randomProfile(&rng)
        let b = randomProfile(&rng)
        let diff = try ProfileDiff(baseline: a, comparison: b)
        let stacks = diff.stacks()
        #expect(
            FoldedProfile(stacks: stacks.map { FoldedStack(frames: $0.frames, weight: $0.baselineWeight) }).merged()
                == a.merged())
        #expect(
            FoldedProfile(stacks: stacks.map { FoldedStack(frames: $0.frames, weight: $0.comparisonWeight) }).merged()
                == b.merged())
        let keys = stacks.map { $0.frames.joined(separator: ";") }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "sorted, unique")
        #expect(Set(diff.newStacks).isSubset(of: Set(stacks.filter { $0.baselineWeight == 0 })))
        #expect(
            diff.newStacks.count + diff.vanishedStacks.count
                == stacks.filter { $0.baselineWeight == 0 || $0.comparisonWeight == 0 }.count)
    }

    @Test func deepAndWideProfilesSortLikeTheirText() throws {
        // Many stacks sharing long prefixes exercise the multi-level rank sort.
        var rng = SeededGenerator(seed: 99)
        var stacks: [FoldedStack] = []
        for i in 0..<3000 {
            var frames = ["root", "main"]
            for d in 0..<Int.random(in: 0...30, using: &rng) {
                frames.append("f\(d)_\(Int.random(in: 0...2, using: &rng))")
            }
            if i % 7 == 0 { frames.append("leaf\(i)") }
            stacks.append(FoldedStack(frames: frames, weight: Int64.random(in: 1...5, using: &rng)))
        }
        let a = FoldedProfile(stacks: stacks)
        let b = FoldedProfile(stacks: stacks.shuffled(using: &rng))
        let diff = try ProfileDiff(baseline: a, comparison: b)
        let keys = diff.stacks().map { $0.frames.joined(separator: ";") }
        #expect(keys == a.merged().stacks.map { $0.frames.joined(separator: ";") })
        #expect(diff.stacks().allSatisfy { $0.baselineWeight == $0.comparisonWeight })
    }
}
