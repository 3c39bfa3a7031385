// SPDX-License-Identifier: Apache-2.0
//
// A small JSON text builder for the reports sflame writes (RFC 8259): values are appended in
// order, so the output is deterministic.
//
//   var j = JSONText(); j.object { j.key("a"); j.number(1); j.key("b"); j.string("x\"y") }
//   ──► {"a":1,"b":"x\"y"}

/// Deterministic JSON output.
struct JSONText {
    private(set) var text = ""
    /// Per open container: whether it has an element already (the next one needs a comma).
    private var hasElement = [false]
    /// A member name was written; the next value belongs to it.
    private var afterKey = false

    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else {
            if hasElement[hasElement.count - 1] { text += "," }
            hasElement[hasElement.count - 1] = true
        }
    }

    mutating func object(_ body: (inout JSONText) -> Void) {
        beginValue()
        text += "{"
        hasElement.append(false)
        body(&self)
        hasElement.removeLast()
        text += "}"
    }

    mutating func array(_ body: (inout JSONText) -> Void) {
        beginValue()
        text += "["
        hasElement.append(false)
        body(&self)
        hasElement.removeLast()
        text += "]"
    }

    /// A member name; the next value is its value.
    mutating func key(_ name: String) {
        if hasElement[hasElement.count - 1] { text += "," }
        hasElement[hasElement.count - 1] = true
        text += Self.quoted(name) + ":"
        afterKey = true
    }

    mutating func string(_ value: String) {
        beginValue()
        text += Self.quoted(value)
    }

    mutating func number<T: BinaryInteger>(_ value: T) {
        beginValue()
        text += String(value)
    }

    /// A finite double with up to `places` decimals (JSON has no NaN: those become null).
    mutating func number(_ value: Double, places: Int = 6) {
        beginValue()
        text += value.isFinite ? Format.decimal(value, places: places).trimmingFraction : "null"
    }

    mutating func bool(_ value: Bool) {
        beginValue()
        text += value ? "true" : "false"
    }

    mutating func null() {
        beginValue()
        text += "null"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    /// "1.500000" → "1.5", "2.000000" → "2".
    var trimmingFraction: String {
        guard contains(".") else { return self }
        var s = self
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
