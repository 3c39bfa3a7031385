// SPDX-License-Identifier: Apache-2.0
//
// The significance estimate of a change in share:
//
//   function seen in x₁ of n₁ BEFORE samples and x₂ of n₂ AFTER samples
//   p̂ = (x₁ + x₂) / (n₁ + n₂)                       pooled share
//   z = (x₂/n₂ − x₁/n₁) / √(p̂ (1 − p̂) (1/n₁ + 1/n₂))   two-proportion z-test
//   p = erfc(|z| / √2)                                two-sided p-value
//
// Then Holm–Bonferroni over the m functions compared: sort the p-values ascending, multiply
// the k-th smallest by (m − k + 1), and make the sequence non-decreasing; a change is
// significant when its adjusted p-value is below α. Holm controls the family-wise error rate
// like Bonferroni (p · m) does, and rejects at least as often, so it is never worse.
//
// Source: Holm, "A Simple Sequentially Rejective Multiple Test Procedure", Scandinavian Journal
// of Statistics 6 (1979); the z-test is the textbook large-sample test of two proportions.
//
// Caveat: the test assumes each sample is an independent draw. Periodic sampling of a program
// that runs in phases is autocorrelated, so the real variance is larger and the p-values are
// optimistic. They are a guide for ranking and for separating obvious change from obvious noise.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Two-proportion z-test and the Holm–Bonferroni correction.
enum Significance {
    /// The z statistic of a change from `x1` of `n1` to `x2` of `n2`; 0 when the pooled share is
    /// 0 or 1 (nothing can change).
    static func zScore(_ x1: Int64, of n1: Int64, _ x2: Int64, of n2: Int64) -> Double {
        guard n1 > 0 && n2 > 0 else { return 0 }
        let p1 = Double(x1) / Double(n1)
        let p2 = Double(x2) / Double(n2)
        let pooled = (Double(x1) + Double(x2)) / (Double(n1) + Double(n2))
        let variance = pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))
        guard variance > 0 else { return 0 }
        return (p2 - p1) / variance.squareRoot()
    }

    /// The two-sided p-value of a standard normal statistic.
    static func pValue(z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }

    /// Holm–Bonferroni adjusted p-values, in the order given.
    ///
    /// p-values of 1 (no change at all, common in large profiles) adjust to 1 and sort last,
    /// so only the others are sorted; the multipliers still count all m.
    ///
    /// - Complexity: O(m + k log k) for k p-values below 1.
    static func holmAdjusted(_ p: [Double]) -> [Double] {
        let m = p.count
        var below: [(p: Double, index: Int)] = []
        for (i, value) in p.enumerated() where value < 1 { below.append((value, i)) }
        below.sort { $0.p < $1.p || ($0.p == $1.p && $0.index < $1.index) }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (k, entry) in below.enumerated() {
            running = max(running, min(1, Double(m - k) * entry.p))
            adjusted[entry.index] = running
        }
        return adjusted
    }
}
