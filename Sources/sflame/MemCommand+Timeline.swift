// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameMemory
import SFlameRecord
import SFlameRender
import SFlameSampling

extension MemCommand {
    /// What a `sflame mem` output path holds, by extension.
    enum OutputKind {
        case chart, json, csv, flameGraph, folded
        /// The profile as pprof (gzip'd when `compressed`), or as speedscope JSON.
        case pprof(compressed: Bool), speedscope
    }

    func outputKind(_ path: String) throws -> OutputKind {
        let lower = path.lowercased()
        switch mode {
        case .timeline:
            if lower.hasSuffix(".svg") { return .chart }
            if lower.hasSuffix(".json") { return .json }
            if lower.hasSuffix(".csv") { return .csv }
            throw ValidationError(
                "Cannot tell the output format of '\(path)' from its extension. The memory timeline writes .svg "
                    + "(chart), .json (readings and analysis) or .csv (readings).")
        case .allocations, .leaks, .pageFaults:
            switch try OutputFormat(path: path) {
            case .svg: return .flameGraph
            case .folded: return .folded
            case .pprof(let compressed): return .pprof(compressed: compressed)
            case .speedscope: return .speedscope
            }
        }
    }

    func runTimeline() throws {
        let recorder = MemoryTimelineRecorder(
            options: MemoryTimelineOptions(
                target: target, intervalSeconds: interval.seconds, durationSeconds: duration, smapsEvery: smapsEvery,
                smapsCPUBudget: smapsCpuBudget / 100))
        let display = MemProgressLine(enabled: showsProgress)
        let timeline: MemoryTimeline
        do {
            timeline = try recorder.run(
                onStart: { pid in
                    Diagnostics.notice(
                        "sampling the memory of PID \(pid) (\(ProcFS.processName(pid: pid) ?? "?")) every \(interval); Ctrl-C to stop."
                    )
                },
                progress: { display.update($0) })
        } catch {
            display.clear()
            Diagnostics.error(error.description)
            throw Self.exitCode(error)
        }
        display.clear()
        for notice in recorder.notices { Diagnostics.notice(notice) }
        let analysis = MemoryAnalysis(timeline)
        for line in MemoryReport.lines(timeline: timeline, analysis: analysis) { Diagnostics.write(line) }

        var written: [String] = []
        var failed = false
        for path in resolvedOutputs {
            do {
                switch try outputKind(path) {
                case .chart:
                    let chart = MemoryChartModel.chart(
                        timeline: timeline, analysis: analysis, title: title ?? "Memory of \(timeline.processName)")
                    try OutputFile.write(MemoryChart.render(chart), to: path, sync: true)
                case .json: try OutputFile.write(timeline.json(analysis: analysis), to: path, sync: true)
                case .csv: try OutputFile.write(timeline.csv(), to: path, sync: true)
                case .flameGraph, .folded, .pprof, .speedscope: preconditionFailure("not a timeline output")
                }
                written.append(path)
            } catch {
                Diagnostics.error("could not write \(path): \(error)")
                failed = true
            }
        }
        if !written.isEmpty { Diagnostics.notice("wrote \(written.joined(separator: ", "))") }
        try finish(
            commandExit: recorder.commandExit, waitForCommand: recorder.waitForCommand, commandPID: recorder.commandPID,
            failed: failed)
    }
}

/// The one-line progress display of `sflame mem`.
final class MemProgressLine {
    let enabled: Bool
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: MemoryProgress) {
        guard enabled else { return }
        let rss = p.rss.map { "RSS \(Format.bytes($0))" } ?? "RSS ?"
        writeStandardError(
            "\r\u{1B}[K[sflame] \(formatSeconds(p.elapsedSeconds)) · \(Grouped(p.samples)) readings · \(rss)")
        shown = true
    }

    func update(_ p: RecordingProgress) {
        guard enabled else { return }
        writeStandardError(
            "\r\u{1B}[K[sflame] \(formatSeconds(p.elapsedSeconds)) · \(Grouped(p.samples)) samples · \(Grouped(Int(p.lost))) lost"
        )
        shown = true
    }

    func clear() {
        guard enabled, shown else { return }
        writeStandardError("\r\u{1B}[K")
        shown = false
    }
}
