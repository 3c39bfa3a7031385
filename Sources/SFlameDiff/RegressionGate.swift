// SPDX-License-Identifier: Apache-2.0
//
// The CI gate: rules that fail a comparison when a function's total share grew by more than a
// threshold and the growth is significant.
//
//   "2"               any function whose total share grew by more than 2 percentage points
//   "parse_.*:0.5"    functions whose name matches parse_.* (anywhere in the name), 0.5 points
//   "^ns::f$:1"       the text after the last ':' is the threshold, so names may contain ':'

/// One `--fail-on-regression` rule.
public struct RegressionRule: Sendable, CustomStringConvertible {
    /// The regular expression a function name must match (anywhere, unless anchored with `^`
    /// and `$`); nil for every function.
    public let pattern: String?
    /// The largest allowed growth of a total share, in percentage points.
    public let thresholdPoints: Double

    /// A rule for functions matching `pattern` (nil: all functions).
    ///
    /// - Throws: `DiffError(.invalidRule)` for a malformed pattern or a negative or non-finite
    ///   threshold.
    public init(pattern: String?, thresholdPoints: Double) throws(DiffError) {
        guard thresholdPoints.isFinite && thresholdPoints >= 0 else {
            throw DiffError(
                .invalidRule,
                "regression threshold \(thresholdPoints) must be a non-negative number of percentage points")
        }
        self.pattern = pattern
        self.thresholdPoints = thresholdPoints
        // Checked here so a bad pattern is an error before any comparison; `Regex` is not
        // Sendable, so the compiled pattern is not kept.
        if let pattern {
            do {
                _ = try Regex(pattern)
            } catch {
                throw DiffError(.invalidRule, "regression rule '\(pattern)': not a valid regular expression: \(error)")
            }
        }
    }

    /// Parses `PCT` or `REGEX:PCT`: the text after the last `:` is the threshold in percentage
    /// points (a trailing `%` is allowed), the text before it the pattern.
    ///
    /// - Throws: `DiffError(.invalidRule)` saying which part is wrong.
    public init(parsing text: String) throws(DiffError) {
        var pattern: String? = nil
        var number = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            pattern = String(text[..<colon])
            number = text[text.index(after: colon)...]
            if pattern!.isEmpty {
                throw DiffError(.invalidRule, "regression rule '\(text)': the pattern before ':' is empty")
            }
        }
        if number.hasSuffix("%") { number = number.dropLast() }
        guard let value = Double(number) else {
            throw DiffError(
                .invalidRule,
                "regression rule '\(text)': expected PCT or REGEX:PCT, with PCT a number of percentage points (e.g. 2 or 'parse_.*:0.5')"
            )
        }
        try self.init(pattern: pattern, thresholdPoints: value)
    }

    /// Whether the rule applies to the function called `name`.
    public func applies(to name: String) -> Bool {
        matcher()(name)
    }

    /// A predicate on function names, compiling the pattern once.
    func matcher() -> (String) -> Bool {
        guard let pattern, let regex = try? Regex(pattern) else { return { _ in true } }
        return { $0.contains(regex) }
    }

    /// `REGEX:PCT` or `PCT`, as the user would write it.
    public var description: String {
        let points = NumberText.trimmed(thresholdPoints)
        return pattern.map { "\($0):\(points)" } ?? points
    }
}

/// A function that broke a rule.
public struct RegressionOffender: Sendable {
    /// The rule it broke.
    public var rule: RegressionRule
    /// The function and its change.
    public var function: FunctionChange
}

extension ProfileDiff {
    /// The functions whose total share grew by more than a rule's threshold with a significant
    /// change, largest growth first; one entry per rule and function.
    public func regressions(_ rules: [RegressionRule]) -> [RegressionOffender] {
        var out: [RegressionOffender] = []
        for rule in rules {
            let applies = rule.matcher()
            for f in functions
            where f.totalChange.isSignificant && f.totalChange.pointChange > rule.thresholdPoints && applies(f.name) {
                out.append(RegressionOffender(rule: rule, function: f))
            }
        }
        return out.enumerated().sorted {
            let (a, b) = ($0.element.function.totalChange.pointChange, $1.element.function.totalChange.pointChange)
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
    }
}
