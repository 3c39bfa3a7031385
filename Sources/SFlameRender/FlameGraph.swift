// SPDX-License-Identifier: Apache-2.0
//
// SFlameRender draws profiles: flame graphs (plain and differential) as standalone, interactive
// SVG. Design constraints: the module is pure. It uses no FileManager, no Process, no clocks
// and no system calls; it gets values in and hands bytes back, so the same input gives the same
// bytes on every machine (colours come from a stable hash, ids from the content). It may import
// SFlameProfile and SFlameDiff only. The SVG it writes is self-contained (inline style and
// script, no network), escapes every name, and works opened from disk.
//
// Example, folded input and output (long lines wrapped, header and script left out):
//
//   main;hot_a 75
//   main;hot_b 25
//
//   <svg version="1.1" xmlns="http://www.w3.org/2000/svg" id="sf783776a4" class="sflame" width="1200"
//     height="118" viewBox="0 0 1200 118" data-cw="7.08" data-fw="1180" data-nt="Function:">
//   …
//   <g class="frames">
//   <g class="f"><title>all (100 samples, 100.00%)</title><rect x="10" y="69" width="1180" height="15"
//     fill="#f3782a"/><text x="13" y="79.5">all</text></g>
//   <g class="f"><title>main (100 samples, 100.00%)</title><rect x="10" y="53" width="1180" height="15"
//     fill="#e06109"/><text x="13" y="63.5">main</text></g>
//   <g class="f"><title>hot_a (75 samples, 75.00%)</title><rect x="10" y="37" width="885" height="15"
//     fill="#fb7326"/><text x="13" y="47.5">hot_a</text></g>
//   <g class="f"><title>hot_b (25 samples, 25.00%)</title><rect x="895" y="37" width="295" height="15"
//     fill="#f46600"/><text x="898" y="47.5">hot_b</text></g>
//   </g>
//   <script type="text/ecmascript"><![CDATA[ … ]]></script>
//   </svg>

import SFlameDiff
import SFlameProfile

/// Renders flame graphs.
public enum FlameGraph {
    /// Renders `profile` as an interactive SVG flame graph.
    ///
    /// Shape: frames are merged into a tree (siblings sorted by name bytewise, or kept in input
    /// order for a flame chart); widths are proportional to weight; frames narrower than
    /// `options.minWidth` are left out with their descendants.
    ///
    /// - Parameters:
    ///   - profile: folded stacks, root first; they need not be merged or sorted.
    ///   - options: see `FlameGraphOptions`; every field has a default.
    /// - Returns: the SVG bytes (UTF-8), colours newly assigned to a consistent palette, and
    ///   warnings for the caller to show.
    /// - Throws: `RenderError(.emptyInput)` when the total weight is 0,
    ///   `RenderError(.invalidInput)` for negative weights, `RenderError(.invalidOption)` for an
    ///   option out of range.
    /// - Complexity: O(F log S) for F frames in S stacks. In a release build, 100,000 unique
    ///   stacks (1.8 million frames before merging, average depth 18) take about 0.4 s with the
    ///   default minimum width (tools/bench-flamegraph.sh times the whole command).
    public static func render(_ profile: FoldedProfile, options: FlameGraphOptions = FlameGraphOptions())
        throws(RenderError) -> FlameGraphOutput
    {
        try options.validate()
        let layout = try FrameLayout.build(
            profile.stacks, reverse: options.reverse, sortSiblings: !options.flameChart)
        return try draw(layout, options: options)
    }

