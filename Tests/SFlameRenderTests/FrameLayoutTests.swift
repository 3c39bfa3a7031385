// SPDX-License-Identifier: Apache-2.0
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

    @Test func differentialDeltasLandOnLeaves() throws {
        let stacks = profile([("m;a", 5), ("m", 2), ("m;b", 0)]).stacks
        let layout = try FrameLayout.build(stacks, deltas: [3, -1, -4])
        #expect(frames(layout) == ["all d0 @0 w7", "m d1 @0 w7", "a d2 @2 w5"])
        #expect(layout.delta == [0, -1, 3])
        #expect(layout.maxDelta == 4)
    }
}
