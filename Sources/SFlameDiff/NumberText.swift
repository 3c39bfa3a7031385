// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
//
// Numbers as the reports print them, without Foundation's formatters (the module is pure and
// its output must not depend on the locale):
//
//   fixed(20.0456, 2) "20.05"    signed(-0.15, 2) "-0.15"    signed(3, 2) "+3.00"
//   grouped(1502) "1,502"        trimmed(0.50) "0.5"         pValue(0.0001) "<0.001"

/// Locale-independent number formatting.
enum NumberText {
    /// `value` rounded to `decimals` places, e.g. "20.05"; "-0.00" is printed as "0.00".
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        fixedDecimal(value, decimals)
    }

    /// Like `fixed`, with a "+" before positive values.
    static func signed(_ value: Double, _ decimals: Int) -> String {
        let text = fixed(value, decimals)
        return text.hasPrefix("-") || Double(text) == 0 ? text : "+" + text
    }

    /// An integer with thousands separators: "12,004".
    static func grouped(_ value: Int64) -> String {
        groupedDecimal(value)
    }

    /// The shortest of "2", "0.5", "0.25" that rounds to `value` at four decimals.
    static func trimmed(_ value: Double) -> String {
        var text = fixed(value, 4)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A share (0.2008) as a percentage: "20.08%".
    static func percent(_ share: Double) -> String { fixed(share * 100, 2) + "%" }

    /// A p-value: "<0.001", "0.012", "1".
    static func pValue(_ p: Double) -> String {
        if p < 0.001 { return "<0.001" }
        if p >= 0.9995 { return "1" }
        return fixed(p, 3)
    }

    /// A relative change (0.998) as a signed percentage: "+99.8%"; "new" when nil.
    static func relative(_ change: Double?) -> String {
        guard let change else { return "new" }
        return signed(change * 100, 1) + "%"
    }
}
