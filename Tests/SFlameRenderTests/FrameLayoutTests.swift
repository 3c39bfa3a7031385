// SPDX-License-Identifier: Apache-2.0
import SFlameDiff
import SFlameProfile
@testable import SFlameRender
import Testing

struct FrameLayoutTests {
    /// (name, depth, start, width) per frame, in preorder.
    private func frames(_ layout: FrameLayout) -> [String] {
        (0..<layout.count).map { i in
            let index = Int(layout.nameIndex[i])
            return
                "\(index < 0 ? "all" : layout.names[index]) d\(layout.depth[i]) @\(layout.start[i]) w\(layout.width[i])"
        }
    }

    @Test func mergesAndSortsSiblings() throws {
        let layout = try FrameLayout.build(profile([("b;x", 1), ("a;y", 2), ("a;x", 3), ("a", 4), ("a;x", 1)]).stacks)
        #expect(
            frames(layout) == [
                "all d0 @0 w11", "a d1 @0 w10", "x d2 @4 w4", "y d2 @8 w2", "b d1 @10 w1", "x d2 @10 w1",
            ])
        #expect(layout.names == ["a", "b", "x", "y"])
    }

    @Test func theFileCommentExampleHolds() throws {
        let layout = try FrameLayout.build(
            profile([("main;parse;lex", 2), ("main;parse", 1), ("main;render", 6)]).stacks)
        #expect(
            frames(layout) == ["all d0 @0 w9", "main d1 @0 w9", "parse d2 @0 w3", "lex d3 @1 w2", "render d2 @3 w6"])
    }

    @Test func flameChartKeepsInputOrderAndMergesOnlyNeighbours() throws {
        let layout = try FrameLayout.build(
            profile([("m;b", 1), ("m;c", 1), ("m;b", 1), ("m;b", 2), ("n", 1)]).stacks, sortSiblings: false)
        #expect(
            frames(layout) == [
                "all d0 @0 w6", "m d1 @0 w5", "b d2 @0 w1", "c d2 @1 w1", "b d2 @2 w3", "n d1 @5 w1",
            ])
    }

    @Test func reverseMergesFromTheLeaf() throws {
        let layout = try FrameLayout.build(profile([("main;a;leaf", 2), ("main;b;leaf", 3)]).stacks, reverse: true)
        #expect(
            frames(layout) == [
                "all d0 @0 w5", "leaf d1 @0 w5", "a d2 @0 w2", "main d3 @0 w2", "b d2 @2 w3", "main d3 @2 w3",
            ])
    }

    @Test func zeroWeightsAreSkippedAndSiblingsNeverOverlap() throws {
        var lines: [(String, Int64)] = [("z", 0)]
        for i in 0..<300 { lines.append(("r;f\(i % 7);g\(i % 5);h\(i % 3)", Int64(i % 4))) }
        let layout = try FrameLayout.build(profile(lines).stacks)
        #expect(layout.total == lines.reduce(0) { $0 + $1.1 })
        #expect(!layout.names.contains("z"))
        // Preorder: each frame lies within the nearest earlier frame one level up, and after its
        // previous sibling.
        var lastAtDepth: [Int32: (start: Int64, end: Int64)] = [0: (0, layout.total)]
        for i in 1..<layout.count {
            let d = layout.depth[i]
            let parent = try #require(lastAtDepth[d - 1])
            #expect(layout.start[i] >= parent.start && layout.start[i] + layout.width[i] <= parent.end)
            if let sibling = lastAtDepth[d], sibling.start >= parent.start {
                #expect(layout.start[i] >= sibling.end)
            }
            lastAtDepth[d] = (layout.start[i], layout.start[i] + layout.width[i])
            lastAtDepth = lastAtDepth.filter { $0.key <= d }
        }
    }

    @Test func aDifferentialLayoutHasTheDrawnProfilesShapeAndCarriesTheOther() throws {
        let diff = try ProfileDiff(
            baseline: profile([("m;a", 4), ("m", 2), ("m;gone", 3)]),
            comparison: profile([("m;a", 5), ("m", 2), ("m;new", 1)]), options: DiffOptions(normalization: .never))
        let after = FrameLayout.build(diff.callTree(), diff: diff, drawsBaseline: false, minWeight: 0)
        #expect(frames(after) == ["all d0 @0 w8", "m d1 @0 w8", "a d2 @2 w5", "new d2 @7 w1"])
        #expect(after.otherWidth == [9, 9, 4, 0])
        let before = FrameLayout.build(diff.callTree(), diff: diff, drawsBaseline: true, minWeight: 0)
        #expect(frames(before) == ["all d0 @0 w9", "m d1 @0 w9", "a d2 @2 w4", "gone d2 @6 w3"])
        #expect(before.otherWidth == [8, 8, 5, 0])
    }

    @Test func framesTooNarrowToDrawKeepTheirRoomButAreLeftOut() throws {
        let diff = try ProfileDiff(
            baseline: profile([("m;a", 1)]), comparison: profile([("m;a;x", 1), ("m;b", 1), ("m;c", 8)]))
        let layout = FrameLayout.build(diff.callTree(), diff: diff, drawsBaseline: false, minWeight: 2)
        // a (1) and b (1) are too narrow; x under a goes with it; c starts after their room.
        #expect(frames(layout) == ["all d0 @0 w10", "m d1 @0 w10", "c d2 @2 w8"])
        #expect(layout.prunedCount == 2)
    }

    @Test func changesAreShareChangesWhenNormalizedAndCountChangesOtherwise() throws {
        let before = profile([("m;a", 10), ("m;b", 10)])
        let after = profile([("m;a", 30), ("m;b", 10)])
        let normalized = try ProfileDiff(baseline: before, comparison: after, options: DiffOptions(normalization: .always))
        let shares = FrameLayout.build(normalized.callTree(), diff: normalized, drawsBaseline: false, minWeight: 0)
        let d = try #require(shares.differential)
        // a: 50 % -> 75 %, b: 50 % -> 25 %.
        #expect(abs(d.change(drawn: shares.width[2], other: shares.otherWidth[2]) - 0.25) < 1e-12)
        #expect(abs(d.change(drawn: shares.width[3], other: shares.otherWidth[3]) + 0.25) < 1e-12)
        let raw = try ProfileDiff(baseline: before, comparison: after, options: DiffOptions(normalization: .never))
        let counts = FrameLayout.build(raw.callTree(), diff: raw, drawsBaseline: true, minWeight: 0)
        let c = try #require(counts.differential)
        // a: 10 -> 30 samples, as a fraction of BEFORE's 20 (drawn); b unchanged.
        #expect(abs(c.change(drawn: counts.width[2], other: counts.otherWidth[2]) - 1.0) < 1e-12)
        #expect(c.change(drawn: counts.width[3], other: counts.otherWidth[3]) == 0)
    }
}
