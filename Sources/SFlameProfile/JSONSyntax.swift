// SPDX-License-Identifier: Apache-2.0
//
// Where a JSON text breaks RFC 8259's grammar, for error messages that name the line and the
// byte. `JSONDecoder` (FoundationEssentials) reports only "not valid JSON", without a position,
// and accepts trailing commas (`[1,2,]`), which the grammar forbids:
//
//   {"a": [1 2]}      ──► offset 9,  "'2' where ',' or ']' should be"
//   {"a": [1, 2,]}    ──► offset 11, "a comma before ']'"
//   {"a": "b         ──► offset 9,  "the input ends inside a string"
//
// Iterative, so deeply nested input cannot overflow the stack. The strict check also finds what
// JSONDecoder refuses in the values it decodes, again without saying where: invalid UTF-8, an
// unpaired UTF-16 surrogate escape, a number beyond a Double, nesting deeper than 512.

/// A check of JSON syntax (RFC 8259 §2–§7), without building values.
public enum JSONSyntax {
    /// The first syntax error of a JSON text.
    public struct Failure: Error, Equatable, Sendable {
        /// Byte offset of the first byte that cannot continue the text (the input's length when
        /// it ends too early; the comma's own offset for a trailing comma).
        public var offset: Int
        /// What is wrong, e.g. "'2' where ',' or ']' should be".
        public var reason: String
    }

    /// The deepest nesting of arrays and objects the strict check allows: JSONDecoder's limit
    /// (swift-foundation refuses a 513th level).
    public static let maximumDepth = 512

    /// The first place where `bytes` is not one JSON value (surrounded by optional whitespace,
    /// after an optional UTF-8 byte order mark, which RFC 8259 §8.1 lets parsers ignore), or nil
    /// when it is. Strings are checked for escapes and control characters.
    ///
    /// - Parameter strict: also refuse what RFC 8259 leaves to implementations and JSONDecoder
    ///   refuses: bytes of a string that are not UTF-8 (§8.1), a `\u` escape of an unpaired
    ///   UTF-16 surrogate (§8.2), a number whose magnitude a Double cannot hold (§6), and nesting
    ///   deeper than `maximumDepth` (§9).
    /// - Complexity: O(n) time, O(nesting depth) memory.
    public static func firstError(in bytes: UnsafeBufferPointer<UInt8>, strict: Bool = false) -> Failure? {
        var scanner = Scanner(bytes: bytes, strict: strict)
        return scanner.run()
    }

