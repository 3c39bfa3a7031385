// SPDX-License-Identifier: Apache-2.0
//
// Everything that shapes a flame graph, with flamegraph.pl's defaults:
//
//   FlameGraphOptions()                           1200 px wide, 16 px frames, Verdana 12,
//                                                 hot palette, frames under 0.1 px left out
//   FlameGraphOptions(inverted: true, colors: .mem, countName: "bytes")
//                                                 an icicle graph of memory, "(4,096 bytes, 12.50%)"

/// Options of a flame graph. Every field has flamegraph.pl's default unless it says otherwise;
/// the CLI flag that sets it is named in brackets.
public struct FlameGraphOptions: Sendable, Equatable {
    /// The heading [`--title`]. Default nil: "Flame Graph", or "Icicle Graph" when `inverted`,
    /// or "Flame Chart" when `flameChart`.
    public var title: String?
    /// A second heading line below the title [`--subtitle`]. Default nil (none).
    public var subtitle: String?
    /// Image width in pixels, including 10 px of padding on each side [`--width`].
    /// Default 1200; at least 100.
    public var width: Int
    /// Height of one frame row in pixels, 1 px of which is the gap between rows [`--height`].
    /// Default 16; at least 2.
    public var frameHeight: Int
    /// Font size of labels in pixels [`--fontsize`]. Default 12; the title is 5 px larger.
    public var fontSize: Double
    /// CSS font family [`--fonttype`]. Default "Verdana". Characters other than letters, digits,
    /// space, `-`, `_`, `,`, `.` and quotes are dropped, so the value cannot break the style sheet;
    /// `sans-serif` is added as the last fallback.
    public var fontType: String
    /// Average character width as a fraction of `fontSize`, used to fit labels [`--fontwidth`].
    /// Default 0.59.
    public var fontWidth: Double
    /// Frames narrower than this are left out [`--minwidth`]. Default 0.1 px.
    public var minWidth: MinWidth
    /// What the weights count, shown in tooltips [`--countname`]. Default "samples". Must not
    /// contain `(`, which the script uses to find where the name ends in a tooltip.
    public var countName: String
    /// What frames are, shown before the hovered frame in the details line [`--nametype`].
    /// Default "Function:".
    public var nameType: String
    /// Free text stored in the SVG's `<desc>` element [`--notes`]. Default nil (none).
    public var notes: String?
    /// The palette [`--colors`]. Default `.hot`.
    public var colors: Palette
    /// Colour by a stable FNV-1a hash of each name, so a name gets the same colour in every
    /// graph [`--hash`, `--no-hash`]. Default true. When false (and `random` is false), names
    /// that share their first characters get similar colours.
    public var hash: Bool
    /// Colour every frame from a random generator seeded with `randomSeed` [`--random`].
    /// Default false. Wins over `hash`.
    public var random: Bool
    /// The seed of `random` colours. Default 0; the CLI draws a fresh one per run.
    public var randomSeed: UInt64
    /// A consistent palette: colours by frame name (annotation included) that win over the
    /// palette [`--cp`]. Names not in it get the palette's colour, and the rendering reports
    /// them in `FlameGraphOutput.newPaletteColors` so the caller can store them. Default nil
    /// (not used).
    public var consistentPalette: [String: RGBColor]?
    /// Draw the root at the top, growing down: an icicle graph [`--inverted`]. Default false.
    public var inverted: Bool
    /// Reverse each stack before merging, so stacks merge from the leaf [`--reverse`].
    /// Default false.
    public var reverse: Bool
    /// A flame chart [`--flamechart`]: stacks are drawn in input order (time order when the input
    /// is a sequence of samples), and only consecutive stacks with a common prefix merge.
    /// Default false: siblings are merged and sorted by name (bytewise), as flamegraph.pl sorts.
    public var flameChart: Bool
    /// Draw a differential graph with BEFORE's widths instead of AFTER's [`--negate`], so
    /// frames that vanished show; red still means grew. Default false. Has no effect on a
    /// plain graph.
    public var negate: Bool
    /// Multiply the counts shown in tooltips by this [`--factor`], e.g. a sampling period.
    /// Widths and percentages do not change. Default 1; must be finite and positive.
    public var factor: Double
    /// The background [`--bgcolors`]. Default nil: the palette's `defaultBackground`.
    public var background: Background?
    /// The total weight the full width stands for [`--total`], for drawing several graphs to
    /// one scale. Default nil: the sum of the input's weights. A value smaller than that sum is
    /// ignored, with a warning in `FlameGraphOutput.warnings`.
    public var total: Int64?
    /// The fill of frames that match a search. Default rgb(230,0,230).
    public var searchColor: RGBColor

