// SPDX-License-Identifier: Apache-2.0
import SFlameMemory

/// The end-of-run report of the memory timeline, on stderr:
///
///   sflame: 51 readings of PID 4242 (api) over 5.0 s (every 100ms); smaps every 10.
///   sflame: verdict: growing: RSS grows at +2.0 MiB/s (R² 1.00), +10.0 MiB over 5.0 s; observe ≥ 30 s …
///   sflame:   series          first       peak (at)            final
///   sflame:   RSS          34.2 MiB   44.3 MiB (5.0 s)      44.3 MiB
///   …
///   sflame: mappings that grew most:
///   sflame:   [heap]                 +10.1 MiB (0.1 MiB → 10.2 MiB)
enum MemoryReport {
    static func lines(timeline: MemoryTimeline, analysis: MemoryAnalysis) -> [String] {
        var lines: [String] = []
        let every =
            timeline.intervalSeconds < 1
            ? "\(Int((timeline.intervalSeconds * 1000).rounded()))ms" : Format.seconds(timeline.intervalSeconds)
        lines.append(
            "sflame: \(Format.grouped(timeline.samples.count)) readings of PID \(timeline.pid) (\(timeline.processName)) "
                + "over \(Format.seconds(timeline.durationSeconds)) (every \(every)); /proc/PID/smaps read "
                + "\(Format.grouped(timeline.mappingSnapshots.count)) times.")
        switch timeline.end {
        case .targetExited:
            lines.append(
                "sflame: the target exited after \(Format.seconds(timeline.durationSeconds)); the timeline covers the time until then."
            )
        case .signal:
            lines.append(
                "sflame: stopped by a signal; the timeline covers \(Format.seconds(timeline.durationSeconds)).")
        case .duration:
            break
        }
        if timeline.failedReadings > 0 {
            lines.append("sflame: \(timeline.failedReadings) readings of /proc failed and were skipped.")
        }
        lines.append("sflame: verdict: \(analysis.verdict.rawValue): \(analysis.reason).")
        if let fit = analysis.anonymousGrowth {
            lines.append(
                "sflame: anonymous memory (RssAnon): \(Format.signedBytes(fit.slope))/s (R² \(Format.decimal(fit.rSquared, places: 2)))."
            )
        }
        let shown: [MemoryField] = [
            .rss, .rssAnon, .rssFile, .rssShmem, .pss, .privateDirty, .vmSwap, .vmHWM, .threads,
        ]
        let rows = analysis.series.filter { shown.contains($0.field) }
        if !rows.isEmpty {
            lines.append(
                "sflame:   " + pad("series", 20) + pad("first", 12, left: true) + pad("peak (at)", 24, left: true)
                    + pad("final", 12, left: true))
            for s in rows {
                let value = { (v: UInt64) -> String in s.field == .threads ? Format.grouped(v) : Format.bytes(v) }
                lines.append(
                    "sflame:   " + pad(s.field.label, 20) + pad(value(s.first), 12, left: true)
                        + pad("\(value(s.peak)) (\(Format.seconds(s.peakTime)))", 24, left: true)
                        + pad(value(s.final), 12, left: true))
            }
        }
        if !analysis.growingMappings.isEmpty {
            lines.append("sflame: mappings that grew most (RSS, first → last smaps reading):")
            for m in analysis.growingMappings {
                lines.append(
                    "sflame:   " + pad(m.name, 40) + " " + Format.signedBytes(Double(m.growth))
                        + " (\(Format.bytes(m.firstRSS)) → \(Format.bytes(m.lastRSS)))")
            }
        }
        return lines
    }

    static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let count = s.count
        guard count < width else { return s }
        let fill = String(repeating: " ", count: width - count)
        return left ? fill + s : s + fill
    }
}
