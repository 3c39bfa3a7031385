// SPDX-License-Identifier: Apache-2.0

/// How two profiles are compared.
public struct DiffOptions: Sendable, Equatable {
    /// Whether the baseline's weights are scaled to the comparison's total before counts are
    /// compared [`--normalize`, `--no-normalize`]. Default `.automatic`.
    public var normalization: Normalization
    /// The relative difference of the totals, |AFTER − BEFORE| / BEFORE, above which
    /// `.automatic` normalizes. Default 0.10 (10 %).
    public var automaticThreshold: Double
    /// The family-wise error rate of the significance estimate: a change is significant when
    /// its Holm-adjusted p-value is below this [`--alpha`]. Default 0.05.
    public var significanceLevel: Double

    public init(
        normalization: Normalization = .automatic, automaticThreshold: Double = 0.10,
        significanceLevel: Double = 0.05
    ) {
        self.normalization = normalization
        self.automaticThreshold = automaticThreshold
        self.significanceLevel = significanceLevel
    }

    /// Whether to scale the baseline to the comparison's total.
    public enum Normalization: String, Sendable, Equatable, CaseIterable {
        /// Normalize when the totals differ by more than `automaticThreshold`.
        case automatic
        /// Always normalize: compare shares of each profile's total.
        case always
        /// Never normalize: compare raw counts (for recordings of equal length and rate).
        case never
    }

    /// Checks the fields that have limits.
    ///
    /// - Throws: `DiffError(.invalidRule)` naming the field and its value.
    func validate() throws(DiffError) {
        guard significanceLevel > 0 && significanceLevel < 1 else {
            throw DiffError(.invalidRule, "significance level \(significanceLevel) must be between 0 and 1 (e.g. 0.05)")
        }
        guard automaticThreshold.isFinite && automaticThreshold >= 0 else {
            throw DiffError(.invalidRule, "normalization threshold \(automaticThreshold) must be a non-negative number")
        }
    }
}

/// What normalization a comparison applied, and why.
public struct NormalizationDecision: Sendable, Equatable {
    /// Whether the baseline's weights were scaled to the comparison's total.
    public var isApplied: Bool
    /// Why.
    public var reason: Reason
    /// |AFTER − BEFORE| / BEFORE of the two totals (0.25 = 25 %).
    public var relativeDifference: Double
    /// The factor that turns baseline weights into comparison units: AFTER's total / BEFORE's
    /// total when normalized, else 1.
    public var baselineScale: Double

    public enum Reason: String, Sendable, Equatable {
        /// `DiffOptions.Normalization.always`.
        case requested
        /// `.automatic`, and the totals differ by more than the threshold.
        case totalsDiffer
        /// `.automatic`, and the totals are within the threshold.
        case totalsClose
        /// `DiffOptions.Normalization.never`.
        case refused
    }
}