    /// As `firstError(in:strict:)` for an array.
    public static func firstError(in bytes: [UInt8], strict: Bool = false) -> Failure? {
        bytes.withUnsafeBufferPointer { firstError(in: $0, strict: strict) }
    }
}

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let strict: Bool
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>, strict: Bool) {
        self.bytes = bytes
        self.strict = strict
    }

    /// What may come next.
    private enum Expect {
        case value, valueAfterComma, firstValueOrClose, firstKeyOrClose, key, colon, commaOrClose
    }

    mutating func run() -> JSONSyntax.Failure? {
        var open: [UInt8] = []  // `[` or `{` of each enclosing container
        var expect = Expect.value
        var lastComma = 0
        var done = false
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        while true {
            skipWhitespace()
            guard i < bytes.count else {
                if done { return nil }
                return fail(bytes.count, bytes.isEmpty ? "the input is empty" : "the input ends early")
            }
            let b = bytes[i]
            if done { return fail(i, "\(describe(b)) after the end of the JSON value") }
            switch expect {
            case .value, .valueAfterComma, .firstValueOrClose:
                if expect == .firstValueOrClose && b == 0x5D {  // ]
                    i += 1
                    open.removeLast()
                } else if expect == .valueAfterComma && b == 0x5D {
                    return fail(lastComma, "a comma before ']'")
                } else if b == 0x7B || b == 0x5B {  // { [
                    if strict && open.count == JSONSyntax.maximumDepth {
                        return fail(i, "nesting deeper than \(JSONSyntax.maximumDepth) arrays and objects")
                    }
                    open.append(b)
                    i += 1
                    expect = b == 0x7B ? .firstKeyOrClose : .firstValueOrClose
                    continue
                } else if let failure = scanScalar() {
                    return failure
                }
            case .firstKeyOrClose, .key:
                if b == 0x7D && expect == .firstKeyOrClose {
                    i += 1
                    open.removeLast()
                } else if b == 0x7D {
                    return fail(lastComma, "a comma before '}'")
                } else if b == 0x22 {
                    if let failure = scanString() { return failure }
                    expect = .colon
                    continue
                } else {
                    return fail(i, "\(describe(b)) where a key (a string) should be")
                }
            case .colon:
                guard b == 0x3A else { return fail(i, "\(describe(b)) where ':' should be") }
                i += 1
                expect = .value
                continue
            case .commaOrClose:
                let close: UInt8 = open.last == 0x5B ? 0x5D : 0x7D
                if b == 0x2C {
                    lastComma = i
                    i += 1
                    expect = open.last == 0x5B ? .valueAfterComma : .key
                    continue
                } else if b == close {
                    i += 1
                    open.removeLast()
                } else {
                    return fail(i, "\(describe(b)) where ',' or '\(close == 0x5D ? "]" : "}")' should be")
                }
            }
            // A value ended.
            if open.isEmpty {
                done = true
            } else {
                expect = .commaOrClose
            }
        }
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// A string, number or literal starting at `i`.
    private mutating func scanScalar() -> JSONSyntax.Failure? {
        let b = bytes[i]
        switch b {
        case 0x22: return scanString()
        case 0x2D, 0x30...0x39: return scanNumber()
        case 0x74: return scanLiteral("true")
        case 0x66: return scanLiteral("false")
        case 0x6E: return scanLiteral("null")
        default: return fail(i, "\(describe(b)) where a value should be")
        }
    }

    private mutating func scanString() -> JSONSyntax.Failure? {
        i += 1  // the opening quote
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 {
                i += 1
                return nil
            } else if b == 0x5C {
                guard i + 1 < bytes.count else { break }
                let e = bytes[i + 1]
                switch e {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    i += 2
                case 0x75:
                    let unit: UInt16
                    switch hexEscape(at: i) {
                    case .success(let value): unit = value
                    case .failure(let failure): return failure
                    }
                    if strict && unit >= 0xD800 && unit <= 0xDFFF {
                        // A high surrogate must be followed by an escaped low one.
                        let low = i + 7 < bytes.count && bytes[i + 6] == 0x5C && bytes[i + 7] == 0x75
                            ? try? hexEscape(at: i + 6).get() : nil
                        let paired = unit < 0xDC00 && low.map { $0 >= 0xDC00 && $0 <= 0xDFFF } == true
                        guard paired else {
                            return fail(i, "an unpaired UTF-16 surrogate escape in a string")
                        }
                        i += 6
                    }
                    i += 6
                default:
                    return fail(i + 1, "the escape '\\\(describe(e, quoted: false))' in a string")
                }
            } else if b < 0x20 {
                return fail(i, "\(describe(b)) in a string (control characters must be escaped)")
            } else if b >= 0x80 && strict {
                let length = utf8SequenceLength(at: i)
                guard length > 0 else { return fail(i, "\(describe(b)) in a string, which is not UTF-8") }
                i += length
            } else {
                i += 1
            }
        }
        return fail(bytes.count, "the input ends inside a string")
    }

    private mutating func scanNumber() -> JSONSyntax.Failure? {
        let start = i
        if let failure = scanNumberGrammar() { return failure }
        if strict {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            if let value = Double(text), !value.isFinite {
                return fail(start, "the number \(text.count > 24 ? String(text.prefix(21)) + "..." : text) is beyond the range of a Double")
            }
        }
        return nil
    }

    private mutating func scanNumberGrammar() -> JSONSyntax.Failure? {
        if bytes[i] == 0x2D { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { return failNumber("a digit") }
        if bytes[i] == 0x30 {
            i += 1
        } else {
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == 0x2E {  // .
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { return failNumber("a digit after '.'") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {  // e E
            i += 1
            if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { return failNumber("a digit in the exponent") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        return nil
    }

    private mutating func failNumber(_ wanted: String) -> JSONSyntax.Failure {
        guard i < bytes.count else { return fail(i, "the input ends inside a number") }
        return fail(i, "\(describe(bytes[i])) in a number where \(wanted) should be")
    }

    private mutating func scanLiteral(_ word: StaticString) -> JSONSyntax.Failure? {
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for k in 0..<text.count {
            guard i + k < bytes.count else { return fail(bytes.count, "the input ends inside '\(word)'") }
            guard bytes[i + k] == text[k] else {
                return fail(i + k, "\(describe(bytes[i + k])) where '\(word)' was being read")
            }
        }
        i += text.count
        return nil
    }

    private func fail(_ offset: Int, _ reason: String) -> JSONSyntax.Failure {
        JSONSyntax.Failure(offset: offset, reason: reason)
    }

    /// The UTF-16 code unit of the `\uXXXX` escape whose backslash is at `start`, or where
    /// its four hex digits are missing.
    private func hexEscape(at start: Int) -> Result<UInt16, JSONSyntax.Failure> {
        var unit: UInt16 = 0
        for k in 2..<6 {
            guard start + k < bytes.count else { return .failure(fail(bytes.count, "the input ends inside a string")) }
            let h = bytes[start + k]
            guard isHexDigit(h) else {
                return .failure(fail(start + k, "\(describe(h)) in a \\u escape, which takes four hex digits"))
            }
            unit = unit << 4 | UInt16(h <= 0x39 ? h - 0x30 : (h | 0x20) - 0x61 + 10)
        }
        return .success(unit)
    }

    /// The length of the well-formed UTF-8 sequence at `at` (Unicode's table 3-7: no overlong
    /// forms, no surrogates, nothing past U+10FFFF), or 0.
    private func utf8SequenceLength(at start: Int) -> Int {
        let b = bytes[start]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, high) = (3, 0x9F)
        case 0xF0: (length, low) = (4, 0x90)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, high) = (4, 0x8F)
        default: return 0
        }
        guard start + length <= bytes.count else { return 0 }
        let second = bytes[start + 1]
        guard second >= low && second <= high else { return 0 }
        for k in 2..<length where bytes[start + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// A byte for a message: "'x'" for printable ASCII, "the byte 0x0A" otherwise.
    private func describe(_ b: UInt8, quoted: Bool = true) -> String {
        if b >= 0x20 && b < 0x7F {
            let c = String(UnicodeScalar(b))
            return quoted ? "'\(c)'" : c
        }
        return "the byte 0x\(b < 0x10 ? "0" : "")\(String(b, radix: 16, uppercase: true))"
    }
}
