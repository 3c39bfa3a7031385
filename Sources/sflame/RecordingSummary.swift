// SPDX-License-Identifier: Apache-2.0
import SFlameRecord
import SFlameSampling

typealias RecordingProgressValues = RecordingProgress

/// The end-of-recording report: samples, lost records, and unwind quality per module.
enum RecordingSummary {
    static func lines(_ r: Recording) -> [String] {
        var lines: [String] = []
        let s = r.stats
        let processes = r.targets.count == 1 ? "1 process" : "\(r.targets.count) processes"
        let threads = s.threads == 1 ? "1 thread" : "\(s.threads) threads"
        lines.append(
            "recorded \(Grouped(s.samples)) sample\(s.samples == 1 ? "" : "s") from \(processes) (\(threads)) in "
                + "\(formatSeconds(r.durationSeconds)), \(Grouped(Int(s.lost))) lost.")
        switch r.end {
        case .targetExited:
            lines.append("the target exited after \(formatSeconds(r.durationSeconds)); the profile covers the time until then.")
        case .signal(let sig):
            lines.append("stopped by \(StopSignals.name(sig)); the profile covers \(formatSeconds(r.durationSeconds)).")
        case .duration:
            break
        }
        if s.lost > 0 {
            if s.offCPUIntervals > 0 || s.unpairedSwitchIns > 0 {
                // Off-CPU records come at every context switch, whatever --frequency is; with DWARF
                // each carries a stack copy, which is what fills the buffers on a busy service.
                lines.append(offCPULossLine(s))
            } else {
                lines.append(
                    "\(Grouped(Int(s.lost))) \(s.lost == 1 ? "record was" : "records were") lost because the ring buffers filled up; lower --frequency "
                        + "or profile fewer threads.")
            }
        }
        if s.throttles > 0 {
            lines.append("the kernel throttled sampling \(s.throttles) times (kernel.perf_event_max_sample_rate).")
        }
        lines.append(contentsOf: samplerLines(r))
        lines.append(contentsOf: qualityLines(r.quality))
        return lines
    }

    /// How many off-CPU records were lost, their share, and why: the copy sflame keeps of the
    /// buffers reached its limit (handling fell behind), or the buffers filled before the thread
    /// that empties them ran.
    static func offCPULossLine(_ s: SamplingStats) -> String {
        guard s.offCPULost > 0 else {
            return "\(Grouped(Int(s.lost))) on-CPU samples were lost (no off-CPU record was): the buffers filled before "
                + "sflame's reading thread got a CPU (a busy machine); lower --frequency, use -g fp, or record while "
                + "the machine is less loaded. On-CPU totals are low by the lost samples."
        }
        let share = Double(s.offCPULost) / Double(s.offCPURecords + s.offCPULost)
        var line = "\(Grouped(Int(s.offCPULost))) of \(Grouped(Int(s.offCPURecords + s.offCPULost))) off-CPU records "
            + "(\(percent(share))) were lost"
        if s.lost > s.offCPULost { line += ", and \(Grouped(Int(s.lost - s.offCPULost))) on-CPU sample\(s.lost - s.offCPULost == 1 ? "" : "s")" }
        line += ": with --off-cpu there is one record per context switch (--frequency does not change that), "
            + "each with a user stack copy in DWARF mode. "
        if s.backlogDroppedRecords > 0 {
            line += "Unwinding fell behind: \(Grouped(Int(s.backlogDroppedRecords))) were dropped when sflame's "
                + "copy of the buffers held its limit (\(s.backlogLimitBytes >> 20) MiB); use -g fp or a smaller "
                + "copy such as -g dwarf,2048."
        } else {
            line += "The buffers filled before sflame's reading thread got a CPU (a busy machine); use -g fp, a "
                + "smaller copy such as -g dwarf,2048, or record while the machine is less loaded."
        }
        return line + " Off-CPU totals are low by the lost waits."
    }

    /// "unwind quality: …" and one line per module where more than 5 % of the stacks stop.
    static func qualityLines(_ q: UnwindQuality) -> [String] {
        guard q.userSamples > 0 else { return [] }
        var lines = [
            "unwind quality: \(percent(q.truncatedShare)) of stacks truncated, \(percent(q.unknownShare)) with "
                + "frames not resolved to a function ([unknown], or [module] where the module has no symbol there)."
        ]
        for m in q.modules {
            let share = Double(m.truncatedSamples) / Double(q.userSamples)
            if share < 0.05 { continue }
            lines.append("  \(m.module): \(percent(share)) of stacks stop here: \(m.reason).")
        }
        return lines
    }

    static func print(_ r: Recording) {
        for line in lines(r) { Diagnostics.notice(line) }
    }

    static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
