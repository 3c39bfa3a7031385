// SPDX-License-Identifier: Apache-2.0
//
// Picks each frame's fill. With the default options a name's colour depends on nothing but the
// name and the palette, so `main` has the same colour in every graph:
//
//   name "main", palette hot, hash  ──►  FNV-1a("main") → three values in 0..<1 → rgb(r, g, b)
//
// Order of precedence: separators (`-`, `--`) are grey; a differential frame is coloured by the
// change of its share (`changeColor`); a name in the consistent palette map keeps its colour; otherwise the palette decides,
// fed by the name hash, by a prefix-weighted hash, or by a seeded random generator.

/// Colours frames; one per rendering, since it remembers the colours it assigns.
struct FrameColorer {
    let palette: Palette
    let mode: Mode
    /// Colours fixed by the caller (a consistent palette map), by full frame name.
    private var fixed: [String: RGBColor]?
    /// Colours assigned during this rendering to names that `fixed` did not have.
    private(set) var assigned: [String: RGBColor] = [:]
    private var random: SplitMix64

    /// How the palette's input values are derived.
    enum Mode: Sendable, Equatable {
        /// FNV-1a of the whole name: stable across graphs, unrelated names get unrelated colours.
        case hash
        /// Weighted towards the first (and last) characters: similar names get similar colours.
        case prefix
        /// A seeded random generator: a new colour for every frame.
        case random
    }

    init(palette: Palette, mode: Mode, consistentPalette: [String: RGBColor]?, seed: UInt64) {
        self.palette = palette
        self.mode = mode
        self.fixed = consistentPalette
        self.random = SplitMix64(seed: seed)
    }

    static let separatorGrey = RGBColor(red: 160, green: 160, blue: 160)
    static let dashGrey = RGBColor(red: 200, green: 200, blue: 200)

    /// The fill of a frame called `name` (annotation included).
    mutating func color(of name: String, isWaker: Bool) -> RGBColor {
        if name == "--" { return FrameColorer.separatorGrey }
        if name == "-" { return FrameColorer.dashGrey }
        if fixed != nil {
            if let color = fixed?[name] ?? assigned[name] { return color }
            let color = computed(name, isWaker: isWaker)
            assigned[name] = color
            return color
        }
        return computed(name, isWaker: isWaker)
    }

    /// Whether `color(of:isWaker:)` depends only on its arguments, so callers may cache it.
    var isCacheable: Bool { mode != .random }

    private mutating func computed(_ name: String, isWaker: Bool) -> RGBColor {
        let (v1, v2, v3) = values(for: name)
        if let family = palette.family(of: name, isWaker: isWaker) { return family.color(v1) }
        func channel(_ base: Double, _ span: Double, _ v: Double) -> UInt8 { UInt8(base + (span * v).rounded(.down)) }
        switch palette {
        case .mem:
            return RGBColor(red: 0, green: channel(190, 50, v2), blue: channel(0, 210, v1))
        case .io:
            let rg = channel(80, 60, v1)
            return RGBColor(red: rg, green: rg, blue: channel(190, 55, v2))
        default:  // hot
            return RGBColor(red: channel(205, 50, v3), green: channel(0, 230, v1), blue: channel(0, 55, v2))
        }
    }

    /// Three values in 0..<1 that drive the palette.
    private mutating func values(for name: String) -> (Double, Double, Double) {
        switch mode {
        case .hash:
            let h = SplitMix64.mix(StableHash.fnv1a64(name.utf8))
            let scale = 1.0 / Double(1 << 21)
            return (
                Double(h & 0x1F_FFFF) * scale, Double(h >> 21 & 0x1F_FFFF) * scale, Double(h >> 42 & 0x1F_FFFF) * scale
            )
        case .prefix:
            let forward = FrameColorer.prefixWeighted(name.utf8)
            let backward = FrameColorer.prefixWeighted(name.utf8.reversed())
            return (forward, backward, backward)
        case .random:
            return (random.nextUnit(), random.nextUnit(), random.nextUnit())
        }
    }

    /// A value in 0..<1 from the first eight bytes, each weighing 0.6 times the one before, so
    /// names that share a prefix land close together.
    static func prefixWeighted<Bytes: Sequence>(_ bytes: Bytes) -> Double where Bytes.Element == UInt8 {
        var sum = 0.0
        var norm = 0.0
        var weight = 1.0
        for b in bytes.prefix(8) {
            sum += Double(b % 16) / 16 * weight
            norm += weight
            weight *= 0.6
        }
        return norm > 0 ? sum / norm : 0
    }

    /// The fill of a differential frame whose share changed by `change` (a fraction of the
    /// total): white for no change, towards pure red for growth and towards blue for shrinkage,
    /// linearly in |change| / `fullChange` (saturated from there on). Continuous at zero, so a
    /// tiny change is near-white. The darkest blue is rgb(90,90,255), not pure blue: black
    /// labels on pure blue have a contrast of 2.4 : 1, on this 4.4 : 1 (pure red has 5.3 : 1).
    static func changeColor(_ change: Double, fullChange: Double) -> RGBColor {
        guard change.isFinite, fullChange > 0 else { return RGBColor(red: 255, green: 255, blue: 255) }
        let saturation = min(1, change.magnitude / fullChange)
        if change > 0 {
            let fade = UInt8((255 * (1 - saturation)).rounded())
            return RGBColor(red: 255, green: fade, blue: fade)
        }
        let fade = UInt8((90 + 165 * (1 - saturation)).rounded())
        return RGBColor(red: fade, green: fade, blue: 255)
    }
}

/// SplitMix64: a tiny seeded generator, so "random" colours are reproducible from a seed.
///
/// Source: Steele, Lea, Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The generator's output function, also a good finalizer for weak hashes.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return SplitMix64.mix(state)
    }

    /// A value in 0..<1 with 53 random bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
    }
}
