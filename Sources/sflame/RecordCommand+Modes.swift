// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameProfile
import SFlameRecord

extension Sampler: ExpressibleByArgument {}

extension RecordCommand {
    /// The profile's default sample type: `samples` (on-CPU) or `wall` (ptrace, --off-cpu).
    private func weighsTime(_ profile: Profile) -> Bool {
        profile.sampleTypes[profile.defaultSampleTypeIndex].unit == "nanoseconds"
    }

    private func isWallClock(_ profile: Profile) -> Bool {
        !profile.sampleTypes.contains { $0.type == "cpu" } && weighsTime(profile)
    }

    func defaultTitle(_ profile: Profile) -> String {
        if isWallClock(profile) { return "Wall-clock flame graph" }
        if weighsTime(profile) { return "Off-CPU and on-CPU flame graph" }
        return "CPU flame graph"
    }

    func countName(_ profile: Profile) -> String { weighsTime(profile) ? "ns" : "samples" }

    /// "cpu-clock at 99 Hz", "ptrace wall clock at 99 Hz", "cpu-clock at 99 Hz + sched_switch".
    func samplingDescription(_ profile: Profile) -> String {
        if isWallClock(profile) { return "ptrace wall clock at \(frequency) Hz" }
        if weighsTime(profile) { return "\(event) at \(frequency) Hz + sched_switch (off-CPU)" }
        return "\(event) at \(frequency) Hz"
    }
}
