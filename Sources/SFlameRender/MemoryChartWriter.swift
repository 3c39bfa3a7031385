// SPDX-License-Identifier: Apache-2.0

/// Lays out and writes one memory chart (see `MemoryChart`).
struct MemoryChartWriter {
    let data: MemoryChartData
    let options: MemoryChartOptions
    private var out = SVGBuffer(reservingCapacity: 64 * 1024)

    // Layout, pixels.
    private let left = 90.0
    private let legendWidth = 240.0
    private let plotTop = 72.0
    private var plotRight: Double { Double(options.width) - legendWidth }
    private var plotBottom: Double { plotTop + Double(options.plotHeight) }
    private var plotWidth: Double { plotRight - left }
    private var height: Int { Int(plotBottom + 70 + 18 * Double(data.notes.count) + 10) }

    // Scales.
    private let unit: ByteUnit
    private let yScale: ChartScale
    private let timeEnd: Double
    private let timeStep: Double
    /// The points drawn per series (decimated to the pixel grid).
    private let drawn: [[MemoryChartPoint]]

    init(data: MemoryChartData, options: MemoryChartOptions) {
        self.data = data
        self.options = options
        var maximum = data.series.flatMap(\.points).map(\.bytes).max() ?? 0
        if let trend = data.trend { maximum = max(maximum, trend.startBytes, trend.endBytes) }
        unit = ByteUnit.forMaximum(maximum)
        yScale = ChartScale.nice(maximum: max(maximum * 1.04, 1) / unit.divisor, targetTicks: 6)
        let lastTime = data.series.compactMap { $0.points.last?.time }.max() ?? 0
        timeEnd = lastTime > 0 ? lastTime : 1
        timeStep = ChartScale.nice(maximum: timeEnd, targetTicks: 10, multipliers: [1, 2, 5]).step
        let columns = Int(Double(options.width) - 90 - 240)
        drawn = data.series.map {
            Self.decimate($0.points, columns: max(columns, 1), timeEnd: lastTime > 0 ? lastTime : 1)
        }
    }

    mutating func write() -> [UInt8] {
        header()
        axes()
        for (index, series) in data.series.enumerated() { line(series, points: drawn[index], color: color(index)) }
        trend()
        peak()
        legend()
        notes()
        cursor()
        out.append("</svg>\n")
        return out.bytes
    }

    // MARK: Coordinates

    private func x(_ time: Double) -> Double { left + time / timeEnd * plotWidth }
    private func y(_ bytes: Double) -> Double {
        plotBottom - bytes / unit.divisor / yScale.maximum * (plotBottom - plotTop)
    }

    private func color(_ index: Int) -> RGBColor {
        data.series[index].color ?? MemoryChart.palette[index % MemoryChart.palette.count]
    }

    // MARK: Parts

    private mutating func header() {
        let w = options.width
        out.append("<?xml version=\"1.0\" standalone=\"no\"?>\n")
        out.append("<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" class=\"sflame-mem\" width=\"\(w)\" ")
        out.append("height=\"\(height)\" viewBox=\"0 0 \(w) \(height)\" font-family=\"")
        out.appendEscaped(options.fontType)
        out.append("\" font-size=\"")
        out.appendDecimal(options.fontSize)
        out.append("\">\n<style>text{fill:#222}.axis{stroke:#444;stroke-width:1}.grid{stroke:#e3e3e3;stroke-width:1}")
        out.append(".series{fill:none;stroke-linejoin:round;stroke-linecap:round}.tick{fill:#555}")
        // A white halo keeps labels readable where they cross a line.
        out.append(
            ".peak-label,.trend-label{paint-order:stroke;stroke:#ffffff;stroke-width:4px;stroke-linejoin:round}</style>\n"
        )
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n")
        text(x: Double(w) / 2, y: 28, anchor: "middle", size: options.fontSize + 5, data.title, cssClass: "title")
        if !data.subtitle.isEmpty {
            text(x: Double(w) / 2, y: 50, anchor: "middle", size: options.fontSize, data.subtitle, fill: "#555555")
        }
    }