    public init(
        title: String? = nil, subtitle: String? = nil, width: Int = 1200, frameHeight: Int = 16,
        fontSize: Double = 12, fontType: String = "Verdana", fontWidth: Double = 0.59,
        minWidth: MinWidth = .pixels(0.1), countName: String = "samples", nameType: String = "Function:",
        notes: String? = nil, colors: Palette = .hot, hash: Bool = true, random: Bool = false,
        randomSeed: UInt64 = 0, consistentPalette: [String: RGBColor]? = nil, inverted: Bool = false,
        reverse: Bool = false, flameChart: Bool = false, negate: Bool = false, factor: Double = 1,
        background: Background? = nil, total: Int64? = nil,
        searchColor: RGBColor = RGBColor(red: 230, green: 0, blue: 230)
    ) {
        self.title = title
        self.subtitle = subtitle
        self.width = width
        self.frameHeight = frameHeight
        self.fontSize = fontSize
        self.fontType = fontType
        self.fontWidth = fontWidth
        self.minWidth = minWidth
        self.countName = countName
        self.nameType = nameType
        self.notes = notes
        self.colors = colors
        self.hash = hash
        self.random = random
        self.randomSeed = randomSeed
        self.consistentPalette = consistentPalette
        self.inverted = inverted
        self.reverse = reverse
        self.flameChart = flameChart
        self.negate = negate
        self.factor = factor
        self.background = background
        self.total = total
        self.searchColor = searchColor
    }

    /// The smallest frame that is drawn.
    public enum MinWidth: Sendable, Equatable {
        /// In pixels of the image.
        case pixels(Double)
        /// In percent of the total weight.
        case percent(Double)

        /// Parses flamegraph.pl's spelling: a non-negative number of pixels (`0.1`), or a
        /// percentage of the total weight (`0.5%`). Returns nil for anything else.
        public init?(parsing text: String) {
            let t = text.trimmingSpaces
            let isPercent = t.hasSuffix("%")
            guard let value = Double(isPercent ? String(t.dropLast()) : t), value.isFinite, value >= 0 else {
                return nil
            }
            self = isPercent ? .percent(value) : .pixels(value)
        }
    }

    /// The heading that is drawn: `title`, or the default for the kind of graph.
    var effectiveTitle: String {
        if let title { return title }
        if flameChart { return "Flame Chart" }
        return inverted ? "Icicle Graph" : "Flame Graph"
    }

    /// How colours are derived, from `hash` and `random`.
    var colorMode: FrameColorer.Mode {
        random ? .random : (hash ? .hash : .prefix)
    }

    /// Checks the fields that have limits.
    ///
    /// - Throws: `RenderError(.invalidOption)` naming the field, its value and the limit.
    public func validate() throws(RenderError) {
        func fail(_ what: String) throws(RenderError) { throw RenderError(.invalidOption, what) }
        if width < 100 { try fail("width \(width) px is too small: use at least 100") }
        if frameHeight < 2 { try fail("frame height \(frameHeight) px is too small: use at least 2") }
        if !(fontSize.isFinite && fontSize > 0) { try fail("font size \(fontSize) must be a positive number") }
        if !(fontWidth.isFinite && fontWidth > 0) { try fail("font width \(fontWidth) must be a positive number") }
        if !(factor.isFinite && factor > 0) { try fail("factor \(factor) must be a positive number") }
        if countName.contains("(") {
            try fail("count name '\(countName)' must not contain '(': tooltips use it to end the frame name")
        }
        if let total, total <= 0 { try fail("total \(total) must be positive") }
        switch minWidth {
        case .pixels(let v), .percent(let v):
            if !(v.isFinite && v >= 0) { try fail("minimum width \(v) must be a non-negative number") }
        }
    }
}
