// SPDX-License-Identifier: Apache-2.0
import SFlameRecord
import SFlameSampling

extension RecordingSummary {
    /// The off-CPU intervals, and the ptrace sampler's stop cost and events.
    static func samplerLines(_ r: Recording) -> [String] {
        var lines: [String] = []
        let s = r.stats
        if s.offCPUIntervals > 0 || s.unpairedSwitchIns > 0 {
            lines.append(
                "off-CPU: \(Grouped(s.offCPUIntervals)) waits, \(formatSeconds(Double(s.offCPUNanoseconds) / 1e9)) off "
                    + "the CPU, beside \(Grouped(s.samples - s.offCPUIntervals)) on-CPU samples; weights are "
                    + "nanoseconds, waits end in [sleeping], [disk], [runnable]….")
        }
        if let cost = r.stopCost, cost.threadStops > 0 {
            let traced = r.durationSeconds * 1e6 * Double(max(s.threads, 1))
            lines.append(
                "ptrace stop cost: \(micros(cost.medianMicros)) per thread per sample (median; p95 "
                    + "\(micros(cost.p95Micros)), max \(micros(cost.maxMicros))), from PTRACE_INTERRUPT to resume; "
                    + "\(micros(cost.medianSweepMicros)) per sample of all \(Int(cost.medianThreadsPerSweep)) "
                    + "threads (median); threads were stopped \(percent(cost.totalStoppedMicros / traced)) of the time.")
        }
        if let e = r.tracerEvents {
            var parts: [String] = []
            if e.signalsForwarded > 0 { parts.append("forwarded \(e.signalsForwarded) signals to the target") }
            if e.groupStops > 0 { parts.append("honoured \(e.groupStops) group-stops (SIGSTOP…)") }
            if e.threadsFollowed > 0 { parts.append("followed \(e.threadsFollowed) new threads") }
            if e.execs > 0 { parts.append("followed \(e.execs) exec calls") }
            if e.lateStops > 0 { parts.append("\(e.lateStops) samples waited for an uninterruptible sleep to end") }
            if !parts.isEmpty { lines.append("ptrace: " + parts.joined(separator: "; ") + ".") }
            if e.leftAttached > 0 {
                lines.append(
                    "warning: \(e.leftAttached) threads stayed in an uninterruptible wait and could not be detached "
                        + "yet; the kernel releases them when sflame exits.")
            }
        }
        return lines
    }

    /// "45 µs", "1.2 ms".
    static func micros(_ value: Double) -> String {
        if value >= 1000 {
            let tenths = Int((value / 100).rounded())
            return "\(tenths / 10).\(tenths % 10) ms"
        }
        return "\(Int(value.rounded())) µs"
    }
}
