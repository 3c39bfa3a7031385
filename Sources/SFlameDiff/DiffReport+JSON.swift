// SPDX-License-Identifier: Apache-2.0
//
// The JSON report: everything, for programs. Shape (numbers abridged):
//
//   {
//     "before": {"name": "base.folded", "samples": 1502},
//     "after": {"name": "slow.folded", "samples": 1498},
//     "normalization": {"applied": false, "reason": "totalsClose", "relativeDifference": 0.0027,
//                       "baselineScale": 1},
//     "significance": {"test": "two-proportion z-test", "correction": "Holm-Bonferroni",
//                      "alpha": 0.05, "functionsCompared": {"self": 9, "total": 14}, "note": "…"},
//     "regressions": ["parse_request", "handle_request"],     names, in the text report's order
//     "improvements": ["poll_events"],
//     "functions": [                       largest |self change| first, as in the text report
//       {"name": "parse_request",
//        "self": {"before": 302, "after": 601, "beforeShare": 0.2011, "afterShare": 0.4012,
//                 "pointChange": 20.01, "relativeChange": 0.995, "z": 11.8, "pValue": 4e-32,
//                 "adjustedPValue": 3.6e-31, "significant": true},
//        "total": {…}}, …],
//     "newStacks": [{"frames": ["req", "main", …], "samples": 3}],
//     "vanishedStacks": [],
//     "gate": {"rules": ["2"], "passed": false, "offenders": [{"rule": "2", "function": "parse_request",
//              "pointChange": 20.01, "adjustedPValue": 3.6e-31}]}     (only with rules)
//   }
//
// relativeChange is null for a function new in AFTER. Numbers use the shortest exact spelling.

extension DiffReport {
    /// The report as JSON (UTF-8 text, two-space indentation, ending in "\n").
    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("before")
        profileObject(&w, name: options.baselineName, total: diff.baselineTotal)
        w.key("after")
        profileObject(&w, name: options.comparisonName, total: diff.comparisonTotal)
        w.key("normalization")
        w.beginObject()
        w.field("applied", diff.normalization.isApplied)
        w.field("reason", diff.normalization.reason.rawValue)
        w.field("relativeDifference", diff.normalization.relativeDifference)
        w.field("baselineScale", diff.normalization.baselineScale)
        w.endObject()
        w.key("significance")
        w.beginObject()
        w.field("test", "two-proportion z-test")
        w.field("correction", "Holm-Bonferroni")
        w.field("alpha", diff.options.significanceLevel)
        w.key("functionsCompared")
        w.beginObject()
        w.field("self", Int64(diff.selfFunctionCount))
        w.field("total", Int64(diff.functions.count))
        w.endObject()
        w.field("note", significanceSentences[1])
        w.endObject()
        w.key("regressions")
        w.beginArray(inline: true)
        regressions.forEach { w.string($0.name) }
        w.endArray()
        w.key("improvements")
        w.beginArray(inline: true)
        improvements.forEach { w.string($0.name) }
        w.endArray()
        w.key("functions")
        w.beginArray()
        for f in allFunctionsRanked() {
            w.beginObject()
            w.field("name", f.name)
            w.key("self")
            changeObject(&w, f.selfChange)
            w.key("total")
            changeObject(&w, f.totalChange)
            w.endObject()
        }
        w.endArray()
        w.key("newStacks")
        stackArray(&w, diff.newStacks, weight: \.comparisonWeight)
        w.key("vanishedStacks")
        stackArray(&w, diff.vanishedStacks, weight: \.baselineWeight)
        if !options.rules.isEmpty {
            w.key("gate")
            w.beginObject()
            w.key("rules")
            w.beginArray()
            options.rules.forEach { w.string($0.description) }
            w.endArray()
            w.field("passed", offenders.isEmpty)
            w.key("offenders")
            w.beginArray()
            for o in offenders {
                w.beginObject()
                w.field("rule", o.rule.description)
                w.field("function", o.function.name)
                w.field("pointChange", o.function.totalChange.pointChange)
                w.field("adjustedPValue", o.function.totalChange.adjustedPValue)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endObject()
        return w.text + "\n"
    }

    private func profileObject(_ w: inout JSONWriter, name: String, total: Int64) {
        w.beginObject()
        w.field("name", name)
        w.field("samples", total)
        w.endObject()
    }

    private func changeObject(_ w: inout JSONWriter, _ c: ShareChange) {
        w.beginObject()
        w.field("before", c.baselineWeight)
        w.field("after", c.comparisonWeight)
        w.field("beforeShare", c.baselineShare)
        w.field("afterShare", c.comparisonShare)
        w.field("pointChange", c.pointChange)
        w.field("relativeChange", c.relativeChange)
        w.field("z", c.zScore)
        w.field("pValue", c.pValue)
        w.field("adjustedPValue", c.adjustedPValue)
        w.field("significant", c.isSignificant)
        w.endObject()
    }

    private func stackArray(_ w: inout JSONWriter, _ stacks: [DiffStack], weight: (DiffStack) -> Int64) {
        w.beginArray()
        for s in stacks {
            w.beginObject()
            w.key("frames")
            w.beginArray(inline: true)
            s.frames.forEach { w.string($0) }
            w.endArray()
            w.field("samples", weight(s))
            w.endObject()
        }
        w.endArray()
    }
}

/// A minimal streaming JSON writer: objects, arrays, strings (escaped per RFC 8259 §7),
/// integers, finite doubles (non-finite ones become null) and booleans.
struct JSONWriter {
    private(set) var text = ""
    /// Per open container: whether it has an element yet, and whether it is written on one line.
    private var open: [(hasElement: Bool, inline: Bool)] = []
    private var afterKey = false

    private mutating func element() {
        if afterKey {
            afterKey = false
            return
        }
        guard let top = open.last else { return }
        if top.hasElement { text += "," }
        open[open.count - 1].hasElement = true
        if top.inline {
            if top.hasElement { text += " " }
        } else {
            text += "\n" + String(repeating: "  ", count: open.count)
        }
    }

    mutating func beginObject() {
        element()
        text += "{"
        open.append((false, open.last?.inline ?? false))
    }

    mutating func beginArray(inline: Bool = false) {
        element()
        text += "["
        open.append((false, inline || (open.last?.inline ?? false)))
    }

    mutating func endObject() { close("}") }
    mutating func endArray() { close("]") }

    private mutating func close(_ bracket: String) {
        let top = open.removeLast()
        if top.hasElement && !top.inline { text += "\n" + String(repeating: "  ", count: open.count) }
        text += bracket
    }

    /// Writes a key; the next value or container is its value.
    mutating func key(_ name: String) {
        element()
        text += JSONWriter.quoted(name) + ": "
        afterKey = true
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: Int64) {
        key(name)
        integer(value)
    }

    mutating func field(_ name: String, _ value: Double?) {
        key(name)
        number(value)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    mutating func string(_ s: String) {
        element()
        text += JSONWriter.quoted(s)
    }

    mutating func integer(_ v: Int64) {
        element()
        text += String(v)
    }

    mutating func number(_ v: Double?) {
        element()
        if let v, v.isFinite {
            // Swift's description is the shortest round-tripping spelling; JSON has no "+".
            text += v == v.rounded() && v.magnitude < 1e15 ? String(Int64(v)) : v.description
        } else {
            text += "null"
        }
    }

    mutating func bool(_ v: Bool) {
        element()
        text += v ? "true" : "false"
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
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