    private mutating func axes() {
        // Grid and y ticks.
        for tick in yScale.ticks {
            let py = plotBottom - tick / yScale.maximum * (plotBottom - plotTop)
            hline(py, cssClass: tick == 0 ? "axis" : "grid")
            text(
                x: left - 8, y: py + 4, anchor: "end", size: options.fontSize - 1, yScale.label(tick), cssClass: "tick")
        }
        // x ticks.
        var t = 0.0
        let xTicks = ChartScale(maximum: timeEnd, step: timeStep)
        while t <= timeEnd + timeStep * 1e-6 {
            let px = x(t)
            out.append("<line class=\"grid\"")
            lineEnds(x1: px, y1: plotTop, x2: px, y2: plotBottom)
            text(
                x: px, y: plotBottom + 18, anchor: "middle", size: options.fontSize - 1, xTicks.label(t),
                cssClass: "tick")
            t += timeStep
        }
        // Axis lines and titles.
        out.append("<line class=\"axis\"")
        lineEnds(x1: left, y1: plotTop, x2: left, y2: plotBottom)
        text(x: (left + plotRight) / 2, y: plotBottom + 40, anchor: "middle", size: options.fontSize, "time (s)")
        let midY = (plotTop + plotBottom) / 2
        out.append("<text x=\"24\" y=\"")
        out.appendDecimal(midY)
        out.append("\" text-anchor=\"middle\" transform=\"rotate(-90 24 ")
        out.appendDecimal(midY)
        out.append(")\">memory (")
        out.appendEscaped(unit.name)
        out.append(")</text>\n")
    }

    private mutating func line(_ series: MemoryChartSeries, points: [MemoryChartPoint], color: RGBColor) {
        guard !points.isEmpty else { return }
        let gap = Self.gapThreshold(points)
        var segments: [[MemoryChartPoint]] = [[]]
        for (i, p) in points.enumerated() {
            if i > 0 && p.time - points[i - 1].time > gap { segments.append([]) }
            segments[segments.count - 1].append(p)
        }
        out.append("<g class=\"line\"><title>")
        out.appendEscaped(series.label)
        out.append("</title>\n")
        for segment in segments {
            out.append("<polyline class=\"series\" stroke=\"")
            out.append(color.css)
            out.append("\" stroke-width=\"")
            out.append(series.isPrimary ? "2.5" : "1.5")
            if let dash = series.dash {
                out.append("\" stroke-dasharray=\"")
                out.appendEscaped(dash)
            }
            out.append("\" points=\"")
            for (i, p) in segment.enumerated() {
                if i > 0 { out.append(" ") }
                out.appendDecimal(x(p.time))
                out.append(",")
                out.appendDecimal(y(p.bytes))
            }
            out.append("\"/>\n")
        }
        out.append("</g>\n")
    }

