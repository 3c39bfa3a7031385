// SPDX-License-Identifier: Apache-2.0
import SFlameDiff
import SFlameProfile
import Testing

struct RegressionRuleTests {
    @Test func rulesParse() throws {
        let any = try RegressionRule(parsing: "2")
        #expect(any.pattern == nil && any.thresholdPoints == 2 && any.description == "2")
        let some = try RegressionRule(parsing: "parse_.*:0.5")
        #expect(some.pattern == "parse_.*" && some.thresholdPoints == 0.5 && some.description == "parse_.*:0.5")
        let colons = try RegressionRule(parsing: "^ns::f$:1.5%")
        #expect(colons.pattern == "^ns::f$" && colons.thresholdPoints == 1.5)
        #expect(some.applies(to: "http_parse_request") && !some.applies(to: "render"))
        #expect(colons.applies(to: "ns::f") && !colons.applies(to: "ns::fg"))
    }

    @Test(arguments: ["", "abc", "x:", ":3", "a:-1", "[unclosed:2", "2:nan", "inf"])
    func badRulesAreErrors(text: String) {
        #expect(throws: DiffError.self) { try RegressionRule(parsing: text) }
    }

    @Test func theGateNeedsGrowthAboveTheThresholdAndSignificance() throws {
        let before = profile([("m;parse", 200), ("m;render", 300), ("m;poll", 500)])
        let after = profile([("m;parse", 400), ("m;render", 320), ("m;poll", 280)])
        let diff = try ProfileDiff(baseline: before, comparison: after)
        func offenders(_ rules: String...) throws -> [String] {
            try diff.regressions(rules.map { try RegressionRule(parsing: $0) }).map(\.function.name)
        }
        #expect(try offenders("5") == ["parse"])
        #expect(try offenders("25").isEmpty)
        // render grew 2 points, within the noise: never an offender, whatever the threshold.
        #expect(try offenders("0") == ["parse"])
        #expect(try offenders("render:0").isEmpty)
        #expect(try offenders("^poll$:0").isEmpty, "poll shrank")
        #expect(try offenders("rend.*:1", "par.*:1") == ["parse"])
        let both = diff.regressions([try RegressionRule(parsing: "1"), try RegressionRule(parsing: "parse:1")])
        #expect(both.map(\.rule.description) == ["1", "parse:1"], "one entry per rule")
    }
}
