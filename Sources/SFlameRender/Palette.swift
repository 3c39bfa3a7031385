// SPDX-License-Identifier: Apache-2.0
//
// Frame colour palettes, named as flamegraph.pl names them (`--colors`), and how each one
// picks a colour family for a frame name:
//
//   palette  name                              family
//   hot      any                               reds, oranges and yellows (three hash values)
//   java     java/util/HashMap.get_[j]         green (JIT)           ..._[i] aqua (inlined)
//            Ljava/lang/Thread.run             green (Java)          std::vector<int>::at  yellow (C++)
//            do_syscall_64_[k]                 orange (kernel)       memcpy                red (native)
//   js       /app/server.js:12_[j]             green (JIT source)    Builtin:Call_[j]      aqua
//   chain    frames after a `--` separator     aqua (waker)          others                blue (off-CPU)
//
// Frames named `-` and `--` (stack separators) are grey in every palette.

/// A colour palette for frames.
///
/// Source: the palettes of flamegraph.pl (brendangregg/FlameGraph), re-implemented: the same
/// names, colour families and annotation rules (`_[k]` kernel, `_[j]` JIT, `_[i]` inlined,
/// `_[w]` waker), our own code.
public enum Palette: String, CaseIterable, Sendable {
    /// Warm colours from three independent hash values: the classic CPU flame graph.
    case hot
    /// Greens and blues: memory (allocation, page fault) profiles.
    case mem
    /// Blues and purples: I/O and off-CPU time.
    case io
    /// Aqua for every frame: wakeup stacks.
    case wakeup
    /// Off-CPU blue, and aqua for waker frames (after a `--` separator, or suffixed `_[w]`).
    case chain
    /// Java and JVM: JIT, inlined, Java, C++, kernel and native frames in different families.
    case java
    /// JavaScript (V8, Node.js): JIT source, builtins, C++, kernel and native frames.
    case js
    /// Perl: Perl, C++ (XS), kernel and native frames.
    case perl
    case red, green, blue, aqua, yellow, purple, orange

    /// The background a graph gets when no `background` is chosen, as flamegraph.pl pairs them:
    /// green for `mem`, blue for `io`, `wakeup` and `chain`, grey for single-family palettes,
    /// yellow otherwise.
    public var defaultBackground: Background {
        switch self {
        case .mem: .green
        case .io, .wakeup, .chain: .blue
        case .red, .green, .blue, .aqua, .yellow, .purple, .orange: .grey
        case .hot, .java, .js, .perl: .yellow
        }
    }

    /// The colour family of a frame, or nil when the palette colours by hash values alone
    /// (`hot`, `mem`, `io`).
    ///
    /// - Parameters:
    ///   - name: the frame name with its annotation suffix (`_[k]`, `_[j]`, …).
    ///   - isWaker: whether the frame is on the waker side of a `--` separator (chain graphs).
    func family(of name: String, isWaker: Bool) -> ColorFamily? {
        switch self {
        case .hot, .mem, .io: nil
        case .red: .red
        case .green: .green
        case .blue: .blue
        case .aqua: .aqua
        case .yellow: .yellow
        case .purple: .purple
        case .orange: .orange
        case .wakeup: .aqua
        case .chain: isWaker || name.hasSuffix("_[w]") ? .aqua : .blue
        case .java: Palette.javaFamily(of: name)
        case .js: Palette.jsFamily(of: name)
        case .perl: Palette.perlFamily(of: name)
        }
    }

    /// Java package roots that mark a frame as Java code when there is no `_[j]` annotation.
    private static let javaPackages = ["java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"]

    private static func javaFamily(of name: String) -> ColorFamily {
        if name.hasSuffix("_[j]") { return .green }
        if name.hasSuffix("_[i]") { return .aqua }
        let unprefixed = name.hasPrefix("L") ? name.dropFirst() : Substring(name)
        if javaPackages.contains(where: { unprefixed.hasPrefix($0) }) { return .green }
        if name.contains(":::") { return .green }  // perf-map-agent's method separator
        if name.contains("::") { return .yellow }
        if name.hasSuffix("_[k]") { return .orange }
        return .red
    }

    private static func jsFamily(of name: String) -> ColorFamily {
        if name.hasSuffix("_[j]") { return name.contains("/") ? .green : .aqua }
        if name.contains("::") { return .yellow }
        if let slash = name.firstIndex(of: "/"), name[slash...].contains(".js") { return .green }
        if name.contains(":") { return .aqua }  // V8 builtins: "Builtin:ArgumentsAdaptorTrampoline"
        if name == " " { return .green }  // a JIT frame whose symbol is missing
        if name.contains("_[k]") { return .orange }
        return .red
    }

    private static func perlFamily(of name: String) -> ColorFamily {
        if name.contains("::") { return .yellow }
        if name.contains("Perl") || name.contains(".pl") { return .green }
        if name.hasSuffix("_[k]") { return .orange }
        return .red
    }
}

/// A family of similar colours, spanned by one value in 0..<1.
enum ColorFamily: Sendable {
    case red, green, blue, aqua, yellow, purple, orange

    /// The family's colour at `v` (0..<1): `base + v * span`, channel by channel.
    func color(_ v: Double) -> RGBColor {
        let (base, span): ((Double, Double, Double), (Double, Double, Double))
        switch self {
        case .red: (base, span) = ((200, 50, 50), (55, 80, 80))
        case .green: (base, span) = ((50, 200, 50), (60, 55, 60))
        case .blue: (base, span) = ((80, 80, 205), (60, 60, 50))
        case .aqua: (base, span) = ((50, 165, 165), (60, 55, 55))
        case .yellow: (base, span) = ((175, 175, 50), (55, 55, 20))
        case .purple: (base, span) = ((190, 80, 190), (65, 60, 65))
        case .orange: (base, span) = ((190, 90, 0), (65, 65, 0))
        }
        return RGBColor(
            red: UInt8(base.0 + (span.0 * v).rounded(.down)),
            green: UInt8(base.1 + (span.1 * v).rounded(.down)),
            blue: UInt8(base.2 + (span.2 * v).rounded(.down)))
    }
}

/// The background of a graph: a vertical gradient, or one flat colour.
public enum Background: Hashable, Sendable {
    case yellow, blue, green, grey
    /// One colour, top to bottom.
    case flat(RGBColor)

    /// Parses `yellow`, `blue`, `green`, `grey` (or `gray`), `#rrggbb`, `#rgb` or `rgb(R,G,B)`.
    public init?(parsing text: String) {
        switch text.trimmingSpaces.lowercased() {
        case "yellow": self = .yellow
        case "blue": self = .blue
        case "green": self = .green
        case "grey", "gray": self = .grey
        default:
            guard let color = RGBColor(parsing: text) else { return nil }
            self = .flat(color)
        }
    }

    /// The gradient's top and bottom colours.
    public var stops: (top: RGBColor, bottom: RGBColor) {
        switch self {
        case .yellow: (RGBColor(red: 0xee, green: 0xee, blue: 0xee), RGBColor(red: 0xee, green: 0xee, blue: 0xb0))
        case .blue: (RGBColor(red: 0xee, green: 0xee, blue: 0xee), RGBColor(red: 0xe0, green: 0xe0, blue: 0xff))
        case .green: (RGBColor(red: 0xee, green: 0xf2, blue: 0xee), RGBColor(red: 0xe0, green: 0xff, blue: 0xe0))
        case .grey: (RGBColor(red: 0xf8, green: 0xf8, blue: 0xf8), RGBColor(red: 0xe8, green: 0xe8, blue: 0xe8))
        case .flat(let color): (color, color)
        }
    }
}
