// SPDX-License-Identifier: Apache-2.0

/// The change of one function's share of samples between BEFORE and AFTER, with the counts
/// behind it and its significance.
///
/// Units: weights are in the profiles' unit (samples); shares are fractions of each profile's
/// own total (0.25 = 25 %); `pointChange` is in percentage points.
public struct ShareChange: Sendable, Equatable {
    /// The function's weight in BEFORE.
    public var baselineWeight: Int64
    /// The function's weight in AFTER.
    public var comparisonWeight: Int64
    /// `baselineWeight` / BEFORE's total.
    public var baselineShare: Double
    /// `comparisonWeight` / AFTER's total.
    public var comparisonShare: Double
    /// The two-proportion z statistic; positive when the share grew.
    public var zScore: Double
    /// The two-sided p-value of `zScore`, before correction.
    public var pValue: Double
    /// The p-value after the Holm–Bonferroni correction over all functions compared.
    public var adjustedPValue: Double
    /// Whether `adjustedPValue` is below the significance level. A change that is not
    /// significant is within the noise.
    public var isSignificant: Bool

    /// AFTER's share minus BEFORE's, in percentage points.
    public var pointChange: Double { (comparisonShare - baselineShare) * 100 }

    /// The change relative to BEFORE's share (1.0 = doubled, −0.5 = halved); nil when the
    /// function had no weight in BEFORE.
    public var relativeChange: Double? {
        baselineShare > 0 ? comparisonShare / baselineShare - 1 : nil
    }

    /// Whether the function had no weight before and some after.
    public var isNew: Bool { baselineWeight == 0 && comparisonWeight > 0 }
    /// Whether the function had weight before and none after.
    public var isVanished: Bool { baselineWeight > 0 && comparisonWeight == 0 }
}

/// One function (frame name) compared between BEFORE and AFTER.
public struct FunctionChange: Sendable, Equatable {
    /// The frame name as in the folded stacks (annotations such as `_[k]` included).
    public var name: String
    /// Self: samples where the function is the leaf frame.
    public var selfChange: ShareChange
    /// Total: samples whose stack contains the function, counted once under recursion.
    public var totalChange: ShareChange
}
