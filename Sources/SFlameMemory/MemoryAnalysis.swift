// SPDX-License-Identifier: Apache-2.0

/// What a memory timeline says: the peak and final value of each series, the growth rates of
/// RSS and anonymous memory, a verdict, and the mappings that grew most.
///
/// The verdict rule (`GrowthRule`), with T the time covered, b the least-squares RSS slope
/// (bytes/s), R² its goodness of fit, Δ = b·T the fitted change and θ the threshold
/// max(`minimumChangeBytes`, `minimumChangeShare` × mean RSS):
///
/// - **inconclusive**: fewer than `minimumSamples` readings, or T under two intervals.
/// - **steady**: |Δ| < θ (RSS moved less than the threshold), or R² < `minimumRSquared` (it
///   moved, but without a consistent direction: a sawtooth, a spike).
/// - **shrinking**: Δ ≤ −θ with R² ≥ `minimumRSquared`.
/// - **growing**: Δ ≥ θ with R² ≥ `minimumRSquared`.
/// - **suspected leak**: growing, and also all of: T ≥ `leakMinimumSeconds` (warm-up and cache
///   filling take seconds, a leak keeps going); anonymous memory (`RssAnon`) grows at ≥
///   `leakAnonymousShare` of the RSS rate with R² ≥ `leakAnonymousRSquared` (heap, not page
///   cache or mapped files); and the growth does not level off: the slope over the last third of
///   the run is ≥ `leakSustainedRatio` × the slope over the first third.
public struct MemoryAnalysis: Hashable, Sendable {
    public enum Verdict: String, Hashable, Sendable {
        case inconclusive = "inconclusive"
        case steady = "steady"
        case shrinking = "shrinking"
        case growing = "growing"
        case suspectedLeak = "suspected leak"
    }

    /// First, peak, final and lowest value of one series.
    public struct SeriesSummary: Hashable, Sendable {
        public var field: MemoryField
        public var first: UInt64
        public var peak: UInt64
        /// Seconds since the start at which the peak was first reached.
        public var peakTime: Double
        public var final: UInt64
        public var minimum: UInt64
        public var mean: Double
    }

    /// A mapping group's change between the first and the last smaps reading.
    public struct MappingGrowth: Hashable, Sendable {
        public var name: String
        public var kind: MappingUsage.Kind
        /// RSS in bytes at the first and last reading (0 when the group did not exist yet or any more).
        public var firstRSS: UInt64
        public var lastRSS: UInt64
        public var peakRSS: UInt64
        /// lastRSS − firstRSS, bytes.
        public var growth: Int64
    }

    public var series: [SeriesSummary]
    /// Least-squares fit of VmRSS over time (bytes per second); nil with fewer than two readings.
    public var rssGrowth: LinearFit?
    /// The same for RssAnon; nil when the kernel lacks the field.
    public var anonymousGrowth: LinearFit?
    public var verdict: Verdict
    /// Why, in one sentence with the numbers.
    public var reason: String
    /// The mapping groups whose RSS grew, most first (at most `GrowthRule.topMappings`).
    public var growingMappings: [MappingGrowth]
    /// The time the analysis covers, seconds.
    public var durationSeconds: Double

    public func summary(_ field: MemoryField) -> SeriesSummary? { series.first { $0.field == field } }

    /// Analyses a timeline with a rule.
    public init(_ timeline: MemoryTimeline, rule: GrowthRule = GrowthRule()) {
        series = timeline.presentFields.compactMap { Self.summarize(timeline, $0) }
        durationSeconds = timeline.durationSeconds
        let rss = timeline.points(.rss).map { (x: $0.time, y: $0.value) }
        let anon = timeline.points(.rssAnon).map { (x: $0.time, y: $0.value) }
        rssGrowth = LinearFit.fit(rss)
        anonymousGrowth = LinearFit.fit(anon)
        (verdict, reason) = rule.verdict(rss: rss, anonymous: anon, intervalSeconds: timeline.intervalSeconds)
        growingMappings = Self.mappingGrowth(timeline.mappingSnapshots, limit: rule.topMappings)
    }

    private static func summarize(_ timeline: MemoryTimeline, _ field: MemoryField) -> SeriesSummary? {
        var summary: SeriesSummary?
        var total = 0.0
        var count = 0
        for s in timeline.samples {
            guard let v = s[field] else { continue }
            total += Double(v)
            count += 1
            if var current = summary {
                if v > current.peak { (current.peak, current.peakTime) = (v, s.time) }
                current.minimum = min(current.minimum, v)
                current.final = v
                summary = current
            } else {
                summary = SeriesSummary(
                    field: field, first: v, peak: v, peakTime: s.time, final: v, minimum: v, mean: 0)
            }
        }
        summary?.mean = count > 0 ? total / Double(count) : 0
        return summary
    }

