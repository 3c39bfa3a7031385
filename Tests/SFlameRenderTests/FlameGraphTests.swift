// SPDX-License-Identifier: Apache-2.0
//
// Properties of rendered flame graphs, checked through an XML parser: well-formedness, one
// element per drawn frame, pruning, proportional widths, escaping, colours and ids.
import Foundation
import SFlameProfile
@testable import SFlameRender
import Testing

/// Builds a profile from `(stack, weight)` pairs, frames separated by `;`.
func profile(_ lines: [(String, Int64)]) -> FoldedProfile {
    FoldedProfile(
        stacks: lines.map {
            FoldedStack(
                frames: $0.0.split(separator: ";", omittingEmptySubsequences: false).map(String.init), weight: $0.1)
        })
}

func render(_ p: FoldedProfile, _ options: FlameGraphOptions = FlameGraphOptions()) throws -> (
    FlameGraphOutput, ParsedSVG
) {
    let output = try FlameGraph.render(p, options: options)
    return (output, try ParsedSVG(Data(output.svg)))
}

/// The count in a tooltip: "name (1,234 samples, 5.00%)" ──► 1234.
func tooltipCount(_ title: String) -> Int64? {
    guard let open = title.range(of: " (", options: .backwards) else { return nil }
    let digits = title[open.upperBound...].prefix { $0.isNumber || $0 == "," }.filter { $0 != "," }
    return Int64(digits)
}

struct FlameGraphTests {
    /// Every prefix of every stack with its summed weight: an independent model of the frames.
    static func expectedFrames(_ p: FoldedProfile) -> [String: Int64] {
        var frames: [String: Int64] = [:]
        for stack in p.stacks {
            for depth in 1...stack.frames.count {
                frames[stack.frames.prefix(depth).joined(separator: ";"), default: 0] += stack.weight
            }
        }
        return frames
    }

    @Test func oneFrameElementPerFrameAboveMinWidth() throws {
        // 100,000 samples over 1,180 px: 1 sample is 0.0118 px, under the 0.1 px default.
        var lines: [(String, Int64)] = [("main;big;work", 99_000)]
        for i in 0..<100 { lines.append(("main;small;leaf\(i)", 10)) }  // 0.118 px each: drawn
        lines.append(("main;small;crumb_a;deeper", 1))  // 0.0118 px: pruned with its child
        lines.append(("main;crumb_b", 5))  // 0.059 px: pruned
        let p = profile(lines)
        let (output, svg) = try render(p)
        let total = Double(p.totalWeight)
        let drawn = Self.expectedFrames(p).filter { Double($0.value) * 1180 / total >= 0.1 }
        #expect(svg.frames.count == drawn.count + 1)  // + the root
        #expect(output.frameCount == svg.frames.count)
        #expect(output.prunedFrameCount == 3)
        let names = Set(svg.frames.map(\.name))
        #expect(!names.contains("crumb_a") && !names.contains("deeper") && !names.contains("crumb_b"))
        #expect(names.contains("leaf99") && names.contains("work"))
    }

    @Test func minWidthAsPercentOfTotal() throws {
        let p = profile([("a;x", 50), ("a;y", 45), ("a;z", 4), ("b", 1)])
        let (_, svg) = try render(p, FlameGraphOptions(minWidth: .percent(5)))
        #expect(Set(svg.frames.map(\.name)) == ["all", "a", "x", "y"])
        let (_, none) = try render(p, FlameGraphOptions(minWidth: .pixels(0)))
        #expect(none.frames.count == 6)
    }

    @Test func widthsAreProportionalToWeights() throws {
        let p = profile([("main;hot_a", 75), ("main;hot_b", 25), ("main;hot_b;leaf", 5), ("other", 3)])
        let (_, svg) = try render(p)
        let total = Double(p.totalWeight)
        for frame in svg.frames {
            let count = try #require(tooltipCount(frame.title), "no count in \(frame.title)")
            #expect(abs(frame.width - Double(count) * 1180 / total) < 0.006, "\(frame.title): width \(frame.width)")
        }
        let a = try #require(svg.frames.first { $0.name == "hot_a" })
        let b = try #require(svg.frames.first { $0.name == "hot_b" })
        #expect(abs(a.width / b.width - 75.0 / 30.0) < 0.001)
        #expect(a.title == "hot_a (75 samples, 69.44%)")
    }

    @Test func childrenLieWithinParentsAndSiblingsAreSortedByName() throws {
        let p = profile([("m;zeta", 1), ("m;alpha", 1), ("m;Beta", 1), ("m;beta", 1), ("m;_x", 1)])
        let (_, svg) = try render(p)
        let children = svg.frames.filter { $0.y == svg.frames.first { $0.name == "m" }!.y - 16 }
        #expect(children.map(\.name) == ["Beta", "_x", "alpha", "beta", "zeta"])  // bytewise
        #expect(children.map(\.x) == children.map(\.x).sorted())
        let parent = try #require(svg.frames.first { $0.name == "m" })
        for child in children {
            #expect(child.x >= parent.x - 0.01 && child.x + child.width <= parent.x + parent.width + 0.01)
        }
    }

