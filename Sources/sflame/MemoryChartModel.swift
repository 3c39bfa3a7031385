// SPDX-License-Identifier: Apache-2.0
import SFlameMemory
import SFlameRender

/// Turns a timeline and its analysis into the chart the renderer draws: RSS (the primary line),
/// its anonymous, file and shared-memory parts, PSS and swap when they are not zero all along;
/// the RSS peak; the least-squares RSS trend; the verdict and the growing mappings as notes.
enum MemoryChartModel {
    static func chart(timeline: MemoryTimeline, analysis: MemoryAnalysis, title: String) -> MemoryChartData {
        let fields: [MemoryField] = [.rss, .rssAnon, .rssFile, .rssShmem, .pss, .vmSwap]
        var series: [MemoryChartSeries] = []
        var peak: MemoryChartMarker?
        for field in fields {
            let points = timeline.points(field).map { MemoryChartPoint(time: $0.time, bytes: $0.value) }
            guard !points.isEmpty else { continue }
            if field != .rss && field != .rssAnon && points.allSatisfy({ $0.bytes == 0 }) { continue }
            let label = field == .vmSwap ? "swap" : field.label
            // PSS equals RSS for unshared memory: dotted, so the line under it stays visible.
            series.append(
                MemoryChartSeries(
                    label: label, points: points, isPrimary: field == .rss, dash: field == .pss ? "2 4" : nil))
            if field == .rss, let summary = analysis.summary(.rss) {
                peak = MemoryChartMarker(
                    seriesIndex: series.count - 1, time: summary.peakTime, bytes: Double(summary.peak),
                    label: "peak \(Format.bytes(summary.peak)) at \(Format.seconds(summary.peakTime))")
            }
        }
        var trend: MemoryChartTrend?
        if let fit = analysis.rssGrowth, let first = timeline.samples.first?.time,
            let last = timeline.samples.last?.time
        {
            trend = MemoryChartTrend(
                startTime: first, startBytes: fit.intercept + fit.slope * first, endTime: last,
                endBytes: fit.intercept + fit.slope * last,
                label: "\(Format.signedBytes(fit.slope))/s (R² \(Format.decimal(fit.rSquared, places: 2)))")
        }
        let every =
            timeline.intervalSeconds < 1
            ? "\(Int((timeline.intervalSeconds * 1000).rounded())) ms" : Format.seconds(timeline.intervalSeconds)
        let subtitle =
            "PID \(timeline.pid) · a reading every \(every) · \(Format.seconds(timeline.durationSeconds))"
            + (timeline.end == .targetExited ? " (until the process exited)" : "")
        var notes = ["Verdict: \(analysis.verdict.rawValue): \(analysis.reason)."]
        if !analysis.growingMappings.isEmpty {
            notes.append(
                "Mappings that grew most: "
                    + analysis.growingMappings.prefix(4).map { "\($0.name) \(Format.signedBytes(Double($0.growth)))" }
                    .joined(separator: ", "))
        }
        return MemoryChartData(title: title, subtitle: subtitle, series: series, peak: peak, trend: trend, notes: notes)
    }
}
