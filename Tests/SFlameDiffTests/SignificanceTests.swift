import Testing

// SPDX-License-Identifier: Apache-2.0
@testable import SFlameDiff

struct SignificanceTests {
    @Test func zScoreMatchesTheTextbookFormula() {
        // 50/100 vs 80/115: pooled 130/215; by hand (Python, math.erfc) z = 2.92665607, p = 0.00342628.
        let z = Significance.zScore(50, of: 100, 80, of: 115)
        #expect(abs(z - 2.926656071) < 1e-8)
        #expect(abs(Significance.pValue(z: z) - 0.003426275) < 1e-8)
        #expect(Significance.zScore(80, of: 115, 50, of: 100) == -z)
        #expect(Significance.zScore(100, of: 100, 115, of: 115) == 0, "100 % both: nothing can change")
        #expect(Significance.zScore(0, of: 100, 0, of: 115) == 0)
        #expect(Significance.pValue(z: 0) == 1)
        #expect(abs(Significance.pValue(z: 1.959963985) - 0.05) < 1e-8)
    }

    @Test func holmAdjustsInStepsAndNeverBeatsBonferroni() {
        let p = [0.01, 0.04, 0.03, 0.005]
        let adjusted = Significance.holmAdjusted(p)
        // Ascending 0.005·4, 0.01·3, 0.03·2, 0.04·1, made non-decreasing: 0.02, 0.03, 0.06, 0.06.
        let expected = [0.03, 0.06, 0.06, 0.02]
        for (a, e) in zip(adjusted, expected) { #expect(abs(a - e) < 1e-12) }
        for (a, raw) in zip(adjusted, p) {
            #expect(a >= raw && a <= min(1, raw * Double(p.count)))
        }
        #expect(Significance.holmAdjusted([0.5, 0.9]) == [1, 1])
        #expect(Significance.holmAdjusted([]) == [])
    }
}
