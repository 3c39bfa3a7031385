// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// Where threads wait: `--off-cpu` (sched_switch) and the ptrace wall-clock sampler, on
/// samples/sleepy (90 % of its wall time asleep in nanosleep, 10 % burning CPU).
@Suite(.serialized) struct WallClockTests {
    let sleepPath = ["run_cycles", "sleep_phase"]
    let burnPath = ["run_cycles", "burn_phase", "burn_cpu"]

    /// The sleep stack holds ≈ 90 % (±10 points) of the weight, and within 10 points of the
    /// share sleepy measured itself (`truth`; a loaded machine lowers it: a preempted burn phase
    /// overruns); the weight is wall time; waiting stacks end in `[sleeping]`.
    func expectNinetyPercentAsleep(
        _ folded: FoldedStacks, seconds: Double, threads: Int = 1, truth: Double,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let sleep = folded.share(containing: sleepPath)
        // 0.15: on a saturated 2-core machine a woken thread waits for a CPU, and the sampler's own
        // wake-ups are late, so samples cluster (seen: 0.67 asleep against 0.80 measured). An
        // on-CPU profile would show about 0 here, so the check still catches a wrong sampler.
        #expect(
            abs(sleep - truth) <= 0.15, "sleep share \(sleep), sleepy measured \(truth)", sourceLocation: sourceLocation
        )
        #expect(
            abs(sleep - 0.9) <= 0.15 + abs(truth - 0.9), "sleep share \(sleep), sleepy measured \(truth)",
            sourceLocation: sourceLocation)
        #expect(
            folded.share(containing: burnPath) > 0.01, "the burn stack is there too", sourceLocation: sourceLocation)
        // Weights are nanoseconds of wall time: the total is about the recording's length per thread.
        let wall = Double(folded.total) / 1e9 / Double(threads)
        #expect(
            wall > seconds * 0.7 && wall < seconds * 1.15, "total \(wall) s per thread", sourceLocation: sourceLocation)
        // Most of the sleep stack is marked asleep; the rest is the thread woken and waiting for a CPU.
        let sleeping = folded.stacks.filter { $0.frames.last == "[sleeping]" }.reduce(0) { $0 + $1.weight }
        #expect(
            Double(sleeping) > 0.7 * Double(folded.weight(containing: sleepPath)), "the sleep stacks end in [sleeping]",
            sourceLocation: sourceLocation)
        #expect(
            folded.stacks.filter { $0.frames.contains("burn_cpu") && $0.frames.last == "burn_cpu" }.count > 0,
            "on-CPU stacks keep their real leaf", sourceLocation: sourceLocation)
    }

    @Test func offCPUShowsTheSleepStackAtNinetyPercentOfWallTime() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["60"])
        let before = try sleepAccount(target, 1)
        let r = SFlameBinary.run([
            "record", "--off-cpu", "--pid", "\(target.pid)", "-d", "3", "-o", dir.file("o.folded"), "-o",
            dir.file("o.svg"),
        ])
        let truth = try sleepAccount(target, 2).share(since: before)
        #expect(r.status == 0, "\(r.standardError)")
        expectNinetyPercentAsleep(try FoldedStacks(file: dir.file("o.folded")), seconds: 3, truth: truth)
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        // The kernel part of a wait shows why it waits.
        #expect(folded.share(containing: ["do_nanosleep_[k]"]) > 0.5)
        #expect(r.standardError.contains("off-CPU:"))
        let svg = try String(contentsOfFile: dir.file("o.svg"), encoding: .utf8)
        #expect(svg.contains("Off-CPU and on-CPU flame graph") && svg.contains("[sleeping]"))
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
    }

    /// samples/switch-storm: two threads napping 100 µs at a time, thousands of context
    /// switches a second, each a switch-out sample with an 8 KiB DWARF stack copy. The rings fill
    /// in a fraction of a second; they must be emptied while the samples are unwound. Before the
    /// reading thread, a third or more of the records were lost here.
    @Test func offCPUKeepsUpWithThousandsOfSwitchesASecond() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("switch-storm"), arguments: ["0", "2", "100"])
        let r = SFlameBinary.run([
            "record", "--off-cpu", "--pid", "\(target.pid)", "-d", "2", "-o", dir.file("o.folded"),
        ])
        #expect(r.status == 0, "\(r.standardError)")
        #expect(r.standardError.contains("DWARF"), "switch-storm has no frame pointers: stack copies are taken")
        let lost = try #require(Self.number(in: r.standardError, after: "s, ", before: " lost."))
        let waits = try #require(Self.number(in: r.standardError, after: "off-CPU: ", before: " waits"))
        #expect(waits > 2_000, "the load was real: \(waits) waits")
        // Every wait is three records (the sample, the switch out and in): compare with them all.
        #expect(Double(lost) < 0.05 * Double(3 * waits + lost), "\(lost) lost beside \(waits) waits: \(r.standardError)")
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        let naps = ["napper_main", "nap_loop", "short_nap"]
        #expect(folded.share(containing: naps) > 0.5, "nap share \(folded.share(containing: naps))")
        let sleeping = folded.stacks.filter { $0.frames.contains("short_nap") && $0.frames.last == "[sleeping]" }
        #expect(!sleeping.isEmpty, "the naps end in [sleeping]")
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
    }

    /// The integer (digits and thousands separators) between `after` and `before` on a line.
    static func number(in text: String, after: String, before: String) -> Int? {
        for line in text.split(separator: "\n") {
            guard let start = line.range(of: after), let end = line.range(of: before, range: start.upperBound..<line.endIndex)
            else { continue }
            let digits = line[start.upperBound..<end.lowerBound].filter { $0 != "," }
            if let n = Int(digits.split(separator: " ").last ?? "") { return n }
        }
        return nil
    }

    @Test func ptraceShowsTheSleepStackAtNinetyPercentOfWallTime() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["60", "2"])
        let before = try sleepAccount(target, 1)
        let r = SFlameBinary.run([
            "record", "--sampler", "ptrace", "--pid", "\(target.pid)", "-d", "3", "-o", dir.file("o.folded"),
        ])
        let truth = try sleepAccount(target, 2).share(since: before)
        #expect(r.status == 0, "\(r.standardError)")
        expectNinetyPercentAsleep(try FoldedStacks(file: dir.file("o.folded")), seconds: 3, threads: 2, truth: truth)
        #expect(r.standardError.contains("ptrace stop cost per thread per sample:"), "the stop cost is reported")
        #expect(r.standardError.contains("held stopped while its stack was read"))
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        // CFI unwinding from live memory reaches the thread's base through libc.
        #expect(folded.share(containing: ["start_thread", "thread_main", "run_cycles"]) > 0.3)
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
        #expect(tracerPID(of: target.pid) == 0, "detached")
    }

    @Test func theOnCPUDefaultShowsTheSleepStackAtZero() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["60"])
        let r = SFlameBinary.run([
            "record", "--pid", "\(target.pid)", "-F", "999", "-d", "3", "-o", dir.file("o.folded"),
        ])
        #expect(r.status == 0, "\(r.standardError)")
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        #expect(folded.total > 50, "samples: \(folded.total)")
        #expect(folded.share(containing: sleepPath) < 0.05, "sleep share \(folded.share(containing: sleepPath))")
        #expect(folded.share(containing: burnPath) > 0.8)
    }

    /// An idle thread is stopped once, then sampled without stops while it stays blocked at the
    /// same place: epoll_wait, which every stop cuts short with EINTR, sees one or two stops
    /// instead of one per sample.
    @Test func anIdleThreadIsNotStoppedAtEverySample() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("idle-epoll"))
        let r = SFlameBinary.run([
            "record", "--sampler", "ptrace", "-F", "199", "--pid", "\(target.pid)", "-d", "2", "-o", dir.file("o.folded"),
        ])
        #expect(r.status == 0, "\(r.standardError)")
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        #expect(folded.share(containing: ["main", "event_loop", "epoll_wait", "[sleeping]"]) > 0.95)
        #expect(r.standardError.contains("not stopped"))
        kill(target.pid, SIGUSR1)
        let line = try target.waitForLines(count: 1) { $0.hasPrefix("eintr ") }[0]
        let interruptions = Int(line.dropFirst("eintr ".count)) ?? -1
        #expect(interruptions >= 1 && interruptions <= 3, "epoll_wait was cut short \(interruptions) times in ~400 samples")
    }

    @Test func aTargetExitingMidRecordingInPtraceModeStillYieldsTheProfile() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["2.5", "3"])
        let r = SFlameBinary.run([
            "record", "--sampler", "ptrace", "--pid", "\(target.pid)", "-d", "30", "-o", dir.file("o.folded"),
        ])
        #expect(r.status == 0, "\(r.standardError)")
        #expect(r.standardError.contains("the target exited"))
        #expect(try FoldedStacks(file: dir.file("o.folded")).share(containing: sleepPath) > 0.3)
        target.process.waitUntilExit()
        #expect(target.process.terminationStatus == 0, "the target exited normally, it was not killed")
    }

    @Test func aLaunchedCommandIsFollowedIntoItsThreadsAndItsStatusForwarded() throws {
        let dir = try TemporaryDirectory()
        let r = SFlameBinary.run([
            "record", "--sampler", "ptrace", "--per-thread", "-o", dir.file("o.folded"), "--",
            try Samples.path("sleepy"), "2", "3",
        ])
        #expect(r.status == 0, "\(r.standardError)")
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        #expect(folded.stacks.contains { $0.frames.count > 1 && $0.frames[1].hasPrefix("sleepy-1-") })
        #expect(folded.stacks.contains { $0.frames.count > 1 && $0.frames[1].hasPrefix("sleepy-2-") })
        #expect(folded.share(containing: sleepPath) > 0.6)
        #expect(r.standardError.contains("followed 2 new threads"))
        let failing = SFlameBinary.run([
            "record", "--sampler", "ptrace", "-o", dir.file("f.folded"), "--", "/bin/sh", "-c", "exit 3",
        ])
        #expect(failing.status == 3, "\(failing.standardError)")
    }

    /// Signals reach the traced target, a SIGSTOP stops it (PTRACE_LISTEN) until SIGCONT, and a
    /// target stopped when sflame detaches stays stopped, as the user asked.
    @Test func signalsAndGroupStopsAreHonoured() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["60", "2"])
        let recorder = try startRecorder([
            "record", "--sampler", "ptrace", "-F", "199", "--pid", "\(target.pid)", "-o", dir.file("o.folded"),
        ])
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        try waitUntil("sflame traces the target") { tracerPID(of: target.pid) == recorder.processIdentifier }
        kill(target.pid, SIGUSR1)
        try target.waitForLine("signal", count: 1)
        kill(target.pid, SIGSTOP)
        try waitUntil("the target stops") { ["T", "t"].contains(target.state ?? " ") && threadsStopped(target.pid) }
        kill(target.pid, SIGCONT)
        kill(target.pid, SIGUSR1)
        try target.waitForLine("signal", count: 2)
        kill(target.pid, SIGSTOP)
        try waitUntil("the target stops again") { threadsStopped(target.pid) }
        kill(recorder.processIdentifier, SIGINT)
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)
        #expect(tracerPID(of: target.pid) == 0, "detached")
        #expect(
            target.state == "T", "still stopped by its SIGSTOP after the detach: \(String(describing: target.state))")
        kill(target.pid, SIGCONT)
        kill(target.pid, SIGUSR1)
        try target.waitForLine("signal", count: 3)
        #expect(try FoldedStacks(file: dir.file("o.folded")).total > 0)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aStopSignalInPtraceModeDetachesAndLeavesTheTargetRunning(signal: Int32) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["60"])
        let recorder = try startRecorder([
            "record", "--sampler", "ptrace", "-F", "499", "--pid", "\(target.pid)", "-o", dir.file("o.folded"),
        ])
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        try waitUntil("sflame traces the target") { tracerPID(of: target.pid) == recorder.processIdentifier }
        let startTicks = cpuTicks(of: target.pid)
        try waitUntil("the target ran for a while") { cpuTicks(of: target.pid) - startTicks >= 30 }
        kill(recorder.processIdentifier, signal)
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)
        let folded = try FoldedStacks(file: dir.file("o.folded"))
        #expect(folded.share(containing: ["run_loop", "path_a", "hot_a"]) > 0.5)
        #expect(tracerPID(of: target.pid) == 0, "detached")
        #expect(
            target.state != nil && !["T", "t", "Z"].contains(target.state!), "state \(String(describing: target.state))"
        )
        let ticks = cpuTicks(of: target.pid)
        try waitUntil("the target keeps running") { cpuTicks(of: target.pid) > ticks }
    }

    @Test func aKilledSflameLeavesTheTargetRunning() throws {
        let target = try SampleProcess(try Samples.path("workers"), arguments: ["4", "0", "60"])
        let dir = try TemporaryDirectory()
        let recorder = try startRecorder([
            "record", "--sampler", "ptrace", "-F", "999", "--pid", "\(target.pid)", "-o", dir.file("o.folded"),
        ])
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        try waitUntil("sflame traces the target") { tracerPID(of: target.pid) == recorder.processIdentifier }
        let startTicks = cpuTicks(of: target.pid)
        try waitUntil("the target ran for a while") { cpuTicks(of: target.pid) - startTicks >= 30 }
        kill(recorder.processIdentifier, SIGKILL)
        recorder.waitUntilExit()
        // The kernel detached every thread when the tracer died (exit_ptrace).
        try waitUntil("every thread is released") { tracerPID(of: target.pid) == 0 && !threadsStopped(target.pid) }
        let ticks = cpuTicks(of: target.pid)
        try waitUntil("the target keeps running") { cpuTicks(of: target.pid) > ticks }
        #expect(target.process.isRunning)
    }

    @Test(arguments: ["EPERM", "ENOSYS"])
    func aRefusedPerfEventOpenFallsBackToThePtraceSampler(errno: String) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["60"])
        let before = try sleepAccount(target, 1)
        let r = ProcessRunner.run(
            try Samples.path("deny-perf"),
            [
                errno, SFlameBinary.path, "record", "--pid", "\(target.pid)", "-d", "2", "-o", dir.file("o.folded"),
            ])
        let truth = try sleepAccount(target, 2).share(since: before)
        #expect(r.status == 0, "\(r.standardError)")
        let notice = r.standardError.split(separator: "\n").first { $0.contains("falling back to the ptrace sampler") }
        #expect(notice != nil, "\(r.standardError)")
        #expect(notice?.contains(errno) == true && notice?.contains("seccomp filter is active") == true)
        expectNinetyPercentAsleep(try FoldedStacks(file: dir.file("o.folded")), seconds: 2, truth: truth)
        #expect(tracerPID(of: target.pid) == 0)
    }

    @Test func ptraceRefusedNamesTheKnobs() throws {
        guard getuid() == 0 else {
            Issue.record("this test needs root to switch to the nobody user (setpriv)")
            return
        }
        let dir = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        let binary = dir.file("sflame")
        try copyExecutable(SFlameBinary.path, to: binary)
        let target = try SampleProcess(try Samples.path("sleepy"), arguments: ["30"])
        let r = ProcessRunner.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", binary, "record", "--sampler",
                "ptrace", "--pid", "\(target.pid)", "-d", "1", "-o", dir.file("x.folded"),
            ], environment: ["LD_LIBRARY_PATH": ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] ?? ""])
        #expect(r.status == 4, "\(r.standardError)")
        #expect(r.standardError.contains("PTRACE_SEIZE"))
        #expect(r.standardError.contains("EPERM"))
        #expect(r.standardError.contains("kernel.yama.ptrace_scope"))
        #expect(r.standardError.contains("CAP_SYS_PTRACE"))
        #expect(r.standardError.contains("seccomp"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.folded")))
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
    }
}