    @Test func flameGraphGrowsUpAndIcicleGrowsDown() throws {
        let p = profile([("a;b;c", 1)])
        let (_, flame) = try render(p)
        let ys = flame.frames.map(\.y)
        #expect(ys == ys.sorted(by: >))
        let (_, icicle) = try render(p, FlameGraphOptions(inverted: true))
        let down = icicle.frames.map(\.y)
        #expect(down == down.sorted())
        #expect(icicle.rootAttributes["data-inv"] == "1")
        #expect(icicle.controls["title"] == "Icicle Graph")
    }

    @Test func namesAreEscaped() throws {
        let nasty = ["operator<<(std::ostream&, \"x\")", "<script>alert('x')</script>", "a]]>b", "&amp;"]
        let p = FoldedProfile(stacks: nasty.map { FoldedStack(frames: ["main", $0], weight: 10) })
        let options = FlameGraphOptions(title: "<t>", subtitle: "&", nameType: "\"n\"", notes: "--> <x>")
        let output = try FlameGraph.render(p, options: options)
        let svg = try ParsedSVG(Data(output.svg))
        let names = Set(svg.frames.map(\.name))
        for name in nasty { #expect(names.contains(name), "\(name) did not survive escaping") }
        #expect(Set(svg.frames.map(\.label)).isSuperset(of: nasty))
        #expect(svg.scriptCount == 1)
        #expect(!output.svgText.contains("<script>alert"))
        #expect(svg.controls["title"] == "<t>")
        #expect(svg.rootAttributes["data-nt"] == "\"n\"")
    }

    @Test func controlCharactersDoNotBreakTheXML() throws {
        let name = "a\u{0}b\u{1}c\u{1F}d\u{7F}e\u{FFFE}f\u{FFFF}g\tz\u{2603}"
        let (_, svg) = try render(FoldedProfile(stacks: [FoldedStack(frames: [name], weight: 1)]))
        let shown = try #require(svg.frames.last).name
        #expect(shown == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g\u{FFFD}z\u{2603}")
    }

    @Test func annotationsPickColoursButAreNotShown() throws {
        let (_, svg) = try render(profile([("do_syscall_64_[k];x_[j];y_[i];w_[w]", 1)]))
        #expect(svg.frames.map(\.name) == ["all", "do_syscall_64", "x", "y", "w"])
    }

    @Test func labelsAreTruncatedToFit() throws {
        let long = String(repeating: "x", count: 300)
        let (_, svg) = try render(
            profile([("\(long);short", 20), ("tiny_frame", 3), ("z", 1)]), FlameGraphOptions(width: 400))
        let frame = try #require(svg.frames.first { $0.name == long })
        let fits = Int(((frame.width - 3) / (12 * 0.59)).rounded(.down))
        #expect(frame.label == String(repeating: "x", count: fits - 2) + "..")
        #expect(svg.frames.first { $0.name == "short" }?.label == "short")
        #expect(svg.frames.first { $0.name == "tiny_frame" }?.label == "tiny..")  // 47.5 px: 6 characters
        #expect(svg.frames.first { $0.name == "z" }?.label == "")  // 15.8 px: no room for 3 characters
    }

    @Test func sameNameGetsSameColourInDifferentGraphs() throws {
        let (_, one) = try render(profile([("main;parse;lex", 10), ("main;render", 3)]))
        let (_, two) = try render(profile([("init;main", 1), ("other;lex", 99)]), FlameGraphOptions(width: 700))
        for name in ["main", "lex"] {
            let a = try #require(one.frames.first { $0.name == name }).fill
            let b = try #require(two.frames.first { $0.name == name }).fill
            #expect(a == b, "\(name): \(a) vs \(b)")
        }
        #expect(one.frames.first { $0.name == "parse" }?.fill != one.frames.first { $0.name == "render" }?.fill)
    }

    @Test func renderingIsDeterministic() throws {
        let p = profile([("main;b", 3), ("main;a", 4), ("x", 1)])
        let first = try FlameGraph.render(p).svg
        let second = try FlameGraph.render(FoldedProfile(stacks: p.stacks.reversed())).svg
        #expect(first == second)
    }

    @Test func differentGraphsHaveDisjointIDs() throws {
        let (_, one) = try render(profile([("main;a", 1)]))
        let (_, two) = try render(profile([("main;b", 1)]))
        let prefixOne = try #require(one.rootAttributes["id"])
        let prefixTwo = try #require(two.rootAttributes["id"])
        #expect(prefixOne != prefixTwo)
        #expect(Set(one.ids).isDisjoint(with: Set(two.ids)))
        for (svg, prefix) in [(one, prefixOne), (two, prefixTwo)] {
            #expect(prefix.hasPrefix("sf") && prefix.count == 10)
            #expect(Set(svg.ids).count == svg.ids.count, "ids repeat within one graph")
            #expect(svg.ids.allSatisfy { $0.hasPrefix(prefix) })
        }
    }

    @Test func sameProfileWithDifferentStylesGetsDifferentIDs() throws {
        let p = profile([("main;a", 1)])
        let plain = try render(p).1.rootAttributes["id"]
        let blue = try render(p, FlameGraphOptions(background: .blue)).1.rootAttributes["id"]
        let titled = try render(p, FlameGraphOptions(title: "Other")).1.rootAttributes["id"]
        #expect(plain != blue && plain != titled && blue != titled)
        #expect(try render(p).1.rootAttributes["id"] == plain)
    }

    @Test func styleRulesAreScopedToTheGraph() throws {
        let output = try FlameGraph.render(profile([("a", 1)]))
        let text = output.svgText
        let id = try #require(try ParsedSVG(text).rootAttributes["id"])
        let style = try #require(
            text.range(of: "<style").flatMap { s in
                text.range(of: "</style>").map { text[s.upperBound..<$0.lowerBound] }
            })
        let rules = style.split(separator: "\n").dropFirst().filter { $0.contains("{") }
        #expect(!rules.isEmpty)
        for rule in rules {
            let selectors = rule.prefix { $0 != "{" }.split(separator: ",")
            #expect(selectors.allSatisfy { $0.hasPrefix("#\(id) ") }, "unscoped rule: \(rule)")
        }
    }

