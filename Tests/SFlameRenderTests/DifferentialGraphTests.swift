// SPDX-License-Identifier: Apache-2.0
//
// The differential flame graph as a user sees it: colour families, tooltips, --negate, escaping.
import SFlameDiff
import SFlameProfile
import SFlameRender
import Testing

struct DifferentialGraphTests {
    /// BEFORE and AFTER of a small service: parse doubles, render stays, poll shrinks, a helper
    /// is new and a legacy path vanished. Totals are equal (100 each).
    static let before = profile([
        ("svc;main;handle;parse", 20), ("svc;main;handle;render", 30), ("svc;main;poll", 46), ("svc;main;legacy", 4),
    ])
    static let after = profile([
        ("svc;main;handle;parse", 38), ("svc;main;handle;parse;tokenize", 2), ("svc;main;handle;render", 30),
        ("svc;main;poll", 30),
    ])

    /// The frames by name, compared as shares (normalized) unless `normalization` says otherwise.
    func frames(
        _ options: FlameGraphOptions = FlameGraphOptions(), normalization: DiffOptions.Normalization = .always
    ) throws -> [String: ParsedFrame] {
        let diff = try ProfileDiff(
            baseline: Self.before, comparison: Self.after, options: DiffOptions(normalization: normalization))
        let svg = try FlameGraph.renderDifferential(diff, options: options)
        return Dictionary(try ParsedSVG(svg.svgText).frames.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func rgb(_ hex: String) throws -> RGBColor { try #require(RGBColor(parsing: hex), "fill \(hex)") }

    @Test func grownFramesAreRedShrunkAreBlueUnchangedAreNearWhite() throws {
        let f = try frames()
        let parse = try rgb(try #require(f["parse"]).fill)
        #expect(parse.red == 255 && parse.green < 100 && parse.blue < 100, "parse grew 20 points: \(parse)")
        let poll = try rgb(try #require(f["poll"]).fill)
        #expect(poll.blue == 255 && poll.red < 140 && poll.green < 140, "poll shrank 16 points: \(poll)")
        let render = try rgb(try #require(f["render"]).fill)
        #expect(render.red >= 250 && render.green >= 250 && render.blue >= 250, "render unchanged: \(render)")
    }

    @Test func changesRollUpToTheCallers() throws {
        let f = try frames()
        // handle's own weight did not change, but its callee parse grew: handle is red too.
        let handle = try rgb(try #require(f["handle"]).fill)
        #expect(handle.red == 255 && handle.green < 150, "\(handle)")
        #expect(try #require(f["handle"]).title.contains("50.00% → 70.00%; +20.00 pts"))
        // main: +20 (handle) − 16 (poll) − 4 (legacy) = 0.
        #expect(try #require(f["main"]).title.hasSuffix("100.00% → 100.00%; 0.00 pts)"))
    }

    @Test func tooltipsGiveBothCountsBothSharesAndTheChange() throws {
        let f = try frames()
        #expect(try #require(f["parse"]).title == "parse (before 20, after 40 samples; 20.00% → 40.00%; +20.00 pts)")
        #expect(
            try #require(f["tokenize"]).title == "tokenize (before 0, after 2 samples; 0.00% → 2.00%; +2.00 pts; new)")
        // Not normalized: the change is in samples, and as a fraction of the drawn total.
        let counts = try frames(FlameGraphOptions(countName: "calls"), normalization: .never)
        #expect(
            try #require(counts["poll"]).title
                == "poll (before 46, after 30 calls; 46.00% → 30.00%; -16 calls, -16.00%)")
        #expect(try #require(counts["parse"]).fill == (try #require(try frames()["parse"])).fill)
    }

    @Test func afterShapeHidesVanishedFramesAndNegateShowsThem() throws {
        let f = try frames()
        #expect(f["legacy"] == nil, "legacy has no samples in AFTER, so no width")
        #expect(f["tokenize"] != nil)
        let negated = try frames(FlameGraphOptions(negate: true))
        let legacy = try #require(negated["legacy"], "--negate draws BEFORE's shape")
        #expect(legacy.title == "legacy (before 4, after 0 samples; 4.00% → 0.00%; -4.00 pts; gone)")
        let fill = try rgb(legacy.fill)
        #expect(fill.blue == 255 && fill.red < 255, "a vanished frame shrank: blue, \(fill)")
        #expect(negated["tokenize"] == nil, "tokenize has no samples in BEFORE")
        // Red still means grew in BEFORE's shape.
        let parse = try rgb(try #require(negated["parse"]).fill)
        #expect(parse.red == 255 && parse.green < 100)
        #expect(try #require(negated["parse"]).width < (try #require(f["parse"])).width)
    }

    @Test func normalizationMakesTheChangeAShareChange() throws {
        // AFTER recorded twice as long: every count doubles, no share changes.
        let doubled = FoldedProfile(
            stacks: Self.before.stacks.map { FoldedStack(frames: $0.frames, weight: $0.weight * 2) })
        let svg = try FlameGraph.renderDifferential(baseline: Self.before, comparison: doubled)
        for frame in try ParsedSVG(svg.svgText).frames {
            #expect(frame.fill == "#ffffff", "\(frame.title)")
            #expect(frame.title.hasSuffix("; 0.00 pts)"), "\(frame.title)")
        }
    }

    @Test func namesAreEscapedAndTheScriptFindsTheNameEnd() throws {
        let tricky = "operator<<(std::ostream&, \"x\")"
        let before = profile([("main;\(tricky)", 10), ("main;a", 10)])
        let after = profile([("main;\(tricky)", 15), ("main;a", 5)])
        let svg = try FlameGraph.renderDifferential(baseline: before, comparison: after).svgText
        #expect(svg.contains("operator&lt;&lt;(std::ostream&amp;, &quot;x&quot;)"))
        let parsed = try ParsedSVG(svg)
        let frame = try #require(parsed.frames.first { $0.title.hasPrefix("operator") })
        // The script takes the name up to the tooltip's last " (": the details must not add one.
        #expect(frame.name == tricky)
        #expect(parsed.controls["title"] == "Differential Flame Graph")
    }

    @Test func aFlameChartCannotBeDifferential() {
        #expect(throws: RenderError.self) {
            try FlameGraph.renderDifferential(
                baseline: Self.before, comparison: Self.after, options: FlameGraphOptions(flameChart: true))
        }
    }

    @Test func anEmptySideIsAnEmptyInputError() {
        do {
            _ = try FlameGraph.renderDifferential(baseline: FoldedProfile(), comparison: Self.after)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .emptyInput)
            #expect(error.message.contains("BEFORE"))
        }
    }
}
