// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
@testable import SFlameProfile

/// `JSONSyntax` names where a JSON text breaks; the speedscope reader reports it by line and byte.
@Suite struct JSONSyntaxTests {
    private func failure(_ text: String) -> JSONSyntax.Failure? {
        JSONSyntax.firstError(in: Array(text.utf8))
    }

    @Test func validTextsPass() {
        for text in [
            "{}", "[]", " [ ] ", "0", "-0", "-0.5e+3", "1E9", "\"\"", "true", "false", "null",
            #"{"a": [1, 2.5, -3e-2, "x\"\\\/\b\f\n\r\t\u00E9", true, false, null, {}, []], "b": {"c": {}}}"#,
            "\u{FEFF}[1]", "\n\t{\r\n\"k\" :\n1 }\n",
        ] {
            #expect(failure(text) == nil, "\(text)")
        }
    }

    @Test func errorsNameTheFirstBadByte() {
        let cases: [(String, Int, String)] = [
            (#"{"a": [1 2]}"#, 9, "'2' where ',' or ']' should be"),
            (#"{"a": [1, 2,]}"#, 11, "a comma before ']'"),
            (#"{"a": 1,}"#, 7, "a comma before '}'"),
            (#"{"a": "b"#, 8, "the input ends inside a string"),
            (#"{"a" 1}"#, 5, "'1' where ':' should be"),
            (#"{1: 2}"#, 1, "'1' where a key (a string) should be"),
            (#"[01]"#, 2, "'1' where ',' or ']' should be"),
            (#"[1.]"#, 3, "']' in a number where a digit after '.' should be"),
            (#"[-]"#, 2, "']' in a number where a digit should be"),
            (#"[1e]"#, 3, "']' in a number where a digit in the exponent should be"),
            (#"[tru]"#, 4, "']' where 'true' was being read"),
            (#"["a\x"]"#, 4, #"the escape '\x' in a string"#),
            (#"["\u12G4"]"#, 6, #"'G' in a \u escape, which takes four hex digits"#),
            ("[\"a\u{09}b\"]", 3, "the byte 0x09 in a string (control characters must be escaped)"),
            ("[1] 2", 4, "'2' after the end of the JSON value"),
            ("", 0, "the input is empty"),
            ("   ", 3, "the input ends early"),
            ("[[1]", 4, "the input ends early"),
            ("]", 0, "']' where a value should be"),
            (#"{"a": }"#, 6, "'}' where a value should be"),
            (#"[1,,2]"#, 3, "',' where a value should be"),
        ]
        for (text, offset, reason) in cases {
            let found = failure(text)
            #expect(found == JSONSyntax.Failure(offset: offset, reason: reason), "\(text): \(String(describing: found))")
        }
    }

    /// Nesting is kept on the heap: a million brackets is an error at the end, not a crash.
    @Test func deepNestingIsNotACrash() {
        let deep = [UInt8](repeating: 0x5B, count: 1_000_000)
        #expect(JSONSyntax.firstError(in: deep) == JSONSyntax.Failure(offset: 1_000_000, reason: "the input ends early"))
        let balanced = [UInt8](repeating: 0x5B, count: 100_000) + [UInt8](repeating: 0x5D, count: 100_000)
        #expect(JSONSyntax.firstError(in: balanced) == nil)
    }

    /// One-byte mutations of a speedscope file (ASCII only: Foundation also checks UTF-8, which
    /// JSONSyntax leaves to the decoder): whatever Foundation's parser refuses, JSONSyntax
    /// refuses too, and what JSONSyntax accepts, Foundation parses.
    @Test func agreesWithFoundationOnMutations() throws {
        let valid = Array(
            #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a b","line":12},{"name":"c"}]},"profiles":[{"type":"sampled","name":"p","unit":"none","startValue":0,"endValue":3.5,"samples":[[0,1],[1]],"weights":[1,-2.5e1]}],"exporter":null,"x":[true,false]}"#
                .utf8)
        #expect(JSONSyntax.firstError(in: valid) == nil)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEtrufalsn"#.utf8)
        var rng = SeededGenerator(seed: 0x5EED_0450)
        for _ in 0..<3000 {
            var bytes = valid
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[at] = alphabet.randomElement(using: &rng)!
            case 1: bytes.remove(at: at)
            default: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
            }
            let ours = JSONSyntax.firstError(in: bytes)
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            if !foundation {
                #expect(ours != nil, "\(String(decoding: bytes, as: UTF8.self))")
            }
            if ours == nil {
                #expect(foundation, "\(String(decoding: bytes, as: UTF8.self))")
            }
            if let ours { #expect(ours.offset <= bytes.count) }
        }
    }
}

@Suite struct FixedDecimalTests {
    /// printf's `%.Nf`, without Foundation and the locale.
    @Test func roundsLikePrintf() {
        #expect(fixedDecimal(20.0456, 2) == "20.05")
        #expect(fixedDecimal(0.1234, 3) == "0.123")
        #expect(fixedDecimal(2.5, 0) == "3")
        #expect(fixedDecimal(-0.0004, 3) == "0.000")
        #expect(fixedDecimal(-1.5, 1) == "-1.5")
        #expect(fixedDecimal(7, 3) == "7.000")
        #expect(fixedDecimal(.nan, 2) == "nan")
        #expect(fixedDecimal(-.infinity, 2) == "-inf")
        for value in [0.001, 1.999, 12.3456, 1234.5678] {
            #expect(fixedDecimal(value, 3) == String(format: "%.3f", value))
        }
    }
}

/// What JSONDecoder refuses beyond JSON's grammar, without a position, is found by the strict check.
@Suite struct JSONSyntaxStrictTests {
    @Test func strictFindsWhatTheDecoderRefuses() {
        let deep = [UInt8](repeating: 0x5B, count: 513) + [UInt8](repeating: 0x5D, count: 513)
        let cases: [([UInt8], Int, String)] = [
            (Array(#"["a"#.utf8) + [0xFF] + Array(#""]"#.utf8), 3, "the byte 0xFF in a string, which is not UTF-8"),
            (Array(#"["a"#.utf8) + [0xC0, 0xAF] + Array(#""]"#.utf8), 3, "the byte 0xC0 in a string, which is not UTF-8"),
            (Array(#"["a"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""]"#.utf8), 3, "the byte 0xED in a string, which is not UTF-8"),
            (Array(#"["a"#.utf8) + [0xE2, 0x82] + Array(#""]"#.utf8), 3, "the byte 0xE2 in a string, which is not UTF-8"),
            (Array(#"["x\ud800"]"#.utf8), 3, "an unpaired UTF-16 surrogate escape in a string"),
            (Array(#"["\ud800\u0041"]"#.utf8), 2, "an unpaired UTF-16 surrogate escape in a string"),
            (Array(#"["\udc00"]"#.utf8), 2, "an unpaired UTF-16 surrogate escape in a string"),
            (Array(#"[1, 1e999]"#.utf8), 4, "the number 1e999 is beyond the range of a Double"),
            (Array(#"[-1.5e400]"#.utf8), 1, "the number -1.5e400 is beyond the range of a Double"),
            (deep, 512, "nesting deeper than 512 arrays and objects"),
        ]
        for (bytes, offset, reason) in cases {
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(JSONSyntax.firstError(in: bytes) == nil, "\(text)")
            #expect(JSONSyntax.firstError(in: bytes, strict: true) == JSONSyntax.Failure(offset: offset, reason: reason), "\(text)")
        }
        let fine = Array(#"["\ud83d\ude00 é 😀 \u00e9", 1e308, 1e-400, -0.0]"#.utf8)
        #expect(JSONSyntax.firstError(in: fine, strict: true) == nil)
        let deepest = [UInt8](repeating: 0x5B, count: 512) + [UInt8](repeating: 0x5D, count: 512)
        #expect(JSONSyntax.firstError(in: deepest, strict: true) == nil)
    }

    /// A speedscope file whose frame name is not UTF-8, or whose weight is 1e999, is refused with
    /// the line and the byte; a lone CR ends a line as LF and CRLF do.
    @Test func speedscopeNamesWhereTheDecoderFails() {
        let head = Array(#"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"#.utf8)
        let tail = Array(#""}]},"profiles":[{"type":"sampled","name":"p","unit":"none","samples":[[0]],"weights":[1]}]}"#.utf8)
        func failure(_ bytes: [UInt8]) -> ProfileError? {
            do {
                _ = try Speedscope.read(bytes)
                return nil
            } catch {
                return error
            }
        }
        let badName = failure(head + [0xFF] + tail)
        #expect(badName?.offset == head.count && badName?.line == 1, "\(String(describing: badName))")
        #expect(badName?.message.contains("not UTF-8") == true)
        let bigWeight = Array(String(decoding: head + tail, as: UTF8.self).replacingOccurrences(of: "\"weights\":[1]", with: "\"weights\":[\r1e999]").utf8)
        let big = failure(bigWeight)
        #expect(big?.line == 2 && big?.message.contains("1e999 is beyond the range of a Double") == true, "\(String(describing: big))")
    }
}