    /// Renders a differential flame graph of `diff`.
    ///
    /// Widths are AFTER's weights, or BEFORE's when `options.negate` is set (frames only in
    /// the other profile have no width there, so draw both directions to see everything; the
    /// report lists those stacks too). Each frame is coloured by the change of its share
    /// (`DiffTree` rolls changes up, so callers show their callees' change): red where it
    /// grew, blue where it shrank, near-white where it did not change; saturation grows with
    /// the size of the change up to the largest change in the graph, or 5 percentage points
    /// of the total if that is larger. Without normalization (totals within 10 %, see
    /// `ProfileDiff`) the change is in counts, as a fraction of the drawn total. Tooltips give
    /// both counts, both shares and the change, e.g.
    /// `parse (before 300, after 600 samples; 20.00% → 40.00%; +20.00 pts)`.
    ///
    /// Source: the idea and colours of flamegraph.pl's differential mode and difffolded.pl
    /// (Brendan Gregg); the roll-up and the shares are sflame's.
    ///
    /// - Throws: as `render(_:options:)`; `.invalidOption` for a flame chart, which has no
    ///   merged frames to compare.
    public static func renderDifferential(_ diff: ProfileDiff, options: FlameGraphOptions = FlameGraphOptions())
        throws(RenderError) -> FlameGraphOutput
    {
        try options.validate()
        guard !options.flameChart else {
            throw RenderError(.invalidOption, "a differential graph cannot be a flame chart: leave out --flamechart")
        }
        let tree = diff.callTree(reversed: options.reverse)
        var differential = options
        if differential.title == nil { differential.title = "Differential Flame Graph" }
        let drawnTotal = options.negate ? tree.baselineWeight[0] : tree.comparisonWeight[0]
        let minWeight = FlameGraphWriter.minimumWeight(options: options, scaleTotal: scaleTotal(drawnTotal, options))
        let layout = FrameLayout.build(tree, diff: diff, drawsBaseline: options.negate, minWeight: minWeight)
        return try draw(layout, options: differential)
    }

    /// Renders a differential flame graph of `comparison` against `baseline`, normalized
    /// automatically (see `ProfileDiff` and `renderDifferential(_:options:)`).
    ///
    /// - Throws: `RenderError(.emptyInput)` when either profile has no weight; otherwise as
    ///   `renderDifferential(_:options:)`.
    public static func renderDifferential(
        baseline: FoldedProfile, comparison: FoldedProfile, options: FlameGraphOptions = FlameGraphOptions()
    ) throws(RenderError) -> FlameGraphOutput {
        let diff: ProfileDiff
        do {
            diff = try ProfileDiff(baseline: baseline, comparison: comparison)
        } catch {
            throw RenderError(error.kind == .emptyInput ? .emptyInput : .invalidInput, error.message)
        }
        return try renderDifferential(diff, options: options)
    }

    static func draw(_ layout: FrameLayout, options: FlameGraphOptions) throws(RenderError)
        -> FlameGraphOutput
    {
        guard layout.total > 0 else {
            throw RenderError(
                .emptyInput,
                "no samples to draw (no stacks, or every count is 0): check that the profile recorded anything")
        }
        var warnings: [String] = []
        if let total = options.total, total < layout.total {
            warnings.append("the given total \(total) is less than the input's total \(layout.total); ignored it")
        }
        var writer = FlameGraphWriter(layout: layout, options: options, scaleTotal: scaleTotal(layout.total, options))
        let svg = writer.write()
        return FlameGraphOutput(
            svg: svg, newPaletteColors: writer.newPaletteColors, frameCount: writer.drawnFrames,
            prunedFrameCount: layout.count - writer.drawnFrames + layout.prunedCount, warnings: warnings)
    }

    /// The weight the full width stands for: `options.total` when it is at least the input's
    /// total, else the input's total.
    static func scaleTotal(_ total: Int64, _ options: FlameGraphOptions) -> Int64 {
        if let given = options.total, given >= total { return given }
        return total
    }
}

/// The result of rendering a flame graph.
public struct FlameGraphOutput: Sendable {
    /// The SVG document, UTF-8.
    public var svg: [UInt8]
    /// Colours given to names that `FlameGraphOptions.consistentPalette` did not have; empty
    /// when no consistent palette was used. Add them to the palette map to keep them next time.
    public var newPaletteColors: [String: RGBColor]
    /// Frames drawn, including the root.
    public var frameCount: Int
    /// Frames left out for being narrower than the minimum width.
    public var prunedFrameCount: Int
    /// Things the caller should tell the user, e.g. an ignored `total`.
    public var warnings: [String]

    /// The SVG document as text.
    public var svgText: String { String(decoding: svg, as: UTF8.self) }
}
