// SPDX-License-Identifier: Apache-2.0
//
// The regression report of a comparison, in three formats with the same content:
//
//   text       aligned columns for a terminal (the default on stdout)
//   markdown   GitHub-flavoured tables, for a pull-request comment or a CI summary
//   json       everything, every function and stack, for programs
//
// Sections: the inputs and their totals; normalization; how significance was estimated (with
// the caveat that samples are not independent); regressions (significant growth) and
// improvements (significant shrinkage), the function where the time changed first, then the
// callers that changed with it; all functions by change of self share; all functions by change
// of total share; stacks only in AFTER; stacks only in BEFORE; the gate's verdict
// when rules were given. Text and Markdown list the `top` largest changes and stacks and say
// how many more there are (and how many of those are significant); JSON lists all.

/// What a report shows besides the comparison itself.
public struct DiffReportOptions: Sendable {
    /// BEFORE's name (a path), for the header. Default "BEFORE".
    public var baselineName: String
    /// AFTER's name, for the header. Default "AFTER".
    public var comparisonName: String
    /// Rows per table and stacks per list in text and Markdown; 0 for all. Default 20.
    public var top: Int
    /// The gate's rules; empty when there is no gate. Default none.
    public var rules: [RegressionRule]

    public init(
        baselineName: String = "BEFORE", comparisonName: String = "AFTER", top: Int = 20,
        rules: [RegressionRule] = []
    ) {
        self.baselineName = baselineName
        self.comparisonName = comparisonName
        self.top = top
        self.rules = rules
    }
}

/// A report of a `ProfileDiff`, ready to be written in any of the formats.
public struct DiffReport: Sendable {
    public let diff: ProfileDiff
    public let options: DiffReportOptions
    /// Functions with self weight in either profile, largest |self change| first: the `top`
    /// first (all when `top` is 0).
    public let bySelfChange: [FunctionChange]
    /// All functions, largest |total change| first: the `top` first (all when `top` is 0).
    public let byTotalChange: [FunctionChange]
    /// How many functions have self weight, and how many of those changed significantly.
    let selfCounts: (all: Int, significant: Int)
    /// How many functions there are, and how many changed their total share significantly.
    let totalCounts: (all: Int, significant: Int)
    /// Functions whose self or total share grew significantly: largest self-share growth
    /// first (where the time went), then by total-share growth (callers that grew with it).
    public let regressions: [FunctionChange]
    /// Functions whose self or total share shrank significantly, largest shrinkage of self
    /// share first, then of total share.
    public let improvements: [FunctionChange]
    /// The functions that broke a rule (empty without rules, or when the gate passes).
    public let offenders: [RegressionOffender]

    public init(_ diff: ProfileDiff, options: DiffReportOptions = DiffReportOptions()) {
        self.diff = diff
        self.options = options
        let functions = diff.functions
        let selfChange = functions.map { $0.selfChange.pointChange }
        let totalChange = functions.map { $0.totalChange.pointChange }
        let hasSelf = functions.map { $0.selfChange.baselineWeight > 0 || $0.selfChange.comparisonWeight > 0 }
        let withSelf = functions.indices.filter { hasSelf[$0] }
        bySelfChange = DiffReport.ranked(
            withSelf, keys: selfChange.map(\.magnitude), then: totalChange.map(\.magnitude), limit: options.top
        ).map { functions[$0] }
        byTotalChange = DiffReport.ranked(
            Array(functions.indices), keys: totalChange.map(\.magnitude), then: selfChange.map(\.magnitude),
            limit: options.top
        ).map { functions[$0] }
        selfCounts = (withSelf.count, withSelf.filter { functions[$0].selfChange.isSignificant }.count)
        totalCounts = (functions.count, functions.filter { $0.totalChange.isSignificant }.count)
        offenders = diff.regressions(options.rules)
        func grew(_ c: ShareChange) -> Bool { c.isSignificant && c.pointChange > 0 }
        func shrank(_ c: ShareChange) -> Bool { c.isSignificant && c.pointChange < 0 }
        regressions = DiffReport.ranked(
            functions.indices.filter { grew(functions[$0].selfChange) || grew(functions[$0].totalChange) },
            keys: selfChange, then: totalChange
        ).map { functions[$0] }
        improvements = DiffReport.ranked(
            functions.indices.filter { shrank(functions[$0].selfChange) || shrank(functions[$0].totalChange) },
            keys: selfChange.map { -$0 }, then: totalChange.map { -$0 }
        ).map { functions[$0] }
    }

    /// Whether the gate passed: no rule broken (true without rules).
    public var gatePassed: Bool { offenders.isEmpty }

