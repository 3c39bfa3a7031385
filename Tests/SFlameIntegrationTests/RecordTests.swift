// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// `sflame record` end to end on the sample programs: real processes, real perf events.
@Suite(.serialized) struct RecordTests {
    /// Checks two-hot's known shape: both paths under run_loop and a 75/25 split (±10 points).
    func expectTwoHotShape(_ folded: FoldedStacks, sourceLocation: SourceLocation = #_sourceLocation) {
        let a = folded.share(containing: ["main", "run_loop", "path_a", "hot_a"])
        let b = folded.share(containing: ["main", "run_loop", "path_b", "hot_b"])
        #expect(folded.total > 100, "too few samples: \(folded.total)", sourceLocation: sourceLocation)
        #expect(abs(a - 0.75) <= 0.10, "hot_a share \(a)", sourceLocation: sourceLocation)
        #expect(abs(b - 0.25) <= 0.10, "hot_b share \(b)", sourceLocation: sourceLocation)
        #expect(folded.stacks.allSatisfy { $0.frames.first == "two-hot" }, "process name is the root",
                sourceLocation: sourceLocation)
    }

    @Test func recordByPIDGivesTheConstructedSplit() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["60"])
        let result = SFlameBinary.run([
            "record", "--pid", "\(target.pid)", "-F", "499", "-d", "3", "-o", dir.file("out.folded"), "-o", dir.file("out.svg"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        expectTwoHotShape(try FoldedStacks(file: dir.file("out.folded")))
        #expect(result.standardError.contains("samples from 1 process"))
        #expect(result.standardError.contains("unwind quality"))
        let svg = try String(contentsOfFile: dir.file("out.svg"), encoding: .utf8)
        #expect(svg.contains("hot_a") && svg.contains("<svg"))
        #expect(target.state != nil && target.state != "T" && target.state != "t", "target keeps running")
    }

    /// `-p A,A,T` (T a thread of A) records A once, with both samplers: one process in the
    /// summary, and every worker thread with its own quarter, not a doubled one.
    @Test(arguments: ["perf", "ptrace"])
    func aProcessGivenTwiceOrByAThreadIsRecordedOnce(sampler: String) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("threads"), arguments: ["60", "4"])
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(target.pid)/task").compactMap { Int32($0) }
        let thread = try #require(tasks.first { $0 != target.pid })
        let result = SFlameBinary.run([
            "record", "--sampler", sampler, "--pid", "\(target.pid),\(target.pid),\(thread)", "-F", "199", "-d", "2",
            "-o", dir.file("out.folded"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("samples from 1 process"), "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("out.folded"))
        #expect(folded.stacks.allSatisfy { $0.frames.first == "threads" }, "one root: the process")
        for worker in 0..<4 {
            let share = folded.share(containing: ["spin_\(worker)"])
            #expect(abs(share - 0.25) <= 0.12, "spin_\(worker) share \(share)")
        }
        #expect(target.state != nil && !["T", "t"].contains(target.state!), "target keeps running")
    }

    @Test func recordALaunchedCommandFromItsFirstInstruction() throws {
        let dir = try TemporaryDirectory()
        let result = SFlameBinary.run([
            "record", "-F", "499", "-o", dir.file("out.folded"), "--", try Samples.path("two-hot"), "3",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("out.folded"))
        expectTwoHotShape(folded)
        #expect(result.standardError.contains("the target exited"))
    }

    @Test func theLaunchedCommandsExitStatusIsForwarded() throws {
        let dir = try TemporaryDirectory()
        let result = SFlameBinary.run(["record", "-o", dir.file("o.folded"), "--", "/bin/sh", "-c", "exit 3"])
        #expect(result.status == 3, "\(result.standardError)")
        #expect(FileManager.default.fileExists(atPath: dir.file("o.folded")))
        let missing = SFlameBinary.run(["record", "-o", dir.file("m.folded"), "--", "/no/such/command"])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("ENOENT"))
    }

    @Test func threadsStartedDuringTheRecordingAreSampled() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("late-thread"), arguments: ["60"])
        let result = SFlameBinary.run([
            "record", "--pid", "\(target.pid)", "-F", "499", "-d", "3", "--per-thread", "-o", dir.file("out.folded"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("out.folded"))
        #expect(folded.share(containing: ["late_worker", "late_hot", "spin"]) > 0.2)
        #expect(folded.share(containing: ["main_spin", "spin"]) > 0.2)
        #expect(folded.stacks.contains { $0.frames.count > 1 && $0.frames[1].hasPrefix("late-worker-") },
                "--per-thread puts the thread name under the process")
    }

    @Test func aTargetThatExitsMidRecordingStillYieldsTheProfile() throws {
        let dir = try TemporaryDirectory()
        // Long enough to outlive attaching on a loaded machine (a debug build under load took
        // more than 1.5 s), far shorter than the recording.
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["3"])
        let result = SFlameBinary.run(["record", "--pid", "\(target.pid)", "-d", "30", "-o", dir.file("out.folded")])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("the target exited"))
        #expect(try FoldedStacks(file: dir.file("out.folded")).total > 10)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aStopSignalEndsTheRecordingWritesTheOutputAndLeavesTheTargetRunning(signal: Int32) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["60"])
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        recorder.arguments = ["record", "--pid", "\(target.pid)", "-o", dir.file("out.folded")]
        recorder.standardError = FileHandle.nullDevice
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        // Ready when its perf_event descriptors exist.
        try waitUntil("sflame opened its perf events") { perfEventDescriptors(of: recorder.processIdentifier) > 0 }
        // Let it collect some samples before stopping it: wait for the target to burn CPU time.
        let startTicks = cpuTicks(of: target.pid)
        try waitUntil("the target ran for a while") { cpuTicks(of: target.pid) - startTicks >= 50 }
        kill(recorder.processIdentifier, signal)
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)
        #expect(try FoldedStacks(file: dir.file("out.folded")).total > 0)
        #expect(target.state != nil && !["T", "t", "Z"].contains(target.state!), "target state \(String(describing: target.state))")
    }
}

/// Polls a condition every 10 ms for up to `timeout` seconds.
func waitUntil(_ what: String, timeout: Double = 20, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return }
        usleep(10_000)
    }
    throw SampleError("timed out waiting until \(what)")
}

/// The number of perf_event descriptors a process holds.
func perfEventDescriptors(of pid: Int32) -> Int {
    let dir = "/proc/\(pid)/fd"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")) == "anon_inode:[perf_event]" }.count
}

/// User + system CPU time of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
func cpuTicks(of pid: Int32) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let u = Int(fields[11]), let s = Int(fields[12]) else { return 0 }
    return u + s
}