    @Test func factorScalesCountsNotWidths() throws {
        let p = profile([("a", 3), ("b", 1)])
        let (_, plain) = try render(p)
        let (_, scaled) = try render(p, FlameGraphOptions(countName: "ns", factor: 1_000_000))
        #expect(scaled.frames.map(\.width) == plain.frames.map(\.width))
        #expect(scaled.frames.first { $0.name == "a" }?.title == "a (3,000,000 ns, 75.00%)")
    }

    @Test func totalSetsTheScale() throws {
        let p = profile([("a", 30), ("b", 10)])
        let (output, svg) = try render(p, FlameGraphOptions(total: 80))
        #expect(output.warnings.isEmpty)
        #expect(svg.frames.first { $0.name == "all" }?.width == 590)
        #expect(svg.frames.first { $0.name == "a" }?.title == "a (30 samples, 37.50%)")
        let (ignored, full) = try render(p, FlameGraphOptions(total: 20))
        #expect(ignored.warnings.count == 1)
        #expect(full.frames.first { $0.name == "all" }?.width == 1180)
    }

    @Test func emptyAndInvalidInputAreErrors() throws {
        #expect(throws: RenderError.self) { try FlameGraph.render(FoldedProfile()) }
        do {
            _ = try FlameGraph.render(profile([("a", 0)]))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .emptyInput)
        }
        do {
            _ = try FlameGraph.render(profile([("a", 5), ("b", -1)]))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalidInput)
        }
        do {
            _ = try FlameGraph.render(profile([("a", .max), ("b", 1)]))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalidInput)
        }
    }

    @Test(arguments: [
        FlameGraphOptions(width: 50), FlameGraphOptions(frameHeight: 1), FlameGraphOptions(fontSize: 0),
        FlameGraphOptions(minWidth: .pixels(-1)), FlameGraphOptions(countName: "bytes (KiB)"),
        FlameGraphOptions(factor: .nan), FlameGraphOptions(total: 0),
    ])
    func optionsOutOfRangeAreErrors(_ options: FlameGraphOptions) {
        do {
            _ = try FlameGraph.render(profile([("a", 1)]), options: options)
            Issue.record("expected an error for \(options)")
        } catch {
            #expect(error.kind == .invalidOption)
        }
    }

    @Test func fontTypeCannotBreakTheStyleSheet() throws {
        let output = try FlameGraph.render(
            profile([("a", 1)]), options: FlameGraphOptions(fontType: "Evil}</style><x>{"))
        #expect(output.svgText.contains("font-family:Evilstylex,sans-serif;"))
    }

    @Test func svgIsCompact() throws {
        // Per frame, everything but the name and label text must stay under 150 bytes; flamegraph.pl
        // writes about 170 for the same frames (tools/bench-flamegraph.sh compares whole files).
        var lines: [(String, Int64)] = []
        for i in 0..<1000 { lines.append(("root;fn_\(i)_abc;leaf_\(i)_ab", 100 + Int64(i))) }
        let output = try FlameGraph.render(profile(lines), options: FlameGraphOptions(minWidth: .pixels(0)))
        let text = output.svgText
        let frames = text[
            text.range(of: "<g class=\"frames\">\n")!.upperBound..<text.range(of: "</g>\n<script")!.lowerBound]
        let parsed = try ParsedSVG(Data(output.svg))
        let nameBytes = parsed.frames.reduce(0) { $0 + $1.name.utf8.count + $1.label.utf8.count }
        let perFrame = Double(frames.utf8.count - nameBytes) / Double(parsed.frames.count)
        #expect(perFrame < 150, "\(perFrame) bytes of markup per frame")
    }

    @Test func scriptIsScopedAndSafeInCDATA() {
        let source = FlameGraphScript.source
        #expect(!source.contains("]]>"))
        #expect(!source.contains("getElementById"))
        #expect(!source.contains("document.getElementsByTagName"))
        // Everything sits in one function expression, so no name leaks into the page.
        let code = source.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code.hasPrefix("(function () {") && code.hasSuffix("})();"))
    }
}
