// SPDX-License-Identifier: Apache-2.0
//
// The report in its three formats, as golden files (Fixtures/report/expected), and the
// properties each format must keep: escaping, truncation that says what it left out, valid JSON.
import Foundation
import SFlameDiff
import SFlameProfile
import SFlameTestSupport
import Testing

struct DiffReportTests {
    static func diff() throws -> ProfileDiff {
        let before = try FoldedProfile.parse(goldenFiles.fixture("report/service.before.folded")).profile
        let after = try FoldedProfile.parse(goldenFiles.fixture("report/service.after.folded")).profile
        return try ProfileDiff(baseline: before, comparison: after)
    }

    static func report(top: Int = 20, rules: [String] = []) throws -> DiffReport {
        DiffReport(
            try diff(),
            options: DiffReportOptions(
                baselineName: "service.before.folded", comparisonName: "service.after.folded", top: top,
                rules: try rules.map { try RegressionRule(parsing: $0) }))
    }

    @Test func textMatchesGolden() throws {
        #expect(goldenFiles.mismatch(try Self.report(rules: ["5", "render_.*:1"]).text(), golden: "report/expected/service.txt") == nil)
        #expect(goldenFiles.mismatch(try Self.report(top: 2).text(), golden: "report/expected/service-top2.txt") == nil)
    }

    @Test func markdownMatchesGolden() throws {
        #expect(goldenFiles.mismatch(try Self.report(rules: ["5"]).markdown(), golden: "report/expected/service.md") == nil)
    }

    @Test func jsonMatchesGoldenAndParses() throws {
        let json = try Self.report(top: 1, rules: ["5"]).json()
        #expect(goldenFiles.mismatch(json, golden: "report/expected/service.json") == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let functions = try #require(object["functions"] as? [[String: Any]])
        #expect(functions.count == (try Self.diff()).functions.count, "JSON lists every function, whatever --top says")
        #expect(functions.first?["name"] as? String == "parse_request")
        #expect((object["newStacks"] as? [Any])?.count == 1 && (object["vanishedStacks"] as? [Any])?.count == 1)
        let gate = try #require(object["gate"] as? [String: Any])
        #expect(gate["passed"] as? Bool == false)
        #expect(object["regressions"] as? [String] == ["parse_request", "tokenize", "handle"])
    }

    @Test func theRegressionIsRankedFirstAndTheUntouchedFunctionIsNoise() throws {
        let report = try Self.report()
        #expect(report.regressions.first?.name == "parse_request")
        #expect(report.improvements.first?.name == "poll_events")
        #expect(report.bySelfChange.first { $0.name == "render_response" }?.selfChange.isSignificant == false)
        let text = report.text()
        let renderLine = try #require(text.split(separator: "\n").first { $0.hasSuffix("  render_response") })
        #expect(renderLine.contains("within noise"))
        #expect(report.gatePassed, "no rules: the gate passes")
    }

    @Test func truncatedTablesSayWhatTheyLeftOut() throws {
        let text = try Self.report(top: 2).text()
        #expect(text.contains("... 5 more functions with smaller changes (2 significant)"))
        #expect(text.contains("... 9 more functions with smaller changes (3 significant)"))
        let all = try Self.report(top: 0).text()
        #expect(!all.contains("more functions"))
        #expect(all.contains("svc;main;serve;handle;parse_request;tokenize"))
        #expect(all.contains("svc;main;serve;legacy_`cache`|lookup"))
    }

    @Test func markdownEscapesNamesInCodeSpans() throws {
        let md = try Self.report().markdown()
        // A backtick inside needs a longer fence; '|' would split the table cell.
        #expect(md.contains("``svc;main;serve;legacy_`cache`\\|lookup``"))
        #expect(md.contains("| `std::vector<int>::push_back` |"))
        #expect(md.contains("\\<0.001"), "'<' escaped so it is not read as HTML")
        // Every row of a table has as many cell separators as its header: no name splits a cell.
        var tableColumns: Int? = nil
        for line in md.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else {
                tableColumns = nil
                continue
            }
            let separators = line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            if let tableColumns { #expect(separators == tableColumns, "\(line)") } else { tableColumns = separators }
        }
    }

    @Test func numbersAreLocaleIndependent() throws {
        let big = profile([("m;a", 1_234_567), ("m;b", 1)])
        let diff = try ProfileDiff(baseline: big, comparison: big)
        let text = DiffReport(diff).text()
        #expect(text.contains("1,234,568 samples"))
        #expect(text.contains("0.00 pts"))
    }
}
