// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameRender
import Testing

@testable import SFlameRender

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct MemoryChartTests {
    static let mib = 1_048_576.0

    func data(seconds: Double = 5, title: String = "Memory of api") -> MemoryChartData {
        let times = stride(from: 0.0, through: seconds, by: 0.1)
        let rss = times.map { MemoryChartPoint(time: $0, bytes: (34 + 2 * $0) * Self.mib) }
        let anon = times.map { MemoryChartPoint(time: $0, bytes: (33 + 2 * $0) * Self.mib) }
        return MemoryChartData(
            title: title, subtitle: "PID 42",
            series: [
                MemoryChartSeries(label: "RSS", points: rss, isPrimary: true),
                MemoryChartSeries(label: "anon", points: anon),
            ],
            peak: MemoryChartMarker(
                seriesIndex: 0, time: seconds, bytes: rss.last!.bytes, label: "peak 44.0 MiB at 5.0 s"),
            trend: MemoryChartTrend(
                startTime: 0, startBytes: 34 * Self.mib, endTime: seconds, endBytes: 44 * Self.mib, label: "+2.0 MiB/s"),
            notes: ["Verdict: growing"])
    }

    func text(_ d: MemoryChartData) -> String { String(decoding: MemoryChart.render(d), as: UTF8.self) }

    @Test func theChartHasAxesWithUnitsALegendThePeakAndTheNotes() throws {
        let svg = text(data())
        try expectWellFormed(svg)
        #expect(svg.contains(">memory (MiB)</text>") && svg.contains(">time (s)</text>"))
        #expect(
            svg.contains(">RSS  44.0 MiB</text>") && svg.contains(">anon  43.0 MiB</text>"), "legend with last values")
        #expect(svg.contains("class=\"peak\"") && svg.contains(">peak 44.0 MiB at 5.0 s</text>"))
        #expect(svg.contains("class=\"trend\"") && svg.contains("trend +2.0 MiB/s"))
        #expect(svg.contains(">Verdict: growing</text>"))
        // y ticks 0…50 MiB in steps of 10; x ticks every second up to 5 s.
        for tick in ["0", "10", "20", "30", "40", "50"] {
            #expect(svg.contains("class=\"tick\"") && svg.contains(">\(tick)</text>"))
        }
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(
            !svg.contains("http://") || svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "no external resources")
    }

    @Test func theUnitFollowsTheLargestValue() {
        #expect(ByteUnit.forMaximum(900) == .bytes)
        #expect(ByteUnit.forMaximum(900 * 1024) == .kibibytes)
        #expect(ByteUnit.forMaximum(47_000_000) == .mebibytes)
        #expect(ByteUnit.forMaximum(3 * 1_073_741_824) == .gibibytes)
        var small = data()
        small.series = [
            MemoryChartSeries(
                label: "RSS",
                points: [
                    MemoryChartPoint(time: 0, bytes: 2 * 1_073_741_824),
                    MemoryChartPoint(time: 1, bytes: 3 * 1_073_741_824),
                ])
        ]
        small.peak = nil
        small.trend = nil
        #expect(text(small).contains("memory (GiB)"))
    }

    @Test func niceScales() {
        #expect(ChartScale.nice(maximum: 47.3, targetTicks: 6) == ChartScale(maximum: 50, step: 10))
        #expect(ChartScale.nice(maximum: 0.7, targetTicks: 6).step == 0.2)
        #expect(ChartScale.nice(maximum: 12, targetTicks: 5) == ChartScale(maximum: 12.5, step: 2.5))
        #expect(ChartScale(maximum: 1, step: 0.25).label(0.75) == "0.75")
        #expect(ChartScale(maximum: 50, step: 10).label(20) == "20")
        #expect(ChartScale(maximum: 10, step: 2.5).label(5) == "5", "no needless decimals")
        #expect(ChartScale.nice(maximum: 20, targetTicks: 10, multipliers: [1, 2, 5]).step == 2)
    }

    @Test func namesAreEscaped() throws {
        var d = data(title: "<script>alert(1)</script> & \"x\"")
        d.series[0].label = "R]]>SS</script>"
        let svg = text(d)
        try expectWellFormed(svg)
        #expect(!svg.contains("<script>alert"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(svg.components(separatedBy: "]]>").count - 1 == 1, "only the CDATA end of the script")
    }

    @Test func longTimelinesAreDecimatedToThePixelGridKeepingPeaks() {
        // An hour at 10 Hz with one spike.
        var points = (0..<36_000).map { MemoryChartPoint(time: Double($0) / 10, bytes: 100 * Self.mib) }
        points[20_000].bytes = 400 * Self.mib
        let kept = MemoryChartWriter.decimate(points, columns: 870, timeEnd: 3599.9)
        #expect(kept.count <= 2 * 870 + 1)
        #expect(kept.contains { $0.bytes == 400 * Self.mib }, "the spike survives")
        #expect(kept.last == points.last)
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.time <= $1.time })
    }

    @Test func gapsInTheReadingsBreakTheLine() {
        var d = data()
        d.series = [
            MemoryChartSeries(
                label: "RSS",
                points: [0, 0.1, 0.2, 0.3, 3.0, 3.1, 3.2].map { MemoryChartPoint(time: $0, bytes: Self.mib) })
        ]
        d.peak = nil
        #expect(text(d).components(separatedBy: "<polyline").count - 1 == 2)
    }

    @Test func aMessageChartForEmptyOutputs() throws {
        let svg = String(
            decoding: MemoryChart.message(title: "Outstanding allocations", text: "Nothing <left>"), as: UTF8.self)
        try expectWellFormed(svg)
        #expect(svg.contains("Nothing &lt;left&gt;"))
    }

    func expectWellFormed(_ svg: String) throws {
        let parser = XMLParser(data: Data(svg.utf8))
        let ok = parser.parse()
        #expect(ok, "not well-formed XML: \(String(describing: parser.parserError)) at line \(parser.lineNumber)")
    }
}

@Suite(
    .serialized,
    .enabled(
        if: Chromium.path != nil, "needs the `chromium` binary (apt-get install -y chromium; tools/setup installs it)"))
struct MemoryChartChromiumTests {
    @Test func theReadOutShowsTheValuesAtATime() throws {
        let dir = try ProcessRunner.temporaryDirectory("chromium-mem")
        let url = dir.appendingPathComponent("mem.svg")
        try Data(MemoryChart.render(MemoryChartTests().data())).write(to: url)
        let (dom, log) = try Chromium.dumpDOM(of: url, query: "?t=2.04")
        #expect(Chromium.scriptErrors(log).isEmpty, "script errors: \(Chromium.scriptErrors(log))")
        #expect(dom.contains("data-ready=\"1\""), "the script ran")
        #expect(dom.contains("class=\"cursor\" visibility=\"visible\""), "the read-out is shown")
        #expect(dom.contains("t = 2.0 s"))
        #expect(dom.contains("RSS: 38.0 MiB") && dom.contains("anon: 37.0 MiB"), "values at 2.0 s")
    }
}
