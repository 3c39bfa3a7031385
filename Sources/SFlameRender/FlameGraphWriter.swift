// SPDX-License-Identifier: Apache-2.0
//
// Writes a laid-out flame graph as SVG. Geometry, in pixels (flamegraph.pl's):
//
//   ┌──────────────────────── width ─────────────────────────┐
//   │ Reset Zoom            title (y = 2·font)       Search ic │  top pad    3·font (+ 2·font subtitle)
//   │ ┌leaf┐                                                  │
//   │ ├────┴ frames, frameHeight each (1 px gap) ───────────┐ │
//   │ └all──────────────────────────────────────────────────┘ │
//   │ details line                              Matched: 75%  │  bottom pad 2·font + 10
//   └─────────────────────────────────────────────────────────┘   side pads 10
//
// One frame is one line:
//
//   <g class="f"><title>hot_a (75 samples, 75.00%)</title><rect x="10" y="37" width="885"
//   height="15" fill="#fb7326"/><text x="13" y="47.5">hot_a</text></g>

/// Writes one flame graph; used once.
struct FlameGraphWriter {
    private let layout: FrameLayout
    private let options: FlameGraphOptions
    private var colorer: FrameColorer

    /// Side padding.
    private let xPad = FlameGraphWriter.sidePadding
    static let sidePadding = 10.0
    /// The weight the full width stands for.
    private let scaleTotal: Int64
    /// Pixels per unit of weight.
    private let scale: Double
    /// Width of one label character.
    private let charWidth: Double
    /// Frames narrower than this many weight units are left out.
    private let minWeight: Double

    /// Display names and labels, per distinct name.
    private var names: FrameNames
    /// Packed fills per distinct name, `.max` until computed; used when `cachesColors`.
    private var colorCache: [UInt32]
    /// Whether a fill depends on the name alone (not on randomness or the frame's position).
    private let cachesColors: Bool
    /// The escaped count name.
    private let countName: [UInt8]

    /// The change (a fraction of the total) drawn fully saturated in a differential graph.
    private var fullChange = FlameGraphWriter.minimumFullChange
    /// Changes smaller than this still do not saturate a colour: 5 percentage points.
    static let minimumFullChange = 0.05

    private(set) var drawnFrames = 0
    var newPaletteColors: [String: RGBColor] { colorer.assigned }

    init(layout: FrameLayout, options: FlameGraphOptions, scaleTotal: Int64) {
        self.layout = layout
        self.options = options
        self.colorer = FrameColorer(
            palette: options.colors, mode: options.colorMode, consistentPalette: options.consistentPalette,
            seed: options.randomSeed)
        self.scaleTotal = scaleTotal
        names = FrameNames(layout.names)
        colorCache = Array(repeating: .max, count: layout.names.count)
        cachesColors = colorer.isCacheable && options.colors != .chain && !layout.isDifferential
        countName = SVGBuffer.escaped(options.countName)
        scale = (Double(options.width) - 2 * xPad) / Double(scaleTotal)
        charWidth = options.fontSize * options.fontWidth
        minWeight = FlameGraphWriter.minimumWeight(options: options, scaleTotal: scaleTotal)
    }

    /// The weight of the narrowest frame that is drawn, from `options.minWidth`.
    static func minimumWeight(options: FlameGraphOptions, scaleTotal: Int64) -> Double {
        switch options.minWidth {
        case .pixels(let px): px / ((Double(options.width) - 2 * sidePadding) / Double(scaleTotal))
        case .percent(let pct): Double(scaleTotal) * pct / 100
        }
    }

    /// The whole document.
    mutating func write() -> [UInt8] {
        let (drawn, maxDepth) = countDrawnFrames()
        if let differential = layout.differential {
            for i in 0..<layout.count where Double(layout.width[i]) >= minWeight {
                let change = differential.change(drawn: layout.width[i], other: layout.otherWidth[i]).magnitude
                fullChange = max(fullChange, change)
            }
        }
        let geometry = Geometry(options: options, maxDepth: maxDepth)
        var frames = SVGBuffer(reservingCapacity: drawn * 200)
        writeFrames(into: &frames, geometry: geometry)
        let prefix = idPrefix(frames: frames.bytes)
        var out = SVGBuffer(reservingCapacity: frames.bytes.count + 16_384)
        writeHeader(into: &out, geometry: geometry, prefix: prefix)
        out.append("<g class=\"frames\">\n")
        out.append(bytes: frames.bytes)
        out.append("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n")
        out.append(FlameGraphScript.source)
        out.append("]]></script>\n</svg>\n")
        return out.bytes
    }

