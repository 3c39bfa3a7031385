// SPDX-License-Identifier: Apache-2.0
@testable import SFlameRender
import Testing

struct SVGBufferTests {
    private func text(_ build: (inout SVGBuffer) -> Void) -> String {
        var buffer = SVGBuffer()
        build(&buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    @Test(arguments: [
        (0.0, "0"), (10.0, "10"), (10.004, "10"), (10.005, "10.01"), (3.14159, "3.14"), (0.5, "0.5"),
        (-0.001, "0"), (-2.25, "-2.25"), (1180.0, "1180"), (0.1, "0.1"), (123456.789, "123456.79"),
        (Double.nan, "0"), (Double.infinity, "0"),
    ])
    func decimalsAreShortAndRounded(_ value: Double, _ expected: String) {
        #expect(text { $0.appendDecimal(value) } == expected)
    }

    @Test func fixedDecimalsKeepTheirZeros() {
        #expect(text { $0.appendFixed(75, decimals: 2) } == "75.00")
        #expect(text { $0.appendFixed(0.005, decimals: 2) } == "0.01")
        #expect(text { $0.appendFixed(-8.695, decimals: 2) } == "-8.70")
        #expect(text { $0.appendFixed(100, decimals: 0) } == "100")
    }

    @Test(arguments: [
        (Int64(0), "0"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"), (-1_234, "-1,234"),
        (Int64.max, "9,223,372,036,854,775,807"), (Int64.min, "-9,223,372,036,854,775,808"),
    ])
    func groupedIntegers(_ value: Int64, _ expected: String) {
        #expect(text { $0.appendGrouped(value) } == expected)
    }

    @Test func integers() {
        #expect(text { $0.appendInt(0) } == "0")
        #expect(text { $0.appendInt(-42) } == "-42")
        #expect(text { $0.appendInt(.min) } == "-9223372036854775808")
    }

    @Test func escaping() {
        #expect(text { $0.appendEscaped("a<b>&\"c\"'d'") } == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;")
        #expect(text { $0.appendEscaped("plain ☃ text") } == "plain ☃ text")
        #expect(
            text { $0.appendEscaped("x\u{0}\u{8}\t\n\r\u{7F}y") } == "x" + String(repeating: "\u{FFFD}", count: 6) + "y"
        )
        #expect(text { $0.appendEscaped("\u{FFFE}\u{FFFF}\u{FFFD}\u{EFFF}") } == "\u{FFFD}\u{FFFD}\u{FFFD}\u{EFFF}")
    }

    @Test func fnv1aKnownVectors() {
        // Test vectors of the FNV reference implementation (64-bit FNV-1a).
        #expect(StableHash.fnv1a64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.fnv1a64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(StableHash.fnv1a64("foobar".utf8) == 0x8594_4171_f739_67e8)
    }
}
