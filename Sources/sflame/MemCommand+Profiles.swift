// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameMemory
import SFlameProfile
import SFlameRecord
import SFlameRender
import SFlameSampling

extension MemCommand {
    func runAllocationProfile() throws {
        let kind: AllocationProfileOptions.Kind = mode == .leaks ? .leaks : .allocations
        let profiler = AllocationProfiler(
            options: AllocationProfileOptions(
                target: target, kind: kind, weight: weight == .bytes ? .bytes : .count, durationSeconds: duration,
                debugInfoPaths: debuginfoPath))
        let display = MemProgressLine(enabled: showsProgress)
        let result: AllocationProfile
        do {
            let module = try profiler.locateAllocator()
            let names = profiler.probedFunctions(module).map(\.symbolName).joined(separator: ", ")
            let what = command.isEmpty ? "PID \(pid!) (\(ProcFS.processName(pid: pid!) ?? "?"))" : "'\(command[0])'"
            result = try profiler.run(
                module: module,
                onStart: {
                    if let notice = profiler.placementNotice { Diagnostics.warning(notice) }
                    Diagnostics.notice(
                        "tracing \(kind == .leaks ? "allocations, frees and returns" : "allocations") of \(what): "
                            + "probes on \(names) in \(module.path); Ctrl-C to stop.")
                },
                progress: { display.update($0) })
        } catch {
            display.clear()
            Diagnostics.error(error.description)
            throw Self.exitCode(error)
        }
        display.clear()
        for line in AllocationReport.lines(result, top: top) { Diagnostics.write(line) }
        for notice in result.notices { Diagnostics.warning(notice) }
        let failed = writeProfileOutputs(
            result.profile, title: title ?? (kind == .leaks ? "Outstanding allocations" : "Allocations"),
            subtitle: allocationSubtitle(result), countName: weight == .bytes ? "bytes" : "allocations")
        try finish(
            commandExit: result.recording.commandExit, waitForCommand: profiler.waitForCommand,
            commandPID: profiler.commandPID, failed: failed)
    }

    func runPageFaults() throws {
        let profiler = PageFaultProfiler(
            options: PageFaultProfileOptions(
                target: target, period: UInt64(period), durationSeconds: duration, debugInfoPaths: debuginfoPath))
        let display = MemProgressLine(enabled: showsProgress)
        let result: PageFaultProfile
        do {
            let what = command.isEmpty ? "PID \(pid!) (\(ProcFS.processName(pid: pid!) ?? "?"))" : "'\(command[0])'"
            result = try profiler.run(
                onStart: {
                    Diagnostics.notice(
                        "sampling page faults of \(what)\(period == 1 ? "" : " (one sample every \(period))"); Ctrl-C to stop."
                    )
                },
                progress: { display.update($0) })
        } catch {
            display.clear()
            Diagnostics.error(error.description)
            throw Self.exitCode(error)
        }
        display.clear()
        let r = result.recording
        Diagnostics.notice(
            "\(Grouped(Int(result.faults))) page faults in \(formatSeconds(r.durationSeconds)) "
                + "(\(Grouped(r.stats.samples)) sample\(r.stats.samples == 1 ? "" : "s"), \(Grouped(Int(r.stats.lost))) lost).")
        switch r.end {
        case .targetExited: Diagnostics.notice("the target exited; the profile covers the time until then.")
        case .signal: Diagnostics.notice("stopped by a signal; the profile covers the time until then.")
        case .duration: break
        }
        let q = result.quality
        if q.userSamples > 0 && q.truncatedShare > 0.05 {
            Diagnostics.notice(
                "\(RecordingSummary.percent(q.truncatedShare)) of the stacks are truncated (frame-pointer unwinding "
                    + "through code built without frame pointers).")
        }
        let target = command.isEmpty ? "PID \(pid!)" : command.joined(separator: " ")
        let failed = writeProfileOutputs(
            result.profile, title: title ?? "Page faults",
            subtitle: "\(target) · \(Grouped(Int(result.faults))) page faults · \(formatSeconds(r.durationSeconds))",
            countName: "page faults")
        try finish(
            commandExit: r.commandExit, waitForCommand: profiler.waitForCommand, commandPID: profiler.commandPID,
            failed: failed)
    }

    /// Writes the flame graph and folded outputs of a profile with its default sample type;
    /// stacks that weigh nothing (allocations since freed, in a leak profile) are left out.
    /// Returns whether any output failed.
    func writeProfileOutputs(_ profile: Profile, title: String, subtitle: String, countName: String) -> Bool {
        let folded = profile.folded(options: FoldOptions(sampleTypeIndex: profile.defaultSampleTypeIndex))
        let nonEmpty = FoldedProfile(stacks: folded.stacks.filter { $0.weight != 0 })
        var written: [String] = []
        var failed = false
        for path in resolvedOutputs {
            do {
                switch try outputKind(path) {
                case .folded:
                    try OutputFile.write(nonEmpty.text(), to: path, sync: true)
                case .flameGraph:
                    var options = FlameGraphOptions()
                    options.title = title
                    options.subtitle = subtitle
                    options.countName = countName
                    options.colors = .mem
                    let svg: [UInt8]
                    if nonEmpty.stacks.isEmpty {
                        svg = MemoryChart.message(title: title, text: "Nothing to show: \(subtitle)")
                    } else {
                        svg = try FlameGraph.render(nonEmpty, options: options).svg
                    }
                    try OutputFile.write(svg, to: path, sync: true)
                case .pprof(let compressed):
                    try OutputFile.write(compressed ? profile.pprofGzip() : profile.pprofBytes(), to: path, sync: true)
                case .speedscope:
                    try OutputFile.write(Speedscope.write(profile, name: subtitle, exporter: "sflame"), to: path, sync: true)
                case .chart, .json, .csv: preconditionFailure("not a profile output")
                }
                written.append(path)
            } catch {
                Diagnostics.error("could not write \(path): \(error)")
                failed = true
            }
        }
        if !written.isEmpty { Diagnostics.notice("wrote \(written.joined(separator: ", "))") }
        return failed
    }

    private func allocationSubtitle(_ r: AllocationProfile) -> String {
        let target = command.isEmpty ? "PID \(pid!)" : command.joined(separator: " ")
        let module = r.module.path.split(separator: "/").last.map(String.init) ?? r.module.path
        let what: String
        if r.kind == .leaks {
            what = "\(Format.bytes(r.liveBytes)) in \(Format.grouped(r.liveAllocations)) allocations still live"
        } else {
            what = "\(Format.bytes(Double(r.allocatedBytes))) in \(Format.grouped(r.allocations)) allocations"
        }
        return "\(target) · \(module) · \(formatSeconds(r.recording.durationSeconds)) · \(what)"
    }
}