    /// `indices` by `keys` descending, then `then` descending, then index (functions are
    /// sorted by name, so ties are in name order); only the first `limit` when it is positive.
    /// Ranking indices over precomputed keys, and selecting the first few rather than sorting
    /// all, keeps this cheap for the hundreds of thousands of functions a large profile has.
    static func ranked(_ indices: [Int], keys: [Double], then second: [Double], limit: Int = 0) -> [Int] {
        func precedes(_ a: Int, _ b: Int) -> Bool {
            if keys[a] != keys[b] { return keys[a] > keys[b] }
            if second[a] != second[b] { return second[a] > second[b] }
            return a < b
        }
        guard limit > 0 && limit < indices.count else { return indices.sorted(by: precedes) }
        var best: [Int] = []  // sorted, at most `limit`
        best.reserveCapacity(limit + 1)
        for i in indices where best.count < limit || precedes(i, best[best.count - 1]) {
            var position = best.count
            while position > 0 && precedes(i, best[position - 1]) { position -= 1 }
            best.insert(i, at: position)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    /// Every function in the order of the self-share table (functions without self weight
    /// last, in the order of the total-share table): the JSON report's order.
    func allFunctionsRanked() -> [FunctionChange] {
        let functions = diff.functions
        let selfChange = functions.map { $0.selfChange.pointChange.magnitude }
        let totalChange = functions.map { $0.totalChange.pointChange.magnitude }
        let hasSelf = functions.map { $0.selfChange.baselineWeight > 0 || $0.selfChange.comparisonWeight > 0 }
        let withSelf = DiffReport.ranked(functions.indices.filter { hasSelf[$0] }, keys: selfChange, then: totalChange)
        let without = DiffReport.ranked(functions.indices.filter { !hasSelf[$0] }, keys: totalChange, then: selfChange)
        return (withSelf + without).map { functions[$0] }
    }

    /// The first `top` items (all when `top` is 0).
    func limited<T>(_ items: [T]) -> ArraySlice<T> {
        options.top > 0 ? items.prefix(options.top) : items[...]
    }

    /// One sentence on normalization, e.g. "The totals differ by 23.4 %: BEFORE's counts are
    /// scaled by 1.234 in the graph."
    var normalizationSentence: String {
        let n = diff.normalization
        let difference = NumberText.fixed(n.relativeDifference * 100, 1)
        switch n.reason {
        case .requested:
            return "Normalized on request (totals differ by \(difference) %): the graph compares shares."
        case .totalsDiffer:
            return
                "Totals differ by \(difference) % (more than \(NumberText.trimmed(diff.options.automaticThreshold * 100)) %), "
                + "so they are normalized: the graph compares shares."
        case .totalsClose:
            return "Totals differ by \(difference) %: not normalized, so the graph compares counts (--normalize "
                + "compares shares). The report always compares shares."
        case .refused:
            return "Not normalized on request (totals differ by \(difference) %): the graph compares counts. "
                + "The report always compares shares."
        }
    }

    /// How significance was estimated, and the caveat.
    var significanceSentences: [String] {
        let alpha = NumberText.trimmed(diff.options.significanceLevel)
        return [
            "Shares are each function's samples over its profile's total. Significance: two-proportion z-test per "
                + "function, Holm-Bonferroni correction over the \(diff.functions.count) functions compared "
                + "(\(diff.selfFunctionCount) for self shares), alpha = \(alpha).",
            "Samples are not independent (periodic sampling, programs that run in phases), so p-values are "
                + "optimistic: treat them as a guide. 'within noise' marks changes that are not significant.",
        ]
    }

    /// "significant" or "within noise".
    static func verdict(_ change: ShareChange) -> String { change.isSignificant ? "significant" : "within noise" }

    /// "… 12 more functions (3 significant)" for the rows a table leaves out, or nil.
    func remainder(of shown: [FunctionChange], key: KeyPath<FunctionChange, ShareChange>) -> String? {
        let counts = key == \FunctionChange.selfChange ? selfCounts : totalCounts
        guard counts.all > shown.count else { return nil }
        let rest = counts.all - shown.count
        let significant = counts.significant - shown.filter { $0[keyPath: key].isSignificant }.count
        let noun = rest == 1 ? "function" : "functions"
        return "... \(rest) more \(noun) with smaller changes (\(significant) significant)"
    }

    /// "... 3 more" for the rows of a summary list that `top` leaves out, or nil.
    func remainder(count: Int) -> String? {
        guard options.top > 0 && count > options.top else { return nil }
        return "... \(count - options.top) more (--top 0 lists all)"
    }

    /// "... 40 more stacks, 52 samples" for the stacks a list leaves out, or nil.
    func remainder(of stacks: [DiffStack], weight: (DiffStack) -> Int64) -> String? {
        guard options.top > 0 && stacks.count > options.top else { return nil }
        let rest = stacks.dropFirst(options.top)
        let samples = rest.reduce(Int64(0)) { $0 + weight($1) }
        return "... \(rest.count) more stack\(rest.count == 1 ? "" : "s"), \(NumberText.grouped(samples)) "
            + "sample\(samples == 1 ? "" : "s") (--top 0 or --report json lists all)"
    }

    /// "2 stacks, 5 samples (0.33% of AFTER)".
    static func stackSummary(_ stacks: [DiffStack], weight: (DiffStack) -> Int64, total: Int64, side: String) -> String
    {
        let samples = stacks.reduce(Int64(0)) { $0 + weight($1) }
        return "\(stacks.count) stack\(stacks.count == 1 ? "" : "s"), \(NumberText.grouped(samples)) "
            + "sample\(samples == 1 ? "" : "s") (\(NumberText.percent(Double(samples) / Double(total))) of \(side))"
    }

    /// One line on a function that broke a rule: its total share before and after, the change
    /// against the threshold, the counts, the adjusted p-value and the rule.
    public static func offenderLine(_ o: RegressionOffender) -> String {
        let t = o.function.totalChange
        return "\(o.function.name): total share \(NumberText.percent(t.baselineShare)) -> "
            + "\(NumberText.percent(t.comparisonShare)) (\(NumberText.signed(t.pointChange, 2)) points > "
            + "\(NumberText.trimmed(o.rule.thresholdPoints)); \(NumberText.grouped(t.baselineWeight)) -> "
            + "\(NumberText.grouped(t.comparisonWeight)) samples; adjusted p \(NumberText.pValue(t.adjustedPValue))) "
            + "[rule \(o.rule)]"
    }
}