    /// How many frames are wide enough to draw, and the deepest depth among them.
    private func countDrawnFrames() -> (count: Int, maxDepth: Int) {
        var count = 0
        var deepest: Int32 = 0
        for i in 0..<layout.count where Double(layout.width[i]) >= minWeight {
            count += 1
            deepest = max(deepest, layout.depth[i])
        }
        return (count, Int(deepest))
    }

    /// Vertical positions that depend on the options and the graph's depth.
    struct Geometry {
        let imageHeight: Double
        let frameHeight: Double
        /// Top of the frame area (icicle) or bottom of it (flame).
        let framesTop: Double
        let framesBottom: Double
        let inverted: Bool

        init(options: FlameGraphOptions, maxDepth: Int) {
            let font = options.fontSize
            let topPad = font * 3 + (options.subtitle == nil ? 0 : font * 2)
            let bottomPad = font * 2 + 10
            frameHeight = Double(options.frameHeight)
            imageHeight = (Double(maxDepth) + 1) * frameHeight + topPad + bottomPad
            framesTop = topPad
            framesBottom = imageHeight - bottomPad
            inverted = options.inverted
        }

        /// The top edge of a frame's rectangle at `depth`.
        func rectY(depth: Int32) -> Double {
            inverted
                ? framesTop + Double(depth) * frameHeight
                : framesBottom - Double(depth + 1) * frameHeight + 1
        }
    }