/// sleepy's own account (SIGUSR2): nanoseconds its threads spent asleep, and their wall time.
struct SleepAccount {
    var asleep: Double
    var wall: Double
    /// The share of wall time asleep between `earlier` and this account.
    func share(since earlier: SleepAccount) -> Double { (asleep - earlier.asleep) / max(wall - earlier.wall, 1) }
}

/// Asks sleepy for its account: the `count`-th `asleep A wall W` line it prints.
func sleepAccount(_ target: SampleProcess, _ count: Int) throws -> SleepAccount {
    kill(target.pid, SIGUSR2)
    let lines = try target.waitForLines(count: count, description: "its account") { $0.hasPrefix("asleep ") }
    let fields = lines[count - 1].split(separator: " ")
    guard fields.count == 4, let asleep = Double(fields[1]), let wall = Double(fields[3]) else {
        throw SampleError("bad account line '\(lines[count - 1])'")
    }
    return SleepAccount(asleep: asleep, wall: wall)
}

/// Starts sflame in the background, its stderr discarded.
func startRecorder(_ arguments: [String]) throws -> Process {
    let recorder = Process()
    recorder.executableURL = URL(fileURLWithPath: SFlameBinary.path)
    recorder.arguments = arguments
    recorder.standardError = FileHandle.nullDevice
    try recorder.run()
    return recorder
}

/// TracerPid from /proc/PID/status (0 when untraced), or -1 when unreadable.
func tracerPID(of pid: Int32) -> Int32 {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TracerPid:") })
    else { return -1 }
    return Int32(line.dropFirst("TracerPid:".count).trimmingCharacters(in: .whitespaces)) ?? -1
}

/// Whether every thread of a process is stopped (state T or t).
func threadsStopped(_ pid: Int32) -> Bool {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return !tasks.isEmpty
        && tasks.allSatisfy { tid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return false }
            return ["T", "t"].contains(text[text.index(close, offsetBy: 2)])
        }
}
