// SPDX-License-Identifier: Apache-2.0
//
// The text report, for a terminal. Example (abridged):
//
//   BEFORE  base.folded  1,502 samples
//   AFTER   slow.folded  1,498 samples
//   Totals differ by 0.3 %: the graph compares counts (--normalize compares shares).
//   Shares are each function's samples over its profile's total. Significance: ...
//
//   Self share (samples where the function is the leaf frame), largest change first:
//        change  relative          before           after  adj. p  verdict       function
//     +20.05 pts  +99.8%   20.08% (302)   40.13% (601)  <0.001  significant   parse_request
//      -0.15 pts   -0.5%   29.95% (450)   29.80% (446)   1      within noise  render_response
//
//   Stacks only in AFTER (new): 1 stack, 3 samples (0.20% of AFTER)
//           3  req;main;serve_loop;handle_request;parse_request;tokenize

extension DiffReport {
    /// The report as plain text, lines ending in "\n".
    public func text() -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let nameWidth = max(options.baselineName.count, options.comparisonName.count)
        line("BEFORE  \(pad(options.baselineName, nameWidth))  \(NumberText.grouped(diff.baselineTotal)) samples")
        line("AFTER   \(pad(options.comparisonName, nameWidth))  \(NumberText.grouped(diff.comparisonTotal)) samples")
        line(normalizationSentence)
        significanceSentences.forEach { line($0) }
        line()
        line("Regressions (significant growth), by change of self share, then of total share:")
        out += summary(limited(regressions))
        if let rest = remainder(count: regressions.count) { line("  " + rest) }
        line()
        line("Improvements (significant shrinkage), by change of self share, then of total share:")
        out += summary(limited(improvements))
        if let rest = remainder(count: improvements.count) { line("  " + rest) }
        line()
        line("Self share (samples where the function is the leaf frame), largest change first:")
        out += table(bySelfChange[...], key: \.selfChange)
        if let rest = remainder(of: bySelfChange, key: \.selfChange) { line("  " + rest) }
        line()
        line("Total share (samples whose stack contains the function), largest change first:")
        out += table(byTotalChange[...], key: \.totalChange)
        if let rest = remainder(of: byTotalChange, key: \.totalChange) { line("  " + rest) }
        line()
        stackSection(
            &out, title: "Stacks only in AFTER (new)", stacks: diff.newStacks, weight: \.comparisonWeight,
            total: diff.comparisonTotal, side: "AFTER")
        stackSection(
            &out, title: "Stacks only in BEFORE (vanished)", stacks: diff.vanishedStacks, weight: \.baselineWeight,
            total: diff.baselineTotal, side: "BEFORE")
        if !options.rules.isEmpty {
            line()
            let rules = options.rules.map(\.description).joined(separator: ", ")
            if offenders.isEmpty {
                line("Regression gate (\(rules)): passed")
            } else {
                line(
                    "Regression gate (\(rules)): FAILED, \(offenders.count) regression\(offenders.count == 1 ? "" : "s"):"
                )
                offenders.forEach { line("  " + DiffReport.offenderLine($0)) }
            }
        }
        return out
    }

    /// Regressions or improvements: both changes, the total share before and after.
    private func summary(_ rows: ArraySlice<FunctionChange>) -> String {
        guard !rows.isEmpty else { return "  none\n" }
        var cells: [[String]] = [["self", "total", "total before", "total after", "adj. p", "function"]]
        for f in rows {
            let t = f.totalChange
            let p = min(f.selfChange.isSignificant ? f.selfChange.adjustedPValue : 1, t.adjustedPValue)
            cells.append([
                NumberText.signed(f.selfChange.pointChange, 2) + " pts", NumberText.signed(t.pointChange, 2) + " pts",
                "\(NumberText.percent(t.baselineShare)) (\(NumberText.grouped(t.baselineWeight)))",
                "\(NumberText.percent(t.comparisonShare)) (\(NumberText.grouped(t.comparisonWeight)))",
                NumberText.pValue(p), f.name,
            ])
        }
        return aligned(cells, leftAligned: [])
    }

    /// Rows of cells: every column but the last padded to its widest cell (right-aligned unless
    /// listed in `leftAligned`), two spaces apart.
    private func aligned(_ cells: [[String]], leftAligned: Set<Int>) -> String {
        let columns = cells[0].count
        let widths = (0..<columns - 1).map { column in cells.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for row in cells {
            var line = ""
            for column in 0..<columns - 1 {
                let cell = row[column]
                line +=
                    "  " + (leftAligned.contains(column) ? pad(cell, widths[column]) : padLeft(cell, widths[column]))
            }
            out += line + "  " + row[columns - 1] + "\n"
        }
        return out
    }

    private func table(_ rows: ArraySlice<FunctionChange>, key: KeyPath<FunctionChange, ShareChange>) -> String {
        var cells: [[String]] = [["change", "relative", "before", "after", "adj. p", "verdict", "function"]]
        for f in rows {
            let c = f[keyPath: key]
            cells.append([
                NumberText.signed(c.pointChange, 2) + " pts", NumberText.relative(c.relativeChange),
                "\(NumberText.percent(c.baselineShare)) (\(NumberText.grouped(c.baselineWeight)))",
                "\(NumberText.percent(c.comparisonShare)) (\(NumberText.grouped(c.comparisonWeight)))",
                NumberText.pValue(c.adjustedPValue), DiffReport.verdict(c), f.name,
            ])
        }
        // Numbers right-aligned, the verdict left-aligned.
        return aligned(cells, leftAligned: [5])
    }

    private func stackSection(
        _ out: inout String, title: String, stacks: [DiffStack], weight: (DiffStack) -> Int64, total: Int64,
        side: String
    ) {
        guard !stacks.isEmpty else {
            out += "\(title): none\n"
            return
        }
        out += "\(title): \(DiffReport.stackSummary(stacks, weight: weight, total: total, side: side))\n"
        let shown = limited(stacks)
        let width = shown.map { NumberText.grouped(weight($0)).count }.max() ?? 0
        for s in shown {
            out +=
                "  " + padLeft(NumberText.grouped(weight(s)), max(width, 6)) + "  " + s.frames.joined(separator: ";")
                + "\n"
        }
        if let rest = remainder(of: stacks, weight: weight) { out += "  " + rest + "\n" }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    private func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