    /// An id prefix from a hash of everything drawn, so two different graphs on one HTML page do
    /// not share ids: "sf" and eight hex digits.
    private func idPrefix(frames: [UInt8]) -> String {
        var h = StableHash()
        h.combine(frames)
        let background = options.background ?? options.colors.defaultBackground
        // Everything outside the frames that differs between graphs, so that two graphs of one
        // profile with different backgrounds or styles do not share a gradient or style rules.
        for part in [
            options.effectiveTitle, options.subtitle ?? "", options.notes ?? "", options.nameType, options.fontType,
            background.stops.top.hex, background.stops.bottom.hex, options.searchColor.hex,
            "\(options.width) \(options.fontSize) \(options.fontWidth) \(options.inverted)",
        ] {
            h.combine(part.utf8)
            h.combine(0)
        }
        let v = UInt32(truncatingIfNeeded: SplitMix64.mix(h.value))
        let hex = String(v, radix: 16)
        return "sf" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The CSS font family with everything that could end a declaration or rule removed, and a
    /// generic fallback, so a machine without the font still draws sans-serif labels, whose widths
    /// `fontWidth` approximates.
    private var safeFontFamily: String {
        let kept = options.fontType.unicodeScalars.filter {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || " -_,.'\"".unicodeScalars.contains($0)
        }
        let family = String(String.UnicodeScalarView(kept))
        return family.isEmpty ? "sans-serif" : family + ",sans-serif"
    }

    private func writeHeader(into out: inout SVGBuffer, geometry: Geometry, prefix: String) {
        let width = Double(options.width)
        let height = geometry.imageHeight
        let font = options.fontSize
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n")
        out.append("<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" id=\"\(prefix)\" class=\"sflame\"")
        out.append(" width=\"")
        out.appendDecimal(width)
        out.append("\" height=\"")
        out.appendDecimal(height)
        out.append("\" viewBox=\"0 0 ")
        out.appendDecimal(width)
        out.append(" ")
        out.appendDecimal(height)
        out.append("\" data-cw=\"")
        out.appendDecimal(charWidth)
        out.append("\" data-fw=\"")
        out.appendDecimal(width - 2 * xPad)
        out.append("\" data-nt=\"")
        out.appendEscaped(options.nameType)
        out.append(options.inverted ? "\" data-inv=\"1\">\n" : "\">\n")
        out.append("<!-- Flame graph drawn by sflame. Click a frame to zoom; Search or Ctrl-F highlights frames ")
        out.append("matching a regular expression; ?s=REGEX in the URL searches on load. -->\n")
        if let notes = options.notes {
            out.append("<desc>")
            out.appendEscaped(notes)
            out.append("</desc>\n")
        }
        let background = options.background ?? options.colors.defaultBackground
        out.append("<defs><linearGradient id=\"\(prefix)-bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">")
        out.append("<stop offset=\"5%\" stop-color=\"\(background.stops.top.hex)\"/>")
        out.append("<stop offset=\"95%\" stop-color=\"\(background.stops.bottom.hex)\"/></linearGradient></defs>\n")
        writeStyle(into: &out, prefix: prefix)
        out.append("<rect class=\"bg\" width=\"100%\" height=\"100%\" fill=\"url(#\(prefix)-bg)\"/>\n")
        writeText(into: &out, cls: "title", x: (width / 2).rounded(.down), y: font * 2, options.effectiveTitle)
        if let subtitle = options.subtitle {
            writeText(into: &out, cls: "subtitle", x: (width / 2).rounded(.down), y: font * 4, subtitle)
        }
        let bottomTextY = height - (font * 2 + 10) / 2
        writeText(into: &out, cls: "details", x: xPad, y: bottomTextY, " ")
        writeText(into: &out, cls: "unzoom h", x: xPad, y: font * 2, "Reset Zoom")
        writeText(into: &out, cls: "search", x: width - xPad - 100, y: font * 2, "Search")
        writeText(into: &out, cls: "ic", x: width - xPad - 16, y: font * 2, "ic")
        writeText(into: &out, cls: "matched h", x: width - xPad - 100, y: bottomTextY, " ")
    }

    private func writeStyle(into out: inout SVGBuffer, prefix: String) {
        let p = "#" + prefix
        out.append("<style type=\"text/css\">\n")
        out.append("\(p) text{font-family:\(safeFontFamily);font-size:")
        out.appendDecimal(options.fontSize)
        out.append("px;fill:#000}\n\(p) .title{text-anchor:middle;font-size:")
        out.appendDecimal(options.fontSize + 5)
        out.append("px}\n\(p) .subtitle{text-anchor:middle;fill:#a0a0a0}\n")
        out.append("\(p) .search,\(p) .ic{opacity:.1;cursor:pointer}\n")
        out.append("\(p) .search:hover,\(p) .search.on,\(p) .ic:hover,\(p) .ic.on{opacity:1}\n")
        out.append("\(p) .unzoom{cursor:pointer}\n\(p) .f{cursor:pointer}\n\(p) .f rect{rx:2px;ry:2px}\n")
        out.append("\(p) .f:hover rect{stroke:#000;stroke-width:.5}\n")
        out.append("\(p) .f.m rect{fill:\(options.searchColor.hex)}\n")
        out.append("\(p) .h{display:none}\n\(p) .p{opacity:.5}\n</style>\n")
    }

    private func writeText(into out: inout SVGBuffer, cls: String, x: Double, y: Double, _ text: String) {
        out.append("<text class=\"\(cls)\" x=\"")
        out.appendDecimal(x)
        out.append("\" y=\"")
        out.appendDecimal(y)
        out.append("\">")
        out.appendEscaped(text)
        out.append("</text>\n")
    }

    /// The frame elements, in preorder, leaving out frames narrower than the minimum width.
    private mutating func writeFrames(into out: inout SVGBuffer, geometry: Geometry) {
        var wakers = WakerTracker(enabled: options.colors == .chain)
        for i in 0..<layout.count {
            let nameIndex = Int(layout.nameIndex[i])
            let isWaker = wakers.visit(depth: layout.depth[i], name: nameIndex < 0 ? "" : layout.names[nameIndex])
            guard Double(layout.width[i]) >= minWeight else { continue }
            drawnFrames += 1
            writeFrame(i, isWaker: isWaker, into: &out, geometry: geometry)
        }
    }

    /// One `<g class="f">` element: tooltip, rectangle and label.
    private mutating func writeFrame(_ i: Int, isWaker: Bool, into out: inout SVGBuffer, geometry: Geometry) {
        let nameIndex = Int(layout.nameIndex[i])
        out.append("<g class=\"f\"><title>")
        appendTooltip(i, into: &out)
        out.append("</title><rect x=\"")
        let x = xPad + Double(layout.start[i]) * scale
        let width = Double(layout.width[i]) * scale
        let y = geometry.rectY(depth: layout.depth[i])
        out.appendDecimal(x)
        out.append("\" y=\"")
        out.appendDecimal(y)
        out.append("\" width=\"")
        out.appendDecimal(width)
        out.append("\" height=\"")
        out.appendDecimal(geometry.frameHeight - 1)
        out.append("\" fill=\"")
        out.appendHex(fill(i, isWaker: isWaker))
        out.append("\"/><text x=\"")
        out.appendDecimal(x + 3)
        out.append("\" y=\"")
        out.appendDecimal(y + (geometry.frameHeight - 1) / 2 + options.fontSize / 4)
        if names.appendLabel(nameIndex, width: width, charWidth: charWidth, to: &out) {
            out.append("</text></g>\n")
        } else {
            out.append("\"/></g>\n")
        }
    }

    /// `name (1,234 samples, 12.34%)`; in a differential graph
    /// `name (before 300, after 600 samples; 20.00% → 40.00%; +20.00 pts)`.
    private mutating func appendTooltip(_ i: Int, into out: inout SVGBuffer) {
        let weight = layout.width[i]
        out.append(bytes: names.escapedDisplayName(Int(layout.nameIndex[i])))
        out.append(" (")
        if let differential = layout.differential {
            appendDifferentialDetails(i, differential, into: &out)
            out.append(")")
            return
        }
        appendCount(weight, into: &out)
        out.append(byte: UInt8(ascii: " "))
        out.append(bytes: countName)
        out.append(", ")
        out.appendFixed(100 * Double(weight) / Double(scaleTotal), decimals: 2)
        out.append("%)")
    }

    /// `before 300, after 600 samples; 20.00% → 40.00%; +20.00 pts`, with `+300 samples,
    /// +20.00%` as the change when not normalized, and `; new` or `; gone` for frames that one
    /// profile lacks. Never contains " (", which ends the name for the script.
    private func appendDifferentialDetails(_ i: Int, _ d: FrameLayout.Differential, into out: inout SVGBuffer) {
        let (before, after) = d.drawsBaseline
            ? (layout.width[i], layout.otherWidth[i]) : (layout.otherWidth[i], layout.width[i])
        out.append("before ")
        appendCount(before, into: &out)
        out.append(", after ")
        appendCount(after, into: &out)
        out.append(byte: UInt8(ascii: " "))
        out.append(bytes: countName)
        out.append("; ")
        out.appendFixed(100 * Double(before) / Double(d.baselineTotal), decimals: 2)
        out.append("% → ")
        out.appendFixed(100 * Double(after) / Double(d.comparisonTotal), decimals: 2)
        out.append("%; ")
        let change = d.change(drawn: layout.width[i], other: layout.otherWidth[i])
        if d.isNormalized {
            appendSigned(100 * change, into: &out)
            out.append(" pts")
        } else {
            let counts = Double(after) - Double(before)
            if counts > 0 { out.append("+") }
            appendCount(Int64(counts), into: &out)
            out.append(byte: UInt8(ascii: " "))
            out.append(bytes: countName)
            out.append(", ")
            appendSigned(100 * change, into: &out)
            out.append("%")
        }
        if before == 0 {
            out.append("; new")
        } else if after == 0 {
            out.append("; gone")
        }
    }

    /// A count, multiplied by `factor`, with thousands separators.
    private func appendCount(_ weight: Int64, into out: inout SVGBuffer) {
        out.appendGrouped(options.factor == 1 ? weight : Int64((Double(weight) * options.factor).rounded()))
    }

    /// A number with two decimals and a sign ("+1.50", "-0.25", "0.00").
    private func appendSigned(_ value: Double, into out: inout SVGBuffer) {
        let rounded = (value * 100).rounded() / 100
        if rounded > 0 { out.append("+") }
        out.appendFixed(rounded == 0 ? 0 : rounded, decimals: 2)
    }

    /// The fill of frame `i`; colours that depend only on the name are computed once per name.
    private mutating func fill(_ i: Int, isWaker: Bool) -> RGBColor {
        let nameIndex = Int(layout.nameIndex[i])
        if let differential = layout.differential {
            let change = differential.change(drawn: layout.width[i], other: layout.otherWidth[i])
            return FrameColorer.changeColor(change, fullChange: fullChange)
        }
        guard nameIndex >= 0 else { return colorer.color(of: "all", isWaker: false) }
        guard cachesColors else { return colorer.color(of: layout.names[nameIndex], isWaker: isWaker) }
        if colorCache[nameIndex] == .max {
            colorCache[nameIndex] = colorer.color(of: layout.names[nameIndex], isWaker: false).packed
        }
        return RGBColor(packed: colorCache[nameIndex])
    }
}

/// Display names and labels of frames, computed once per distinct name.
private struct FrameNames {
    private let names: [String]
    private var display: [String?]
    private var escaped: [[UInt8]?]
    private static let rootName = "all"

    init(_ names: [String]) {
        self.names = names
        display = Array(repeating: nil, count: names.count)
        escaped = Array(repeating: nil, count: names.count)
    }

    /// The name as shown: without its annotation suffix (`_[k]`, `_[j]`, `_[i]`, `_[w]`), which
    /// only picks colours. Index -1 is the root.
    mutating func displayName(_ index: Int) -> String {
        guard index >= 0 else { return FrameNames.rootName }
        if let cached = display[index] { return cached }
        let name = names[index]
        var shown = name
        for suffix in ["_[k]", "_[j]", "_[i]", "_[w]"] where name.hasSuffix(suffix) {
            shown = String(name.dropLast(suffix.count))
        }
        display[index] = shown
        return shown
    }

    mutating func escapedDisplayName(_ index: Int) -> [UInt8] {
        guard index >= 0 else { return Array(FrameNames.rootName.utf8) }
        if let cached = escaped[index] { return cached }
        let bytes = SVGBuffer.escaped(displayName(index))
        escaped[index] = bytes
        return bytes
    }

    /// Appends the label that fits `width` pixels: the whole name, or its start and `..`, or
    /// nothing when fewer than three characters fit. The script's `label` function is the same
    /// rule.
    ///
    /// - Returns: false, having appended nothing, when there is no room for a label; otherwise
    ///   true, having appended `">` and the label (the caller closes the element).
    mutating func appendLabel(_ index: Int, width: Double, charWidth: Double, to out: inout SVGBuffer) -> Bool {
        let fits = Int(((width - 3) / charWidth).rounded(.down))
        guard fits >= 3 else { return false }
        out.append("\">")
        let name = displayName(index)
        if name.utf8.count <= fits {
            out.append(bytes: escapedDisplayName(index))  // the tooltip's bytes, escaped once per name
        } else if name.count <= fits {
            out.appendEscaped(name)
        } else {
            out.appendEscaped(String(name.prefix(fits - 2)))
            out.append("..")
        }
        return true
    }
}

/// Which frames of a chain graph are wakers: those above a `--` separator frame.
private struct WakerTracker {
    let enabled: Bool
    /// Per depth on the current path: is the frame there a waker, or a `--` separator?
    private var waker: [Bool] = []
    private var separator: [Bool] = []

    init(enabled: Bool) { self.enabled = enabled }

    /// Records the frame at `depth` (frames come in preorder) and says whether it is a waker.
    mutating func visit(depth: Int32, name: String) -> Bool {
        guard enabled else { return false }
        let d = Int(depth)
        if waker.count <= d {
            waker.append(contentsOf: repeatElement(false, count: d + 1 - waker.count))
            separator.append(contentsOf: repeatElement(false, count: d + 1 - separator.count))
        }
        let isWaker = d > 0 && (waker[d - 1] || separator[d - 1])
        waker[d] = isWaker
        separator[d] = name == "--"
        return isWaker
    }
}
