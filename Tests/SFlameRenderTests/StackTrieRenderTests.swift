// SPDX-License-Identifier: Apache-2.0
//
// `FlameGraph.render(StackTrie)` (what `sflame flamegraph` uses for merged input) must draw the
// same SVG as `FlameGraph.render(FoldedProfile)` for the same stacks, with every option that
// changes the layout, including the pruning of narrow frames while laying out.
import Foundation
import SFlameProfile
import SFlameRender
import Testing

struct StackTrieRenderTests {
    /// Random folded text: stacks over a small name set (so prefixes are shared), with weights
    /// spread over three orders of magnitude (so some frames fall under the minimum width).
    static func randomFolded(seed: UInt64) -> String {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var text = ""
        for _ in 0..<(50 + next(400)) {
            let depth = 1 + next(12)
            let frames = (0..<depth).map { d in "f\(d)_\(next(3 + d))" }
            let weight = [1, 7, 100, 2_500][next(4)] + next(5)
            text += frames.joined(separator: ";") + " \(weight)\n"
        }
        return text
    }

    @Test(arguments: 1...12)
    func trieAndFoldedRenderTheSameSVG(seed: Int) throws {
        let text = Self.randomFolded(seed: UInt64(seed))
        let trie = try FoldedStackReader.read(Array(text.utf8)).stacks
        let (folded, _) = try FoldedProfile.parse(text, source: "random")
        var variants: [FlameGraphOptions] = []
        for minWidth in ["0.1", "0", "2", "1%"] {
            for reverse in [false, true] {
                var options = FlameGraphOptions()
                options.minWidth = try #require(FlameGraphOptions.MinWidth(parsing: minWidth))
                options.reverse = reverse
                options.inverted = seed % 2 == 0
                variants.append(options)
            }
        }
        for options in variants {
            let fromTrie = try FlameGraph.render(trie, options: options)
            let fromFolded = try FlameGraph.render(folded, options: options)
            #expect(fromTrie.svg == fromFolded.svg, "seed \(seed), \(options.minWidth), reverse \(options.reverse)")
            #expect(fromTrie.frameCount == fromFolded.frameCount)
            #expect(fromTrie.prunedFrameCount == fromFolded.prunedFrameCount)
        }
    }
}
