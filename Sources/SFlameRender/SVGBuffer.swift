// SPDX-License-Identifier: Apache-2.0
//
// A growable UTF-8 byte buffer with the few appenders an SVG writer needs: raw text, XML-escaped
// text, and compact numbers. Appending bytes is several times faster than building a `String`
// from many small pieces, which matters for graphs with hundreds of thousands of frames.
//
//   buffer.append("<rect x=\"");  buffer.appendDecimal(10.004)  buffer.append("\"/>")
//   ──► <rect x="10"/>
//   buffer.appendEscaped("a<b & \"c\"\u{1}")
//   ──► a&lt;b &amp; &quot;c&quot;\u{FFFD}

/// UTF-8 output under construction.
struct SVGBuffer {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends text verbatim (no escaping): for markup the writer controls.
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends text verbatim (no escaping): for markup and numbers the writer built itself.
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func append(bytes other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// `#rrggbb`, lowercase, as `RGBColor.hex` spells it, without making a `String`.
    mutating func appendHex(_ color: RGBColor) {
        bytes.append(UInt8(ascii: "#"))
        bytes.append(RGBColor.hexDigit(color.red >> 4))
        bytes.append(RGBColor.hexDigit(color.red & 0xF))
        bytes.append(RGBColor.hexDigit(color.green >> 4))
        bytes.append(RGBColor.hexDigit(color.green & 0xF))
        bytes.append(RGBColor.hexDigit(color.blue >> 4))
        bytes.append(RGBColor.hexDigit(color.blue & 0xF))
    }

    /// Appends `text` escaped for XML character data and attribute values.
    ///
    /// `<`, `>`, `&`, `"` and `'` become entities. Characters that XML 1.0 forbids even as
    /// references (C0 controls other than tab, LF and CR, and U+FFFE, U+FFFF) become U+FFFD, and
    /// so do tab, LF and CR, so that a name stays on one line and attribute values are not
    /// normalized differently by different parsers. DEL (U+007F) is replaced too.
    ///
    /// Source: XML 1.0 (Fifth Edition) §2.2 "Characters", production [2] Char.
    mutating func appendEscaped(_ text: String) {
        bytes.append(contentsOf: SVGBuffer.escaped(text))
    }

    /// The XML-escaped UTF-8 bytes of `text` (see `appendEscaped`).
    static func escaped(_ text: String) -> [UInt8] {
        let src = Array(text.utf8)
        guard src.contains(where: needsEscaping) else { return src }
        var out: [UInt8] = []
        out.reserveCapacity(src.count + 16)
        var i = 0
        while i < src.count {
            let b = src[i]
            switch b {
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            case 0x00..<0x20, 0x7F: out.append(contentsOf: replacementCharacter)
            case 0xEF where i + 2 < src.count && src[i + 1] == 0xBF && src[i + 2] >= 0xBE:
                // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters.
                out.append(contentsOf: replacementCharacter)
                i += 2
            default: out.append(b)
            }
            i += 1
        }
        return out
    }

    /// Whether a byte may start something `escaped` rewrites.
    private static func needsEscaping(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "\""), UInt8(ascii: "'"),
            0x00..<0x20, 0x7F, 0xEF:
            return true
        default:
            return false
        }
    }

    /// U+FFFD REPLACEMENT CHARACTER in UTF-8.
    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends a signed integer in decimal.
    mutating func appendInt(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendDigits(value.magnitude)
        } else {
            appendDigits(UInt64(value))
        }
    }

    /// Appends an integer with `,` between groups of three digits: `1234567` ──► `1,234,567`.
    mutating func appendGrouped(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var power: UInt64 = 1
        var count = 1
        while magnitude / power >= 10 {
            power *= 10
            count += 1
        }
        var i = 0
        while power > 0 {
            if i > 0 && (count - i) % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "0") + UInt8((magnitude / power) % 10))
            power /= 10
            i += 1
        }
    }

    /// Appends `value` rounded to at most two decimals, without trailing zeros or a trailing
    /// point: `10.0` ──► `10`, `3.14159` ──► `3.14`, `0.5` ──► `0.5`, `-0.001` ──► `0`.
    mutating func appendDecimal(_ value: Double) {
        appendFixed(value, decimals: 2, trimZeros: true)
    }

    /// Appends `value` with exactly `decimals` decimals (0…6), or up to that many when
    /// `trimZeros`. Non-finite values are written as `0`: SVG has no spelling for them.
    mutating func appendFixed(_ value: Double, decimals: Int, trimZeros: Bool = false) {
        precondition((0...6).contains(decimals), "decimals out of range")
        guard value.isFinite else {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e17 else {  // beyond Int64: no SVG coordinate is this large
            appendInt(value < 0 ? Int64.min : Int64.max)
            return
        }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        if value < 0 && units != 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(units / divisor)
        var fraction = units % divisor
        var width = decimals
        if trimZeros {
            while width > 0 && fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
        }
        guard width > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        appendDigits(fraction, minimumWidth: width)
    }

    /// Appends `value` in decimal, zero-padded on the left to at least `minimumWidth` digits.
    private mutating func appendDigits(_ value: UInt64, minimumWidth: Int = 1) {
        var count = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            count += 1
        }
        count = max(count, minimumWidth)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var rest = value
        var k = start + count - 1
        while rest > 0 {
            bytes[k] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            k -= 1
        }
    }
}
