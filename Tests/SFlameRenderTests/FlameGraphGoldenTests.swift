// SPDX-License-Identifier: Apache-2.0
//
// Golden tests of the SVG (without its script): Fixtures/flamegraph/<case>.folded in,
// Fixtures/flamegraph/expected/<case>.svg out. Re-record with SFLAME_RECORD_GOLDENS=1.
import Foundation
import SFlameProfile
import SFlameRender
import SFlameTestSupport
import Testing

struct FlameGraphGoldenTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var options: FlameGraphOptions
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "basic", options: FlameGraphOptions()),
        Case(
            name: "icicle-mem",
            options: FlameGraphOptions(
                title: "Allocations", subtitle: "bytes by call site", width: 800, frameHeight: 18, fontSize: 11,
                fontType: "DejaVu Sans", countName: "bytes", nameType: "Site:", notes: "fixture: icicle-mem",
                colors: .mem, inverted: true)),
        Case(name: "flamechart", options: FlameGraphOptions(flameChart: true)),
        Case(name: "escaping", options: FlameGraphOptions(title: "Escaping <&> \"quotes\" 'apostrophes'")),
        Case(
            name: "java-palette",
            options: FlameGraphOptions(colors: .java, background: .flat(RGBColor(red: 255, green: 255, blue: 255)))),
        Case(
            name: "basic-reverse-factor",
            options: FlameGraphOptions(minWidth: .percent(2), reverse: true, factor: 10_000)),
    ]

    static func input(_ name: String) throws -> FoldedProfile {
        let file = name == "basic-reverse-factor" ? "basic" : name
        return try FoldedProfile.parse(goldenFiles.fixture("flamegraph/\(file).folded"), source: file).profile
    }

    @Test(arguments: cases)
    func svgMatchesGolden(_ c: Case) throws {
        let output = try FlameGraph.render(Self.input(c.name), options: c.options)
        let svg = output.svgText
        _ = try ParsedSVG(svg)
        #expect(goldenFiles.mismatch(GoldenFiles.withoutScript(svg), golden: "flamegraph/expected/\(c.name).svg") == nil)
    }

    @Test(arguments: [false, true])
    func differentialSVGMatchesGolden(negate: Bool) throws {
        let before = try FoldedProfile.parse(goldenFiles.fixture("flamegraph/differential.before.folded")).profile
        let after = try FoldedProfile.parse(goldenFiles.fixture("flamegraph/differential.after.folded")).profile
        let svg = try FlameGraph.renderDifferential(
            baseline: before, comparison: after, options: FlameGraphOptions(negate: negate)
        ).svgText
        _ = try ParsedSVG(svg)
        let name = negate ? "differential-negate" : "differential"
        #expect(goldenFiles.mismatch(GoldenFiles.withoutScript(svg), golden: "flamegraph/expected/\(name).svg") == nil)
    }
}
