// SPDX-License-Identifier: Apache-2.0
//
// An sRGB colour and its two spellings in SVG and in palette map files:
//
//   RGBColor(red: 230, green: 0, blue: 230)  ──►  hex "#e600e6",  css "rgb(230,0,230)"
//   RGBColor(parsing: "rgb(230, 0, 230)"), RGBColor(parsing: "#e600e6"), RGBColor(parsing: "#e0e")

/// An 8-bit-per-channel sRGB colour.
public struct RGBColor: Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `rgb(R,G,B)` (0…255 each, spaces allowed), `#rrggbb` or `#rgb`.
    /// Returns nil for anything else.
    public init?(parsing text: String) {
        let t = text.trimmingSpaces
        if t.hasPrefix("#") {
            let hex = Array(t.utf8.dropFirst())
            guard hex.count == 6 || hex.count == 3, let digits = RGBColor.hexDigits(hex) else { return nil }
            if hex.count == 6 {
                self.init(
                    red: digits[0] << 4 | digits[1], green: digits[2] << 4 | digits[3], blue: digits[4] << 4 | digits[5]
                )
            } else {
                self.init(red: digits[0] * 17, green: digits[1] * 17, blue: digits[2] * 17)
            }
            return
        }
        guard t.hasPrefix("rgb("), t.hasSuffix(")") else { return nil }
        let inner = t.dropFirst(4).dropLast()
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var channels: [UInt8] = []
        for part in parts {
            guard let value = UInt8(String(part).trimmingSpaces) else { return nil }
            channels.append(value)
        }
        self.init(red: channels[0], green: channels[1], blue: channels[2])
    }

    /// `#rrggbb`, lowercase: the shortest exact spelling, used in the SVG.
    public var hex: String {
        var out = "#"
        for channel in [red, green, blue] {
            out.append(RGBColor.hexCharacter(channel >> 4))
            out.append(RGBColor.hexCharacter(channel & 0xF))
        }
        return out
    }

    /// `rgb(R,G,B)`, as flamegraph.pl's palette map files spell colours.
    public var css: String { "rgb(\(red),\(green),\(blue))" }

    public var description: String { css }

    /// The colour packed as 0xRRGGBB.
    var packed: UInt32 { UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue) }

    init(packed: UInt32) {
        self.init(red: UInt8(packed >> 16 & 0xFF), green: UInt8(packed >> 8 & 0xFF), blue: UInt8(packed & 0xFF))
    }

    private static func hexDigits(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): out.append(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): out.append(b - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return out
    }

    private static func hexCharacter(_ nibble: UInt8) -> Character {
        Character(Unicode.Scalar(hexDigit(nibble)))
    }

    /// The ASCII byte of a lowercase hex digit, 0…15 → "0"…"f".
    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
