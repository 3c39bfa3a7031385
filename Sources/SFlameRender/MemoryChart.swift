// SPDX-License-Identifier: Apache-2.0
//
// A memory timeline as a self-contained SVG line chart: series of byte values over seconds,
// axes with units (seconds; B/KiB/MiB/GiB picked from the largest value), a legend with each
// series' last value, the peak of the first series marked, an optional dashed trend line, notes
// under the plot, and a hover read-out (a small inline script; the chart reads the same without
// it). Example input and output (abridged):
//
//   MemoryChartData(title: "Memory of api", series: [
//       MemoryChartSeries(label: "RSS", points: [(0, 33_554_432), (1, 35_651_584)])],
//       peak: MemoryChartMarker(seriesIndex: 0, time: 1, bytes: 35_651_584, label: "peak 34.0 MiB at 1.0 s"))
//   ──► <svg … class="sflame-mem" width="1200" height="620" …>
//         <text … class="title">Memory of api</text> … <text …>memory (MiB)</text> …
//         <polyline class="series" stroke="rgb(31,78,160)" points="80,… 1000,…"/> …
//         <circle class="peak" …/><text …>peak 34.0 MiB at 1.0 s</text> …

/// One point of a series: seconds since the start, bytes.
public struct MemoryChartPoint: Hashable, Sendable {
    public var time: Double
    public var bytes: Double

    public init(time: Double, bytes: Double) {
        self.time = time
        self.bytes = bytes
    }
}

/// One line of the chart.
public struct MemoryChartSeries: Hashable, Sendable {
    public var label: String
    /// In time order. A gap in time larger than three times the median step breaks the line.
    public var points: [MemoryChartPoint]
    /// Nil picks the next colour of the chart's palette.
    public var color: RGBColor?
    /// Drawn thicker: the series the chart is about (RSS).
    public var isPrimary: Bool
    /// An SVG `stroke-dasharray` ("2 3" dotted), for a series that often lies on another one; nil
    /// for a solid line.
    public var dash: String?

    public init(
        label: String, points: [MemoryChartPoint], color: RGBColor? = nil, isPrimary: Bool = false, dash: String? = nil
    ) {
        self.label = label
        self.points = points
        self.color = color
        self.isPrimary = isPrimary
        self.dash = dash
    }
}

/// A marked point (the peak).
public struct MemoryChartMarker: Hashable, Sendable {
    public var seriesIndex: Int
    public var time: Double
    public var bytes: Double
    public var label: String

    public init(seriesIndex: Int, time: Double, bytes: Double, label: String) {
        self.seriesIndex = seriesIndex
        self.time = time
        self.bytes = bytes
        self.label = label
    }
}

/// A straight dashed line from (startTime, startBytes) to (endTime, endBytes), such as a
/// least-squares fit, with a label at its end.
public struct MemoryChartTrend: Hashable, Sendable {
    public var startTime: Double
    public var startBytes: Double
    public var endTime: Double
    public var endBytes: Double
    public var label: String

    public init(startTime: Double, startBytes: Double, endTime: Double, endBytes: Double, label: String) {
        self.startTime = startTime
        self.startBytes = startBytes
        self.endTime = endTime
        self.endBytes = endBytes
        self.label = label
    }
}

/// What a memory chart shows.
public struct MemoryChartData: Hashable, Sendable {
    public var title: String
    public var subtitle: String
    public var series: [MemoryChartSeries]
    public var peak: MemoryChartMarker?
    public var trend: MemoryChartTrend?
    /// Lines of text under the plot (the verdict).
    public var notes: [String]

    public init(
        title: String, subtitle: String = "", series: [MemoryChartSeries], peak: MemoryChartMarker? = nil,
        trend: MemoryChartTrend? = nil, notes: [String] = []
    ) {
        self.title = title
        self.subtitle = subtitle
        self.series = series
        self.peak = peak
        self.trend = trend
        self.notes = notes
    }
}

/// Size and fonts of a memory chart. Defaults in parentheses.
public struct MemoryChartOptions: Hashable, Sendable {
    /// Width in pixels (1200).
    public var width = 1200
    /// Height of the plot area in pixels (420); titles, axes and notes add to it.
    public var plotHeight = 420
    /// Font family ("Verdana, sans-serif").
    public var fontType = "Verdana, sans-serif"
    /// Font size of labels in pixels (12).
    public var fontSize = 12.0

    public init() {}
}

/// Renders memory charts.
public enum MemoryChart {
    /// The SVG of a chart, UTF-8. Every name is escaped; the output depends only on the input.
    public static func render(_ data: MemoryChartData, options: MemoryChartOptions = MemoryChartOptions()) -> [UInt8] {
        var writer = MemoryChartWriter(data: data, options: options)
        return writer.write()
    }

    /// A small SVG with a title and a message, for an output that has nothing to show (an empty
    /// leak profile) but must still be written.
    public static func message(title: String, text: String, options: MemoryChartOptions = MemoryChartOptions())
        -> [UInt8]
    {
        var out = SVGBuffer()
        let width = options.width
        out.append("<?xml version=\"1.0\" standalone=\"no\"?>\n")
        out.append("<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"120\" ")
        out.append("viewBox=\"0 0 \(width) 120\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n")
        out.append("<text x=\"\(width / 2)\" y=\"40\" text-anchor=\"middle\" font-family=\"")
        out.appendEscaped(options.fontType)
        out.append("\" font-size=\"17\">")
        out.appendEscaped(title)
        out.append("</text>\n<text x=\"\(width / 2)\" y=\"80\" text-anchor=\"middle\" font-family=\"")
        out.appendEscaped(options.fontType)
        out.append("\" font-size=\"12\" fill=\"#555555\">")
        out.appendEscaped(text)
        out.append("</text>\n</svg>\n")
        return out.bytes
    }

    /// The default colours, in series order: dark blue, orange-red, green, purple, teal, grey.
    public static let palette: [RGBColor] = [
        RGBColor(red: 31, green: 78, blue: 160), RGBColor(red: 214, green: 86, blue: 35),
        RGBColor(red: 46, green: 139, blue: 60), RGBColor(red: 128, green: 70, blue: 160),
        RGBColor(red: 23, green: 150, blue: 160), RGBColor(red: 110, green: 110, blue: 110),
        RGBColor(red: 190, green: 150, blue: 20),
    ]
}