    private mutating func trend() {
        guard let t = data.trend else { return }
        let x1 = x(t.startTime)
        let x2 = x(t.endTime)
        let y1 = min(max(y(t.startBytes), plotTop), plotBottom)
        let y2 = min(max(y(t.endBytes), plotTop), plotBottom)
        out.append("<line class=\"trend\" stroke=\"#333333\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"")
        lineEnds(x1: x1, y1: y1, x2: x2, y2: y2)
        // The label sits under the middle of the line (above it near the bottom), away from the
        // peak marker, which is usually at an end.
        let mx = (x1 + x2) / 2
        let my = (y1 + y2) / 2
        text(
            x: mx, y: my > plotBottom - 30 ? my - 10 : my + 20, anchor: "middle", size: options.fontSize - 1,
            "trend " + t.label, cssClass: "trend-label", fill: "#333333")
    }

    private mutating func peak() {
        guard let p = data.peak, data.series.indices.contains(p.seriesIndex) else { return }
        let px = x(p.time)
        let py = y(p.bytes)
        out.append("<circle class=\"peak\" r=\"5\" fill=\"#ffffff\" stroke-width=\"2\" stroke=\"")
        out.append(color(p.seriesIndex).css)
        out.append("\" cx=\"")
        out.appendDecimal(px)
        out.append("\" cy=\"")
        out.appendDecimal(py)
        out.append("\"/>\n")
        let anchor = px > left + plotWidth * 0.6 ? "end" : "start"
        let dx = anchor == "end" ? -9.0 : 9.0
        let ty = py < plotTop + 20 ? py + 18 : py - 9
        text(x: px + dx, y: ty, anchor: anchor, size: options.fontSize, p.label, cssClass: "peak-label", weight: "bold")
    }

    private mutating func legend() {
        let lx = plotRight + 24
        var ly = plotTop + 8
        for (index, series) in data.series.enumerated() {
            out.append("<line stroke=\"")
            out.append(color(index).css)
            out.append("\" stroke-width=\"")
            out.append(series.isPrimary ? "3" : "2")
            if let dash = series.dash {
                out.append("\" stroke-dasharray=\"")
                out.appendEscaped(dash)
            }
            out.append("\"")
            lineEnds(x1: lx, y1: ly - 4, x2: lx + 22, y2: ly - 4)
            var label = series.label
            if let last = series.points.last { label += "  " + Self.format(last.bytes) }
            text(x: lx + 30, y: ly, anchor: "start", size: options.fontSize, label, cssClass: "legend")
            ly += 20
        }
        if data.peak != nil {
            out.append("<circle r=\"4\" fill=\"#ffffff\" stroke=\"#333333\" stroke-width=\"2\" cx=\"")
            out.appendDecimal(lx + 11)
            out.append("\" cy=\"")
            out.appendDecimal(ly - 4)
            out.append("\"/>\n")
            text(x: lx + 30, y: ly, anchor: "start", size: options.fontSize, "peak", cssClass: "legend")
            ly += 20
        }
        if data.trend != nil {
            out.append("<line stroke=\"#333333\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"")
            lineEnds(x1: lx, y1: ly - 4, x2: lx + 22, y2: ly - 4)
            text(x: lx + 30, y: ly, anchor: "start", size: options.fontSize, "least-squares trend", cssClass: "legend")
        }
    }

    private mutating func notes() {
        var ny = plotBottom + 66
        for note in data.notes {
            text(x: left, y: ny, anchor: "start", size: options.fontSize, note, cssClass: "note")
            ny += 18
        }
    }

    /// The hover read-out: a vertical line and the values at the nearest reading.
    private mutating func cursor() {
        out.append("<rect class=\"hover\" fill=\"transparent\" x=\"")
        out.appendDecimal(left)
        out.append("\" y=\"")
        out.appendDecimal(plotTop)
        out.append("\" width=\"")
        out.appendDecimal(plotWidth)
        out.append("\" height=\"")
        out.appendDecimal(plotBottom - plotTop)
        out.append("\"/>\n<g class=\"cursor\" visibility=\"hidden\" pointer-events=\"none\">")
        out.append("<line stroke=\"#888888\" stroke-width=\"1\" y1=\"")
        out.appendDecimal(plotTop)
        out.append("\" y2=\"")
        out.appendDecimal(plotBottom)
        out.append("\"/><rect fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#999999\" rx=\"3\"/><text/></g>\n")
        // Data for the script: per series its label, colour and the drawn points (seconds, bytes).
        out.append("<script type=\"text/ecmascript\"><![CDATA[\nvar sflameMemData = {\"left\":")
        out.appendDecimal(left)
        out.append(",\"width\":")
        out.appendDecimal(plotWidth)
        out.append(",\"end\":")
        out.appendFixed(timeEnd, decimals: 3, trimZeros: true)
        out.append(",\"series\":[")
        for (index, series) in data.series.enumerated() {
            if index > 0 { out.append(",") }
            out.append("{\"label\":")
            out.append(Self.jsonString(series.label))
            out.append(",\"color\":\"")
            out.append(color(index).css)
            out.append("\",\"t\":[")
            for (i, p) in drawn[index].enumerated() {
                if i > 0 { out.append(",") }
                out.appendFixed(p.time, decimals: 3, trimZeros: true)
            }
            out.append("],\"v\":[")
            for (i, p) in drawn[index].enumerated() {
                if i > 0 { out.append(",") }
                out.appendFixed(p.bytes, decimals: 0)
            }
            out.append("]}")
        }
        out.append("]};\n")
        out.append(MemoryChartScript.source)
        out.append("\n]]></script>\n")
    }

    // MARK: Helpers

    /// The end of a `<line …` element: ` x1="…" y1="…" x2="…" y2="…"/>` and a newline, in
    /// user units (px) of the chart.
    private mutating func lineEnds(x1: Double, y1: Double, x2: Double, y2: Double) {
        out.append(" x1=\"")
        out.appendDecimal(x1)
        out.append("\" y1=\"")
        out.appendDecimal(y1)
        out.append("\" x2=\"")
        out.appendDecimal(x2)
        out.append("\" y2=\"")
        out.appendDecimal(y2)
        out.append("\"/>\n")
    }

    private mutating func hline(_ py: Double, cssClass: String) {
        out.append("<line class=\"\(cssClass)\"")
        lineEnds(x1: left, y1: py, x2: plotRight, y2: py)
    }

    private mutating func text(
        x: Double, y: Double, anchor: String, size: Double, _ content: String, cssClass: String? = nil,
        fill: String? = nil, weight: String? = nil
    ) {
        out.append("<text")
        if let cssClass { out.append(" class=\"\(cssClass)\"") }
        out.append(" x=\"")
        out.appendDecimal(x)
        out.append("\" y=\"")
        out.appendDecimal(y)
        out.append("\" text-anchor=\"\(anchor)\" font-size=\"")
        out.appendDecimal(size)
        out.append("\"")
        if let fill { out.append(" style=\"fill:\(fill)\"") }
        if let weight { out.append(" font-weight=\"\(weight)\"") }
        out.append(">")
        out.appendEscaped(content)
        out.append("</text>\n")
    }

    /// "44.3 MiB".
    static func format(_ bytes: Double) -> String {
        let unit = ByteUnit.forMaximum(bytes)
        var b = SVGBuffer()
        b.appendFixed(bytes / unit.divisor, decimals: unit.divisor == 1 ? 0 : 1)
        return String(decoding: b.bytes, as: UTF8.self) + " " + unit.name
    }

    /// A JSON string literal that is also safe inside CDATA (no `]]>`) and a script (no `</`).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<", ">", "&", "]":
                out += "\\u00" + String(scalar.value, radix: 16)
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A time step that breaks the line: three times the median step between readings.
    static func gapThreshold(_ points: [MemoryChartPoint]) -> Double {
        guard points.count > 2 else { return .infinity }
        var steps = (1..<points.count).map { points[$0].time - points[$0 - 1].time }
        steps.sort()
        return max(steps[steps.count / 2] * 3, 1e-9)
    }

    /// At most the lowest and highest point per pixel column, in time order, so a long timeline
    /// keeps its peaks without thousands of points per column.
    static func decimate(_ points: [MemoryChartPoint], columns: Int, timeEnd: Double) -> [MemoryChartPoint] {
        guard points.count > 2 * columns else { return points }
        var result: [MemoryChartPoint] = []
        result.reserveCapacity(2 * columns + 2)
        var bucket: [MemoryChartPoint] = []
        var current = -1
        func flush() {
            guard let low = bucket.min(by: { $0.bytes < $1.bytes }), let high = bucket.max(by: { $0.bytes < $1.bytes })
            else { return }
            if low == high {
                result.append(low)
            } else if low.time <= high.time {
                result.append(low)
                result.append(high)
            } else {
                result.append(high)
                result.append(low)
            }
        }
        for p in points {
            let column = min(columns - 1, Int(p.time / timeEnd * Double(columns)))
            if column != current {
                flush()
                bucket.removeAll(keepingCapacity: true)
                current = column
            }
            bucket.append(p)
        }
        flush()
        if let last = points.last, result.last != last { result.append(last) }
        return result
    }
}
