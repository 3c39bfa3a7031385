// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

@testable import SFlameMemory

@Suite struct LinearFitTests {
    @Test func anExactLineFitsWithRSquaredOne() throws {
        let fit = try #require(LinearFit.fit([(0, 10), (1, 12), (2, 14), (3, 16)]))
        #expect(abs(fit.slope - 2) < 1e-12 && abs(fit.intercept - 10) < 1e-12)
        #expect(fit.rSquared == 1 && fit.count == 4)
    }

    @Test func aFlatSeriesHasSlopeZeroAndFitsExactly() throws {
        let fit = try #require(LinearFit.fit([(0, 5), (1, 5), (2, 5)]))
        #expect(fit.slope == 0 && fit.intercept == 5 && fit.rSquared == 1)
    }

    @Test func noiseAroundATrendLowersRSquared() throws {
        // y = x plus alternating ±3: the slope stays near 1, R² well below 1.
        var points: [(x: Double, y: Double)] = []
        for i in 0..<20 { points.append((x: Double(i), y: Double(i) + (i % 2 == 0 ? 3.0 : -3.0))) }
        let fit = try #require(LinearFit.fit(points))
        #expect(abs(fit.slope - 1) < 0.1)
        #expect(fit.rSquared > 0.5 && fit.rSquared < 0.95)
    }

    @Test func largeByteCountsAndTimestampsStayAccurate() throws {
        // 40 GiB baseline, 1 MiB/s, at monotonic times around 10^6 s: no cancellation.
        var points: [(x: Double, y: Double)] = []
        for i in 0..<100 {
            let t = Double(i) * 0.1
            points.append((x: 1_000_000 + t, y: 42_949_672_960 + t * 1_048_576))
        }
        let fit = try #require(LinearFit.fit(points))
        #expect(abs(fit.slope / 1_048_576 - 1) < 1e-9)
    }

    @Test func tooFewOrDegeneratePointsGiveNoFit() {
        #expect(LinearFit.fit([]) == nil)
        #expect(LinearFit.fit([(1, 1)]) == nil)
        #expect(LinearFit.fit([(1, 1), (1, 5)]) == nil)
    }
}

@Suite struct VerdictRuleTests {
    static let mib = 1_048_576.0
    let rule = GrowthRule()

    /// Readings every `interval` seconds for `seconds`, RSS from `rss(t)`; anonymous memory is
    /// `anonShare` of the growth on top of a 10 MiB base.
    func series(seconds: Double, interval: Double = 0.1, rss: (Double) -> Double, anonShare: Double = 1)
        -> (rss: [(x: Double, y: Double)], anon: [(x: Double, y: Double)])
    {
        let n = Int(seconds / interval) + 1
        let times = (0..<n).map { Double($0) * interval }
        let r = times.map { (x: $0, y: rss($0)) }
        let a = times.map { (x: $0, y: 10 * Self.mib + anonShare * (rss($0) - rss(0))) }
        return (r, a)
    }

    @Test func flatIsSteady() {
        let s = series(seconds: 10, rss: { _ in 100 * Self.mib })
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1).0 == .steady)
    }

    @Test func aSmallDriftUnderTheThresholdIsSteady() {
        // 0.5 MiB over 10 s on 100 MiB: under max(1 MiB, 2 %).
        let s = series(seconds: 10, rss: { 100 * Self.mib + $0 * 0.05 * Self.mib })
        let (verdict, reason) = rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1)
        #expect(verdict == .steady)
        #expect(reason.contains("threshold"))
    }

    @Test func aSawtoothWithoutTrendIsSteady() {
        // A garbage-collected heap: ±20 MiB teeth, no net growth (R² ≈ 0).
        let s = series(
            seconds: 20, rss: { t in 100 * Self.mib + (t.truncatingRemainder(dividingBy: 2) - 1) * 20 * Self.mib })
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1).0 == .steady)
    }

    @Test func steadyGrowthOverAShortRunIsGrowing() {
        let s = series(seconds: 5, rss: { 40 * Self.mib + $0 * 2 * Self.mib })
        let (verdict, reason) = rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1)
        #expect(verdict == .growing)
        #expect(reason.contains("+2.0 MiB/s"))
        #expect(reason.contains("30 s"), "says what a leak verdict needs")
    }

    @Test func sustainedAnonymousGrowthOverALongRunIsASuspectedLeak() {
        let s = series(seconds: 60, interval: 0.5, rss: { 40 * Self.mib + $0 * 0.5 * Self.mib })
        let (verdict, reason) = rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.5)
        #expect(verdict == .suspectedLeak)
        #expect(reason.contains("anonymous memory grows"))
    }

    @Test func growthThatLevelsOffIsNotALeak() {
        // A cache filling up: fast at first, flat at the end.
        let s = series(
            seconds: 60, interval: 0.5,
            rss: { t in
                let filled: Double = 1 - Foundation.exp(-t / 10)
                return 40 * Self.mib + 50 * Self.mib * filled
            })
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.5).0 == .growing)
    }

    @Test func growthInFileBackedMemoryIsNotALeak() {
        // Page cache of a mapped file growing: RssAnon stays flat.
        let s = series(seconds: 60, interval: 0.5, rss: { 40 * Self.mib + $0 * 0.5 * Self.mib }, anonShare: 0)
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.5).0 == .growing)
    }

    @Test func fallingMemoryIsShrinking() {
        let s = series(seconds: 10, rss: { 100 * Self.mib - $0 * 2 * Self.mib })
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1).0 == .shrinking)
    }

    @Test func tooFewReadingsAreInconclusive() {
        let s = series(seconds: 0.3, rss: { 40 * Self.mib + $0 * 100 * Self.mib })
        #expect(rule.verdict(rss: s.rss, anonymous: s.anon, intervalSeconds: 0.1).0 == .inconclusive)
    }
}

@Suite struct MemoryAnalysisTests {
    @Test func peaksFinalsAndTheMappingsThatGrew() {
        var timeline = MemoryTimeline(pid: 1, intervalSeconds: 1)
        for (t, rss) in [(0.0, 100), (1, 300), (2, 250), (3, 200), (4, 210), (5, 220)] {
            timeline.samples.append(MemorySample(time: t, values: [.rss: UInt64(rss), .threads: 2]))
        }
        timeline.mappingSnapshots = [
            MappingSnapshot(
                time: 0,
                groups: ["[heap]": MappingUsage(kind: .heap, rss: 10), "/lib/a.so": MappingUsage(kind: .file, rss: 50)]),
            MappingSnapshot(
                time: 5,
                groups: [
                    "[heap]": MappingUsage(kind: .heap, rss: 90), "/lib/a.so": MappingUsage(kind: .file, rss: 40),
                    "[anon]": MappingUsage(kind: .anonymous, rss: 30),
                ]),
        ]
        let a = MemoryAnalysis(timeline)
        let rss = a.summary(.rss)
        #expect(rss?.first == 100 && rss?.peak == 300 && rss?.peakTime == 1 && rss?.final == 220 && rss?.minimum == 100)
        #expect(a.summary(.threads)?.peak == 2)
        #expect(a.summary(.pss) == nil, "absent fields have no summary")
        #expect(a.growingMappings.map(\.name) == ["[heap]", "[anon]"])
        #expect(a.growingMappings.first?.growth == 80)
        #expect(a.anonymousGrowth == nil, "no RssAnon readings, no anonymous fit")
    }
}
