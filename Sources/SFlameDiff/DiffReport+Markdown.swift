// SPDX-License-Identifier: Apache-2.0
//
// The Markdown report (GitHub-flavoured tables), for a pull-request comment or a CI job
// summary. Example (abridged):
//
//   ## Profile comparison
//   | | profile | samples |
//   |---|---|---:|
//   | BEFORE | `base.folded` | 1,502 |
//   ...
//   ### Self share
//   | change | relative | before | after | adj. p | verdict | function |
//   |---:|---:|---:|---:|---:|---|---|
//   | +20.05 pts | +99.8% | 20.08% (302) | 40.13% (601) | <0.001 | **significant** | `parse_request` |

extension DiffReport {
    /// The report as GitHub-flavoured Markdown.
    public func markdown() -> String {
        var out = "## Profile comparison\n\n"
        out += "| | profile | samples |\n|---|---|---:|\n"
        out += "| BEFORE | \(DiffReport.code(options.baselineName)) | \(NumberText.grouped(diff.baselineTotal)) |\n"
        out +=
            "| AFTER | \(DiffReport.code(options.comparisonName)) | \(NumberText.grouped(diff.comparisonTotal)) |\n\n"
        out += normalizationSentence + "\n\n"
        out += significanceSentences.joined(separator: " ") + "\n\n"
        if !options.rules.isEmpty {
            let rules = options.rules.map { DiffReport.code($0.description) }.joined(separator: ", ")
            if offenders.isEmpty {
                out += "**Regression gate (\(rules)): passed.**\n\n"
            } else {
                out += "**Regression gate (\(rules)): FAILED.**\n\n"
                for o in offenders { out += "- " + DiffReport.escapeText(DiffReport.offenderLine(o)) + "\n" }
                out += "\n"
            }
        }
        out += "### Regressions\n\nSignificant growth, by change of self share, then of total share.\n\n"
        out += summary(limited(regressions))
        if let rest = remainder(count: regressions.count) { out += "\n" + rest + "\n" }
        out += "\n### Improvements\n\nSignificant shrinkage, by change of self share, then of total share.\n\n"
        out += summary(limited(improvements))
        if let rest = remainder(count: improvements.count) { out += "\n" + rest + "\n" }
        out += "\n### Self share\n\nSamples where the function is the leaf frame, largest change first.\n\n"
        out += table(bySelfChange[...], key: \.selfChange)
        if let rest = remainder(of: bySelfChange, key: \.selfChange) { out += "\n" + rest + "\n" }
        out += "\n### Total share\n\nSamples whose stack contains the function, largest change first.\n\n"
        out += table(byTotalChange[...], key: \.totalChange)
        if let rest = remainder(of: byTotalChange, key: \.totalChange) { out += "\n" + rest + "\n" }
        out += stackSection(
            "Stacks only in AFTER (new)", diff.newStacks, weight: \.comparisonWeight, total: diff.comparisonTotal,
            side: "AFTER")
        out += stackSection(
            "Stacks only in BEFORE (vanished)", diff.vanishedStacks, weight: \.baselineWeight,
            total: diff.baselineTotal,
            side: "BEFORE")
        return out
    }

    private func summary(_ rows: ArraySlice<FunctionChange>) -> String {
        guard !rows.isEmpty else { return "None.\n" }
        var out = "| self | total | total before | total after | adj. p | function |\n"
        out += "|---:|---:|---:|---:|---:|---|\n"
        for f in rows {
            let t = f.totalChange
            let p = min(f.selfChange.isSignificant ? f.selfChange.adjustedPValue : 1, t.adjustedPValue)
            out +=
                "| \(NumberText.signed(f.selfChange.pointChange, 2)) pts | \(NumberText.signed(t.pointChange, 2)) pts "
            out += "| \(NumberText.percent(t.baselineShare)) (\(NumberText.grouped(t.baselineWeight))) "
            out += "| \(NumberText.percent(t.comparisonShare)) (\(NumberText.grouped(t.comparisonWeight))) "
            out += "| \(NumberText.pValue(p).replacingLessThan) | \(DiffReport.code(f.name)) |\n"
        }
        return out
    }

    private func table(_ rows: ArraySlice<FunctionChange>, key: KeyPath<FunctionChange, ShareChange>) -> String {
        var out = "| change | relative | before | after | adj. p | verdict | function |\n"
        out += "|---:|---:|---:|---:|---:|---|---|\n"
        for f in rows {
            let c = f[keyPath: key]
            let verdict = c.isSignificant ? "**significant**" : "within noise"
            out += "| \(NumberText.signed(c.pointChange, 2)) pts | \(NumberText.relative(c.relativeChange)) "
            out += "| \(NumberText.percent(c.baselineShare)) (\(NumberText.grouped(c.baselineWeight))) "
            out += "| \(NumberText.percent(c.comparisonShare)) (\(NumberText.grouped(c.comparisonWeight))) "
            out +=
                "| \(NumberText.pValue(c.adjustedPValue).replacingLessThan) | \(verdict) | \(DiffReport.code(f.name)) |\n"
        }
        return out
    }

    private func stackSection(
        _ title: String, _ stacks: [DiffStack], weight: (DiffStack) -> Int64, total: Int64, side: String
    ) -> String {
        guard !stacks.isEmpty else { return "\n### \(title)\n\nNone.\n" }
        var out = "\n### \(title)\n\n\(DiffReport.stackSummary(stacks, weight: weight, total: total, side: side)).\n\n"
        out += "| samples | stack |\n|---:|---|\n"
        for s in limited(stacks) {
            out += "| \(NumberText.grouped(weight(s))) | \(DiffReport.code(s.frames.joined(separator: ";"))) |\n"
        }
        if let rest = remainder(of: stacks, weight: weight) { out += "\n" + rest + "\n" }
        return out
    }

    /// `text` as a code span that survives a table cell: a fence longer than any backtick run
    /// inside, spaces inside the fence when the text starts or ends with a backtick, and `|`
    /// escaped (GFM table cells split on it even inside code spans).
    static func code(_ text: String) -> String {
        var longest = 0
        var run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let body = text.replacingPipes
        let padded = text.hasPrefix("`") || text.hasSuffix("`") ? " \(body) " : body
        return fence + padded + fence
    }

    /// Plain text for a list item: characters with a meaning in Markdown or HTML escaped.
    static func escapeText(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\`*_[]<>|#".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

extension String {
    fileprivate var replacingPipes: String {
        var out = ""
        for c in self {
            if c == "|" { out += "\\|" } else { out.append(c) }
        }
        return out
    }

    /// "<0.001" with its "<" escaped, so Markdown renderers do not read an HTML tag.
    fileprivate var replacingLessThan: String { hasPrefix("<") ? "\\" + self : self }
}
