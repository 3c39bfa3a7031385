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
                "ptrace stop cost per thread per sample: \(micros(cost.medianMicros)) from PTRACE_INTERRUPT to resume "
                    + "(median; p95 \(micros(cost.p95Micros)), max \(micros(cost.maxMicros))), of which "
                    + "\(micros(cost.medianHeldMicros)) held stopped while its stack was read (p95 "
                    + "\(micros(cost.p95HeldMicros))); per sample, stopping \(Int(cost.medianThreadsPerSweep)) threads: "
                    + "\(micros(cost.medianSweepMicros)) (medians); threads were held stopped "
                    + "\(percent(cost.totalHeldMicros / traced)) of the time (\(percent(cost.totalStoppedMicros / traced)) "
                    + "from interrupt to resume).")
        }
        if let e = r.tracerEvents {
            var parts: [String] = []
            if e.repeats > 0 {
                parts.append("\(Grouped(e.repeats)) sample\(e.repeats == 1 ? "" : "s") of threads still blocked where they were found before, not stopped")
            }
            if e.signalsForwarded > 0 { parts.append("forwarded \(e.signalsForwarded) signal\(e.signalsForwarded == 1 ? "" : "s") to the target") }
            if e.groupStops > 0 { parts.append("honoured \(e.groupStops) group-stops (SIGSTOP…)") }
            if e.threadsFollowed > 0 { parts.append("followed \(e.threadsFollowed) new thread\(e.threadsFollowed == 1 ? "" : "s")") }
            if e.execs > 0 { parts.append("followed \(e.execs) exec call\(e.execs == 1 ? "" : "s")") }
            if e.lateStops > 0 {
                parts.append(
                    "\(e.lateStops) \(e.lateStops == 1 ? "interrupt was" : "interrupts were") answered after the next tick (no free CPU, or an uninterruptible sleep)"
                )
            }
            if !parts.isEmpty { lines.append("ptrace: " + parts.joined(separator: "; ") + ".") }
            if e.leftAttached > 0 {
                lines.append(
                    "warning: \(e.leftAttached) \(e.leftAttached == 1 ? "thread" : "threads") stayed in an uninterruptible wait and could not be detached "
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
