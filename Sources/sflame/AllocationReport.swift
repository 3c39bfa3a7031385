// SPDX-License-Identifier: Apache-2.0
import SFlameMemory
import SFlameProfile

/// The end-of-run report of `sflame mem --alloc` and `--leaks`, on stderr:
///
///   sflame: 40,000 allocator calls of PID 4242 in 2.0 s: 78.1 MiB requested, 0 lost.
///   sflame: top stacks by bytes allocated:
///   sflame:    58.6 MiB  75.0%    20,000 allocations  malloc ← alloc_big ← run_rounds ← main ← …
enum AllocationReport {
    static func lines(_ r: AllocationProfile, top: Int) -> [String] {
        var lines: [String] = []
        let s = r.stats
        let calls = s.calls.values.reduce(0, +)
        let lost = r.recording.stats.lost
        lines.append(
            "sflame: \(Format.grouped(calls)) allocator calls in \(Format.seconds(r.recording.durationSeconds)): "
                + "\(Format.bytes(Double(r.allocatedBytes))) requested in \(Format.grouped(r.allocations)) allocations, "
                + "\(Format.grouped(lost)) sample\(lost == 1 ? "" : "s") lost.")
        switch r.recording.end {
        case .targetExited: lines.append("sflame: the target exited; the profile covers the time until then.")
        case .signal: lines.append("sflame: stopped by a signal; the profile covers the time until then.")
        case .duration: break
        }
        if s.nestedCalls > 0 {
            lines.append(
                "sflame: \(Format.grouped(s.nestedCalls)) calls made by the allocator itself (realloc → malloc, "
                    + "posix_memalign → malloc) were left out so that no byte counts twice.")
        }
        if lost > 0 {
            let stats = r.recording.stats
            let share = Double(lost) / Double(UInt64(r.recording.records) + lost)
            let dropped = stats.backlogDroppedRecords
            var why = "the kernel's ring buffers filled before sflame's reading thread got a CPU"
            if dropped == lost {
                why = "sflame fell behind and its copy of the buffers held its limit (\(stats.backlogLimitBytes >> 20) MiB)"
            } else if dropped > 0 {
                why += "; \(Format.grouped(dropped)) when sflame fell behind and its copy of the buffers held its limit "
                    + "(\(stats.backlogLimitBytes >> 20) MiB)"
            }
            lines.append(
                "sflame: warning: \(Format.grouped(lost)) of \(Format.grouped(UInt64(r.recording.records) + lost)) probe "
                    + "records (\(RecordingSummary.percent(share))) were lost (\(why)): totals are low"
                    + (r.kind == .leaks ? ", and a lost free makes its allocation look outstanding." : "."))
        }
        let profile = r.profile
        let index = profile.defaultSampleTypeIndex
        let isBytes = profile.sampleTypes[index].unit == "bytes"
        if r.kind == .leaks {
            let stacks = Set(profile.samples.filter { $0.values[3] > 0 }.map(\.locationIDs)).count
            lines.append(
                "sflame: \(Format.grouped(r.liveAllocations)) allocations (\(Format.bytes(r.liveBytes))) made while "
                    + "recording are still allocated, from \(Format.grouped(stacks)) stack\(stacks == 1 ? "" : "s").")
            if s.unknownFrees > 0 {
                lines.append(
                    "sflame: \(Format.grouped(s.unknownFrees)) frees of memory allocated before sflame attached were ignored."
                )
            }
            if s.unresolvedAlignedAllocations > 0 {
                lines.append(
                    "sflame: \(s.unresolvedAlignedAllocations) posix_memalign results could not be read (memptr far from "
                        + "the stack pointer) and are not tracked.")
            }
        }
        let total = profile.totalValue(sampleTypeIndex: index)
        let ranked = profile.samples.filter { $0.values[index] > 0 }.sorted { $0.values[index] > $1.values[index] }
        guard top > 0, !ranked.isEmpty, total > 0 else { return lines }
        let what = r.kind == .leaks ? "still allocated" : "allocated"
        lines.append("sflame: top stacks by \(isBytes ? "bytes" : "allocations") \(what):")
        let countIndex = r.kind == .leaks ? 2 : 0
        let bytesIndex = r.kind == .leaks ? 3 : 1
        for sample in ranked.prefix(top) {
            let share = Double(sample.values[index]) / Double(total)
            lines.append(
                "sflame:   " + MemoryReport.pad(Format.bytes(Double(sample.values[bytesIndex])), 10, left: true) + "  "
                    + MemoryReport.pad(Format.percent(share), 6, left: true) + "  "
                    + MemoryReport.pad(Format.grouped(sample.values[countIndex]), 9, left: true) + " allocations  "
                    + chain(profile, sample))
        }
        return lines
    }

    /// "malloc ← alloc_big ← run_rounds ← main": the allocator function and its callers, leaf first.
    static func chain(_ profile: Profile, _ sample: Sample, depth: Int = 6) -> String {
        var names: [String] = []
        for id in sample.locationIDs {
            names.append(contentsOf: profile.frameNames(of: profile.location(id)).reversed())
        }
        let shown = names.prefix(depth).joined(separator: " ← ")
        return names.count > depth ? shown + " ← …" : shown
    }
}
