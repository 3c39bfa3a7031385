// SPDX-License-Identifier: Apache-2.0
import SFlameDiff
import SFlameProfile
import Testing

struct ProfileDiffTests {
    static let before = profile([("m;parse", 20), ("m;render", 30), ("m;poll", 46), ("m;legacy", 4)])
    static let after = profile([("m;parse", 38), ("m;parse;tokenize", 2), ("m;render", 30), ("m;poll", 30)])

    @Test func functionsCarrySelfAndTotalSharesWithTheirCounts() throws {
        let diff = try ProfileDiff(baseline: Self.before, comparison: Self.after)
        let parse = try #require(diff.function(named: "parse"))
        #expect(parse.totalChange.baselineWeight == 20 && parse.totalChange.comparisonWeight == 40)
        #expect(parse.selfChange.baselineWeight == 20 && parse.selfChange.comparisonWeight == 38)
        #expect(abs(parse.totalChange.pointChange - 20) < 1e-9)
        #expect(abs(parse.totalChange.relativeChange! - 1) < 1e-9)
        #expect(abs(parse.selfChange.pointChange - 18) < 1e-9)
        let tokenize = try #require(diff.function(named: "tokenize"))
        #expect(tokenize.totalChange.isNew && tokenize.totalChange.relativeChange == nil)
        let legacy = try #require(diff.function(named: "legacy"))
        #expect(legacy.totalChange.isVanished && legacy.totalChange.relativeChange == -1)
        #expect(diff.function(named: "absent") == nil)
        #expect(diff.functions.map(\.name) == ["legacy", "m", "parse", "poll", "render", "tokenize"])
    }

    @Test func newAndVanishedStacksAreListedHeaviestFirst() throws {
        let diff = try ProfileDiff(
            baseline: profile([("m;a", 1), ("m;old1", 2), ("m;old2", 5)]),
            comparison: profile([("m;a", 1), ("m;new", 3), ("m;a;b", 1)]))
        #expect(
            diff.newStacks == [
                DiffStack(frames: ["m", "new"], baselineWeight: 0, comparisonWeight: 3),
                DiffStack(frames: ["m", "a", "b"], baselineWeight: 0, comparisonWeight: 1),
            ])
        #expect(diff.vanishedStacks.map(\.frames) == [["m", "old2"], ["m", "old1"]])
        #expect(diff.stackCount == 5)
    }

    @Test func equalStacksAreMergedAndZeroWeightsIgnored() throws {
        let diff = try ProfileDiff(
            baseline: profile([("m;a", 1), ("m;a", 2), ("m;z", 0)]), comparison: profile([("m;a", 3)]))
        #expect(diff.stacks() == [DiffStack(frames: ["m", "a"], baselineWeight: 3, comparisonWeight: 3)])
        #expect(diff.newStacks.isEmpty && diff.vanishedStacks.isEmpty)
        #expect(diff.function(named: "z") == nil)
    }

    @Test func recursionCountsOncePerStackInTheTotal() throws {
        let diff = try ProfileDiff(
            baseline: profile([("m;f;g;f;f", 4), ("m;g", 1)]), comparison: profile([("m;f", 1)]))
        let f = try #require(diff.function(named: "f"))
        #expect(f.totalChange.baselineWeight == 4 && f.selfChange.baselineWeight == 4)
        #expect(try #require(diff.function(named: "g")).totalChange.baselineWeight == 5)
    }

    @Test(arguments: [
        (Int64(100), Int64(105), DiffOptions.Normalization.automatic, false, NormalizationDecision.Reason.totalsClose),
        (100, 110, .automatic, false, .totalsClose),
        (100, 111, .automatic, true, .totalsDiffer),
        (100, 80, .automatic, true, .totalsDiffer),
        (100, 105, .always, true, .requested),
        (100, 300, .never, false, .refused),
    ])
    func normalizationIsAutomaticAboveTenPercent(
        before: Int64, after: Int64, mode: DiffOptions.Normalization, applied: Bool,
        reason: NormalizationDecision.Reason
    ) throws {
        let diff = try ProfileDiff(
            baseline: profile([("m", before)]), comparison: profile([("m", after)]),
            options: DiffOptions(normalization: mode))
        #expect(diff.normalization.isApplied == applied)
        #expect(diff.normalization.reason == reason)
        #expect(diff.normalization.baselineScale == (applied ? Double(after) / Double(before) : 1))
        #expect(abs(diff.normalization.relativeDifference - abs(Double(after - before)) / Double(before)) < 1e-12)
    }

    @Test func emptyAndInvalidInputsAreErrors() {
        func kind(_ before: FoldedProfile, _ after: FoldedProfile, _ options: DiffOptions = DiffOptions()) -> DiffError?
        {
            do {
                _ = try ProfileDiff(baseline: before, comparison: after, options: options)
                return nil
            } catch {
                return error
            }
        }
        let some = profile([("m", 1)])
        #expect(kind(FoldedProfile(), some)?.kind == .emptyInput)
        #expect(kind(FoldedProfile(), some)?.message.hasPrefix("BEFORE") == true)
        #expect(kind(some, profile([("m", 0)]))?.message.hasPrefix("AFTER has no samples") == true)
        #expect(kind(some, profile([("m", -1)]))?.kind == .invalidInput)
        #expect(kind(profile([("m", .max), ("n", 1)]), some)?.kind == .invalidInput)
        #expect(kind(some, some, DiffOptions(significanceLevel: 1.5))?.kind == .invalidRule)
    }

    @Test func aGrownFunctionIsSignificantAndAnUnchangedOneIsNot() throws {
        // Large enough samples for a clear verdict: 20 % -> 40 % of 1,000 samples each.
        let before = profile([("m;parse", 200), ("m;render", 300), ("m;poll", 500)])
        let after = profile([("m;parse", 400), ("m;render", 300), ("m;poll", 300)])
        let diff = try ProfileDiff(baseline: before, comparison: after)
        #expect(try #require(diff.function(named: "parse")).totalChange.isSignificant)
        #expect(try #require(diff.function(named: "poll")).totalChange.isSignificant)
        let render = try #require(diff.function(named: "render"))
        #expect(!render.totalChange.isSignificant && render.totalChange.adjustedPValue == 1)
        #expect(!(try #require(diff.function(named: "m")).totalChange.isSignificant))
    }
}