    static func mappingGrowth(_ snapshots: [MappingSnapshot], limit: Int) -> [MappingGrowth] {
        guard let first = snapshots.first, let last = snapshots.last, snapshots.count >= 2 else { return [] }
        var names = Set(first.groups.keys)
        names.formUnion(last.groups.keys)
        var result: [MappingGrowth] = []
        for name in names {
            let a = first.groups[name]?.rss ?? 0
            let b = last.groups[name]?.rss ?? 0
            guard b > a else { continue }
            let peak = snapshots.map { $0.groups[name]?.rss ?? 0 }.max() ?? b
            let kind = last.groups[name]?.kind ?? first.groups[name]?.kind ?? .other
            result.append(
                MappingGrowth(name: name, kind: kind, firstRSS: a, lastRSS: b, peakRSS: peak, growth: Int64(b - a)))
        }
        result.sort { ($0.growth, $1.name) > ($1.growth, $0.name) }
        return Array(result.prefix(limit))
    }
}

/// The documented thresholds of the verdict (see `MemoryAnalysis`). Defaults in parentheses.
public struct GrowthRule: Hashable, Sendable {
    /// Readings needed for any verdict (5).
    public var minimumSamples = 5
    /// Smallest fitted change that counts, in bytes (1 MiB)…
    public var minimumChangeBytes: Double = 1_048_576
    /// …or this share of the mean RSS, whichever is larger (0.02).
    public var minimumChangeShare = 0.02
    /// Goodness of fit below which a change has no consistent direction (0.5).
    public var minimumRSquared = 0.5
    /// Observation time a leak verdict needs, seconds (30).
    public var leakMinimumSeconds = 30.0
    /// Share of the RSS growth that anonymous memory must account for (0.5)…
    public var leakAnonymousShare = 0.5
    /// …with at least this goodness of fit (0.8).
    public var leakAnonymousRSquared = 0.8
    /// Last-third slope over first-third slope at or above which growth has not levelled off (0.5).
    public var leakSustainedRatio = 0.5
    /// How many growing mappings to report (5).
    public var topMappings = 5

    public init() {}

    /// The verdict and its reason for RSS and RssAnon points (seconds, bytes).
    public func verdict(rss: [(x: Double, y: Double)], anonymous: [(x: Double, y: Double)], intervalSeconds: Double)
        -> (MemoryAnalysis.Verdict, String)
    {
        let span = (rss.last?.x ?? 0) - (rss.first?.x ?? 0)
        guard rss.count >= minimumSamples, span >= 2 * intervalSeconds, let fit = LinearFit.fit(rss) else {
            return (
                .inconclusive, "only \(rss.count) readings over \(Format.seconds(span)); sample longer for a verdict"
            )
        }
        let mean = rss.reduce(0) { $0 + $1.y } / Double(rss.count)
        let threshold = max(minimumChangeBytes, minimumChangeShare * mean)
        let change = fit.slope * span
        let rate = "\(Format.signedBytes(fit.slope))/s"
        let r2 = Format.decimal(fit.rSquared, places: 2)
        if abs(change) < threshold {
            return (
                .steady,
                "RSS changed by \(Format.signedBytes(change)) over \(Format.seconds(span)) (fitted), less than the "
                    + "\(Format.bytes(threshold)) threshold"
            )
        }
        if fit.rSquared < minimumRSquared {
            return (
                .steady, "RSS moves without a consistent trend (least-squares \(rate), R² \(r2) < \(minimumRSquared))"
            )
        }
        if change < 0 {
            return (
                .shrinking,
                "RSS falls at \(rate) (R² \(r2)), \(Format.signedBytes(change)) over \(Format.seconds(span))"
            )
        }
        let growing = "RSS grows at \(rate) (R² \(r2)), \(Format.signedBytes(change)) over \(Format.seconds(span))"
        if let leak = leakEvidence(rss: rss, rssFit: fit, anonymous: anonymous, span: span) {
            return (.suspectedLeak, "\(growing); \(leak)")
        }
        return (
            .growing,
            growing
                + (span < leakMinimumSeconds
                    ? "; observe ≥ \(Int(leakMinimumSeconds)) s to tell a leak from warm-up" : "")
        )
    }

    /// A sentence with the evidence for a leak, or nil when one condition fails.
    private func leakEvidence(
        rss: [(x: Double, y: Double)], rssFit: LinearFit, anonymous: [(x: Double, y: Double)], span: Double
    ) -> String? {
        guard span >= leakMinimumSeconds, let anonFit = LinearFit.fit(anonymous),
            anonFit.slope >= leakAnonymousShare * rssFit.slope, anonFit.rSquared >= leakAnonymousRSquared
        else { return nil }
        let start = rss.first!.x
        let thirds = (0..<3).map { k in
            rss.filter { $0.x >= start + Double(k) * span / 3 && $0.x <= start + Double(k + 1) * span / 3 }
        }
        guard thirds[0].count >= 3, thirds[2].count >= 3, let early = LinearFit.fit(thirds[0]),
            let late = LinearFit.fit(thirds[2]), early.slope > 0, late.slope >= leakSustainedRatio * early.slope
        else { return nil }
        return "anonymous memory grows at \(Format.signedBytes(anonFit.slope))/s (R² "
            + "\(Format.decimal(anonFit.rSquared, places: 2))) and the growth has not levelled off (last third "
            + "\(Format.signedBytes(late.slope))/s vs first third \(Format.signedBytes(early.slope))/s)"
    }
}
