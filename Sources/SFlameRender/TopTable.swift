// SPDX-License-Identifier: Apache-2.0
//
// The terminal table of the hottest functions, in `pprof -top`'s columns (flat = self,
// cum = total, sum% = running sum of flat%):
//
//   Showing the top 3 of 5 functions by self samples (100 samples in total)
//         self   self%    sum%      total  total%  function
//           75  75.00%  75.00%         75  75.00%  hot_a
//           25  25.00% 100.00%         25  25.00%  hot_b
//            0   0.00% 100.00%        100 100.00%  main

import SFlameProfile

/// Renders `FunctionTotals` as a text table.
public enum TopTable {
    /// The table's lines (each without a newline).
    ///
    /// - Parameters:
    ///   - totals: rows, already sorted.
    ///   - total: the profile's total weight (the 100% of the percentages).
    ///   - top: how many rows to show.
    ///   - bySelf: whether the rows are sorted by self weight (else by total), for the heading.
    ///   - unit: what the weights count, e.g. "samples" or "nanoseconds".
    public static func lines(
        _ totals: [FunctionTotals], total: Int64, top: Int, bySelf: Bool, unit: String
    ) -> [String] {
        let shown = totals.prefix(top)
        var lines = [
            "Showing the top \(shown.count) of \(totals.count) function\(totals.count == 1 ? "" : "s") by "
                + "\(bySelf ? "self" : "total") \(unit) (\(grouped(total)) \(Self.unit(unit, count: total)) in total)",
        ]
        let width = max(10, shown.map { max(grouped($0.selfWeight).count, grouped($0.totalWeight).count) }.max() ?? 0)
        lines.append(
            pad("self", width) + "   self%    sum%  " + pad("total", width) + "  total%  function")
        var sum: Int64 = 0
        for row in shown {
            sum &+= row.selfWeight
            lines.append(
                pad(grouped(row.selfWeight), width) + " " + percent(row.selfWeight, total) + " " + percent(sum, total)
                    + "  " + pad(grouped(row.totalWeight), width) + " " + percent(row.totalWeight, total) + "  "
                    + row.name)
        }
        return lines
    }

    /// `unit` for a count of `n`: "1 sample", "1 byte"; names that are not plural words ("ns",
    /// "alloc_space") stay as they are.
    static func unit(_ unit: String, count n: Int64) -> String {
        let plurals: Set = ["samples", "bytes", "nanoseconds", "microseconds", "milliseconds", "seconds"]
        return n == 1 && plurals.contains(unit) ? String(unit.dropLast()) : unit
    }

    /// `12.34%`, right-aligned in 7 columns.
    static func percent(_ part: Int64, _ whole: Int64) -> String {
        guard whole != 0 else { return pad("-", 7) }
        let hundredths = (Double(part) / Double(whole) * 10_000).rounded()
        // Shares of a difference of two profiles can be far outside ±100 %; beyond what an Int64
        // holds they are only shown as large.
        guard hundredths.magnitude < 9e18 else { return pad(hundredths < 0 ? "-inf%" : "inf%", 7) }
        // Negative shares occur in diff profiles (`pprof -diff_base`): the sign goes in front.
        let value = Int64(hundredths).magnitude
        let sign = hundredths < 0 ? "-" : ""
        let text = "\(sign)\(value / 100).\(String(value % 100).leftPadded(to: 2, with: "0"))%"
        return pad(text, 7)
    }

    static func grouped(_ n: Int64) -> String {
        groupedDecimal(n)
    }

    static func pad(_ s: String, _ width: Int) -> String { s.leftPadded(to: width, with: " ") }
}

extension String {
    fileprivate func leftPadded(to width: Int, with c: Character) -> String {
        count >= width ? self : String(repeating: c, count: width - count) + self
    }
}
