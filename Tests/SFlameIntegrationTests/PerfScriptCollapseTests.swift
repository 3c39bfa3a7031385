// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// `sflame collapse` on text that the real `perf script` printed for a real `perf record -g` of
/// two-hot, in the field layouts people use; and FlameGraph's own collapse test suite.
@Suite(.serialized) struct PerfScriptCollapseTests {
    /// Records two-hot with `perf record -g` (once per test run), or explains why it cannot.
    static let recording: Result<String, SampleError> = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/perf") else {
            return .failure(SampleError("perf is not installed (tools/setup installs linux-perf)"))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sflame-perf-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard let twoHot = try? Samples.path("two-hot") else { return .failure(SampleError("samples did not build")) }
        let data = dir.appendingPathComponent("perf.data").path
        let result = ProcessRunner.run(
            "/usr/bin/perf",
            ["record", "-g", "--sample-cpu", "-F", "499", "-e", "cpu-clock", "-e", "task-clock", "-o", data, "--", twoHot, "2"])
        guard result.status == 0, FileManager.default.fileExists(atPath: data) else {
            let paranoid = (try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8)) ?? "?"
            return .failure(SampleError(
                "perf record failed (kernel.perf_event_paranoid = \(paranoid.trimmingCharacters(in: .whitespacesAndNewlines))): "
                    + result.standardError))
        }
        return .success(data)
    }()

    /// `perf script` output for the recording with the given fields (nil: perf's default).
    func perfScript(_ fields: String?, extra: [String] = []) throws -> String {
        let data = try Self.recording.get()
        var arguments = ["script", "-i", data] + extra
        if let fields { arguments += ["-F", fields] }
        let result = ProcessRunner.run("/usr/bin/perf", arguments)
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput
    }

    /// Sample headers in perf script text: lines that start with the comm, per event.
    func headerCount(_ text: String, event: String) -> Int {
        text.split(separator: "\n").filter { !$0.hasPrefix("\t") && !$0.hasPrefix(" ") && !$0.hasPrefix("#") && $0.contains(event) }.count
    }

    /// The event of the first sample (" cpu-clock" or " task-clock"): which of the two events
    /// perf writes first varies from run to run, and the collapser keeps the first one.
    func firstEvent(_ text: String) -> String {
        let header = text.split(separator: "\n").first { !$0.hasPrefix("\t") && !$0.hasPrefix(" ") && !$0.hasPrefix("#") }
        return header?.contains(" task-clock") == true ? " task-clock" : " cpu-clock"
    }

    func collapse(_ text: String, _ arguments: [String] = []) throws -> (FoldedStacks, String) {
        let dir = try TemporaryDirectory()
        try text.write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let result = SFlameBinary.run(["collapse"] + arguments + [dir.file("perf.txt")])
        #expect(result.status == 0, "\(result.standardError)")
        return (FoldedStacks(text: result.standardOutput), result.standardError)
    }

    @Test func perfsDefaultFieldsCollapseToEverySampleWithTheKnownShape() throws {
        let text = try perfScript(nil)
        let event = firstEvent(text)
        let samples = headerCount(text, event: event)
        #expect(samples > 50)
        let (counted, warnings) = try collapse(text, ["--weight", "samples"])
        #expect(counted.total == samples, "one count per sample of the first event,\(event)")
        #expect(
            warnings.contains("several events") && warnings.contains("kept only '\(event.dropFirst())"), "\(warnings)")
        #expect(abs(counted.share(containing: ["main", "run_loop", "path_a", "hot_a"]) - 0.75) < 0.1)
        #expect(abs(counted.share(containing: ["main", "run_loop", "path_b", "hot_b"]) - 0.25) < 0.1)
        #expect(counted.stacks.allSatisfy { $0.frames.first == "two-hot" })
        // Default weights are the printed periods (stackcollapse-perf.pl's rule).
        let periods = text.split(separator: "\n").filter { !$0.hasPrefix("\t") && $0.contains(event) }.compactMap { line in
            line.split(separator: " ").reversed().dropFirst().first.flatMap { Int($0) }
        }
        let (weighted, _) = try collapse(text)
        #expect(periods.count == samples && weighted.total == periods.reduce(0, +))
    }

    @Test func fieldVariationsGiveTheSameStacks() throws {
        let (reference, _) = try collapse(try perfScript(nil), ["--weight", "samples"])
        for fields in [
            "comm,pid,tid,cpu,time,event,ip,sym,dso", "comm,tid,ip,sym,dso", "comm,tid,event,ip,sym,dso",
            "comm,pid,tid,time,period,event,ip,sym,dso,symoff", "comm,tid,period,ip,sym",
        ] {
            let text = try perfScript(fields)
            let (folded, _) = try collapse(text, ["--weight", "samples"])
            if fields.contains("event") {
                #expect(folded.total == headerCount(text, event: firstEvent(text)), "\(fields)")
                #expect(folded.stacks.map(\.frames) == reference.stacks.map(\.frames), "\(fields)")
            } else {
                // Without event names both events' samples are kept, as stackcollapse-perf.pl keeps them.
                #expect(folded.total == headerCount(text, event: "two-hot"), "\(fields)")
                #expect(abs(folded.share(containing: ["path_a", "hot_a"]) - 0.75) < 0.1, "\(fields)")
            }
        }
        let withPID = try perfScript("comm,pid,tid,time,event,ip,sym,dso")
        let (rooted, _) = try collapse(withPID, ["--pid"])
        #expect(rooted.stacks.allSatisfy { $0.frames[0].hasPrefix("two-hot-") && Int($0.frames[0].dropFirst(8)) != nil })
        let (kernel, _) = try collapse(withPID, ["--kernel", "--tid"])
        #expect(kernel.stacks.allSatisfy { $0.frames[0].contains("/") })
        #expect(kernel.total == rooted.total)
    }

    /// Fields that add lines or columns to real perf script output: source lines under each
    /// frame (+srcline: "  two_hot.c:24", "  two-hot[1384]", "  libc-start.c:360 (inlined)"),
    /// the instruction after the callchain (+insn: " insn: 48 39 d7"), the cpumode letters after
    /// the thread id (+misc: "two-hot 4242 [000] U 1.5: 1001001 cpu-clock:"). The stacks and
    /// weights are those of perf's default output, and no line is refused.
    @Test func addedFieldsGiveTheSameStacksAndWeights() throws {
        let (reference, _) = try collapse(try perfScript(nil))
        #expect(reference.total > 50)
        for (fields, marker) in [("+srcline", "\n  two_hot.c:"), ("+insn", " insn: "), ("+misc", " U "),
                                 ("+misc,+srcline,+insn", " insn: ")] {
            let text = try perfScript(fields)
            #expect(text.contains(marker), "perf script -F \(fields) printed no '\(marker)'")
            let (folded, warnings) = try collapse(text)
            #expect(folded.stacks.map(\.frames) == reference.stacks.map(\.frames), "-F \(fields)")
            #expect(folded.stacks.map(\.weight) == reference.stacks.map(\.weight), "-F \(fields)")
            #expect(!warnings.contains("error"), "\(warnings)")
        }
    }

    /// A garbage line in real perf script text, small (read whole) and large enough to be read
    /// in parallel parts (the line lies in the second part): exit 2 naming the file and the
    /// line, or, with --skip-bad-lines, the same output as without the line and a count.
    @Test func aGarbageLineIsAnErrorNamingItsLineOrSkipped() throws {
        let text = try perfScript(nil)
        var big = ""
        while big.utf8.count < 18 << 20 { big += text }
        for whole in [text, big] {
            var lines = whole.components(separatedBy: "\n")
            // Inside a sample (after a header and one frame) in the last third.
            var at = lines.count * 2 / 3
            while !(lines[at - 1].hasPrefix("\t") && !lines[at - 2].hasPrefix("\t") && !lines[at - 2].isEmpty) { at += 1 }
            lines.insert("some garbage here", at: at)
            let dir = try TemporaryDirectory()
            try lines.joined(separator: "\n").write(toFile: dir.file("bad.txt"), atomically: true, encoding: .utf8)
            try whole.write(toFile: dir.file("good.txt"), atomically: true, encoding: .utf8)
            let failed = SFlameBinary.run(["collapse", dir.file("bad.txt")])
            #expect(failed.status == 2, "\(failed.standardError)")
            #expect(failed.standardError.contains("bad.txt:\(at + 1):") && failed.standardError.contains("'some garbage here'"),
                    "\(failed.standardError)")
            let skipped = SFlameBinary.run(["collapse", "--skip-bad-lines", dir.file("bad.txt")])
            let good = SFlameBinary.run(["collapse", dir.file("good.txt")])
            #expect(skipped.status == 0 && good.status == 0)
            #expect(skipped.standardOutput == good.standardOutput && !good.standardOutput.isEmpty)
            #expect(skipped.standardError.contains("skipped 1 malformed line"), "\(skipped.standardError)")
        }
    }

    @Test func anEventCanBeChosen() throws {
        let text = try perfScript(nil)
        let (chosen, _) = try collapse(text, ["--event", "task-clock", "--weight", "samples"])
        #expect(chosen.total == headerCount(text, event: " task-clock") && chosen.total > 50)
        let dir = try TemporaryDirectory()
        try text.write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let none = SFlameBinary.run(["collapse", "--event-filter", "cycles", dir.file("perf.txt")])
        #expect(none.status == 2 && none.standardError.contains("no samples of the event 'cycles'"), "\(none.standardError)")
        #expect(none.standardError.contains("cpu-clock") && none.standardError.contains("task-clock"))
    }

    @Test func flamegraphReadsPerfScriptText() throws {
        let dir = try TemporaryDirectory()
        try perfScript(nil).write(toFile: dir.file("perf.txt"), atomically: true, encoding: .utf8)
        let result = SFlameBinary.run(["flamegraph", dir.file("perf.txt"), "-o", dir.file("out.svg")])
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: dir.file("out.svg"), encoding: .utf8)
        #expect(svg.contains("hot_a"))
        let pprof = SFlameBinary.run(["convert", dir.file("perf.txt"), "-o", dir.file("perf.pb.gz")])
        #expect(pprof.status == 0, "\(pprof.standardError)")
        let report = SFlameBinary.run(["report", dir.file("perf.pb.gz")])
        #expect(report.standardOutput.contains("hot_a"))
    }

    /// FlameGraph's collapse test suite, when it is on this machine: every input with every
    /// option must give the expected output, except where the expected files are known to be
    /// wrong (tools/compare-peer-collapse names those cases and checks them separately).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: peerSuite + "/results"),
                   "FlameGraph's collapse test data is not at \(peerSuite) (set SFLAME_PEER_TESTS)"))
    func flameGraphsCollapseSuitePasses() throws {
        let script = Samples.repositoryRoot.appendingPathComponent("tools/compare-peer-collapse").path
        let result = ProcessRunner.run(script, [peerSuite, SFlameBinary.path])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardOutput.contains(" 0 failed"), "\(result.standardOutput)")
    }
}

let peerSuite = ProcessInfo.processInfo.environment["SFLAME_PEER_TESTS"] ?? "/work/shared/peer-tests/flamegraph"
