// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// `sflame mem --alloc` and `--leaks`: uprobes on the allocator of a live process.
@Suite(.serialized) struct MemAllocationTests {
    @Test func allocatedBytesSplit75To25AndCallsHalfAndHalf() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["0", "5000"])
        let result = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "--alloc", "-d", "2", "-o", dir.file("a.folded"), "-o", dir.file("a.svg"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let bytes = try FoldedStacks(file: dir.file("a.folded"))
        let big = bytes.share(containing: ["main", "run_rounds", "alloc_big"])
        let small = bytes.share(containing: ["main", "run_rounds", "alloc_small"])
        #expect(abs(big - 0.75) <= 0.10, "alloc_big share of bytes \(big)")
        #expect(abs(small - 0.25) <= 0.10, "alloc_small share of bytes \(small)")
        #expect(bytes.total > 1_000_000, "bytes \(bytes.total)")
        #expect(result.standardError.contains("alloc_big ← run_rounds ← main"))
        #expect(try String(contentsOfFile: dir.file("a.svg"), encoding: .utf8).contains("alloc_big"))

        let counted = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "--alloc", "--weight", "count", "-d", "1", "-o", dir.file("c.folded"),
        ])
        #expect(counted.status == 0, "\(counted.standardError)")
        let calls = try FoldedStacks(file: dir.file("c.folded"))
        #expect(abs(calls.share(containing: ["run_rounds", "alloc_big"]) - 0.5) <= 0.10)
        #expect(abs(calls.share(containing: ["run_rounds", "alloc_small"]) - 0.5) <= 0.10)
        #expect(target.state != nil && !["T", "t", "Z"].contains(target.state!), "the target keeps running")
    }

    @Test func leaksReportTheLeakingPathWithItsBytesAndNotTheCleanOne() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("leaky"), arguments: ["200"], standardInput: true)
        let sflame = try BackgroundSFlame([
            "mem", "--pid", "\(target.pid)", "--leaks", "-o", dir.file("l.folded"), "-o", dir.file("l.svg"),
        ])
        try sflame.waitForStandardError(containing: "Ctrl-C to stop")
        target.send("go")
        let done = try target.waitForLine(startingWith: "done ")
        let leaked = try #require(Double(done.dropFirst(5)))
        let (status, stderr) = try sflame.stop(signal: SIGINT)
        #expect(status == 0, "\(stderr)")
        let folded = try FoldedStacks(file: dir.file("l.folded"))
        let leaky = Double(folded.weight(containing: ["serve", "leaky_path"]))
        #expect(abs(leaky / leaked - 1) <= 0.10, "leaky_path outstanding \(leaky) of \(leaked) bytes leaked")
        #expect(folded.weight(containing: ["clean_path"]) == 0, "clean_path freed everything")
        #expect(!folded.stacks.contains { $0.frames.contains("clean_path") })
        // Every allocator function of the leaking path is there: realloc (from NULL and growing a
        // block), posix_memalign (*memptr read from the stack), aligned_alloc, calloc, malloc.
        #expect(folded.stacks.contains { $0.frames.last == "posix_memalign" })
        #expect(folded.stacks.contains { $0.frames.last == "realloc" })
        #expect(stderr.contains("still allocated"))
        #expect(stderr.contains("leaky_path"))
    }

    /// Probes must never get in the way of the target: uprobe-PMU events cannot be inherited
    /// (the kernel would fail the target's clone with EFAULT), so threads started while
    /// recording are attached by sflame, and every pthread_create succeeds.
    @Test(arguments: ["--alloc", "--leaks"])
    func threadsStartedWhileProbingAreCreatedAndProfiled(mode: String) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("thread-alloc"), arguments: ["3"])
        let result = SFlameBinary.run(["mem", "--pid", "\(target.pid)", mode, "-d", "2", "-o", dir.file("t.folded")])
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try target.waitForLine(startingWith: "threads ")
        #expect(summary.hasSuffix(" failed 0"), "pthread_create failed under sflame: \(summary)")
        let folded = try FoldedStacks(file: dir.file("t.folded"))
        if mode == "--alloc" {
            #expect(
                folded.share(containing: ["worker", "worker_alloc", "malloc"]) > 0.9, "threads started later are seen")
        } else {
            // Every block is freed right after it is allocated: at most one per live thread (four)
            // can be caught in between when the recording stops.
            #expect(folded.total <= 4 * 256, "outstanding: \(folded.stacks)")
        }
    }

    /// Each probe is defined once in tracefs and the per-thread perf events share it: while
    /// recording a many-thread target, `uprobe_events` holds one line per probe (not one probe
    /// per thread and function, which made stopping take ~0.1 s per event), and none afterwards.
    @Test(arguments: ["--alloc", "--leaks"])
    func probesAreDefinedOnceAndSharedByEveryThread(mode: String) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("thread-alloc"), arguments: ["30"])
        let sflame = try BackgroundSFlame(["mem", "--pid", "\(target.pid)", mode, "-o", dir.file("t.folded")])
        let group = "sflame_\(sflame.process.processIdentifier)"
        try sflame.waitForStandardError(containing: "Ctrl-C to stop")
        let defined = try uprobeDefinitions(group: group)
        // Threads come and go every 50 ms: the recorder attaches each one, every probe on it.
        var perfEvents = 0
        try waitUntil("sflame has attached eight threads") {
            perfEvents = openPerfEvents(of: sflame.process.processIdentifier)
            return perfEvents >= 8 * max(defined.count, 1)
        }
        #expect(try uprobeDefinitions(group: group).count == defined.count, "no definition per thread")
        let (status, stderr) = try sflame.stop(signal: SIGINT)
        #expect(status == 0, "\(stderr)")
        // The functions named in the notice: one entry probe each, and for leaks a return probe on
        // each allocation function.
        let notice = try #require(stderr.split(separator: "\n").first { $0.contains("probes on ") })
        let list = notice.split(separator: "probes on ")[1].split(separator: " in ")[0]
        let names = list.split(separator: ", ").map(String.init)
        var expected = Set(names)
        if mode == "--leaks" {
            for name in names where name != "free" && name != "sdallocx" { expected.insert(name + "_ret") }
        }
        #expect(Set(defined.map(\.name)) == expected, "\(defined)")
        #expect(defined.count == expected.count, "one definition per probe: \(defined)")
        #expect(defined.allSatisfy { $0.line.hasPrefix($0.name.hasSuffix("_ret") ? "r:" : "p:") })
        #expect(perfEvents >= 8 * defined.count, "\(perfEvents) perf events share \(defined.count) probes")
        #expect(try uprobeDefinitions(group: group).isEmpty, "definitions deleted at the end")
        #expect(!stderr.contains("uprobe PMU"), "no fallback as root: \(stderr)")
        if mode == "--alloc" {
            let folded = try FoldedStacks(file: dir.file("t.folded"))
            #expect(folded.share(containing: ["worker", "worker_alloc", "malloc"]) > 0.9)
        }
    }

    /// An sflame killed with SIGKILL cannot delete its definitions; they place no breakpoint
    /// (the kernel closed the perf events), and the next sflame deletes them.
    @Test func definitionsOfAKilledSFlameAreDeletedAtTheNextStart() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["0", "2000"])
        let entry = try LibcFunction(pid: target.pid, symbol: "malloc")
        let killed = try BackgroundSFlame(["mem", "--pid", "\(target.pid)", "--alloc", "-o", dir.file("k.folded")])
        let group = "sflame_\(killed.process.processIdentifier)"
        try killed.waitForStandardError(containing: "Ctrl-C to stop")
        _ = try killed.stop(signal: SIGKILL)
        #expect(!(try uprobeDefinitions(group: group).isEmpty), "left behind by the killed sflame")
        try waitUntil("no breakpoint without perf events") { (try? entry.liveBytes()) == (try? entry.fileBytes()) }
        let next = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "--alloc", "-d", "0.5", "-o", dir.file("a.folded"),
        ])
        #expect(next.status == 0, "\(next.standardError)")
        #expect(try uprobeDefinitions(group: group).isEmpty, "deleted by the next sflame")
        #expect(target.state != nil && !["T", "t", "Z"].contains(target.state!))
    }

    /// Without a writable tracefs (here: not root, but CAP_SYS_ADMIN and CAP_SYS_PTRACE) the
    /// probes go through the uprobe PMU, with a notice of what stopping costs, and record alike.
    @Test(.enabled(if: getuid() == 0, "switching to the nobody user needs root"))
    func withoutWritableTracefsProbesGoThroughTheUprobePMU() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        let binary = dir.file("sflame")
        try copyExecutable(SFlameBinary.path, to: binary)
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["0", "5000"])
        let result = ProcessRunner.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+sys_admin,+sys_ptrace",
                "--ambient-caps=+sys_admin,+sys_ptrace", binary, "mem", "--pid", "\(target.pid)", "--alloc", "-d", "1",
                "-o", dir.file("a.folded"),
            ],
            environment: ["LD_LIBRARY_PATH": ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] ?? ""])
        #expect(result.status == 0, "\(result.standardError)")
        let warning = result.standardError.split(separator: "\n").filter { $0.contains("uprobe PMU") }
        #expect(warning.count == 1 && warning[0].contains("0.1 s per probe per thread"), "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("a.folded"))
        #expect(abs(folded.share(containing: ["run_rounds", "alloc_big"]) - 0.75) <= 0.10)
        #expect(target.state != nil && !["T", "t", "Z"].contains(target.state!))
    }

    @Test(arguments: [SIGINT, SIGKILL])
    func interruptingSFlameRemovesTheProbesAndLeavesTheTargetRunning(signal: Int32) throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["0", "2000"])
        let entry = try LibcFunction(pid: target.pid, symbol: "malloc")
        let original = try entry.fileBytes()
        #expect(try entry.liveBytes() == original, "no probe before sflame")
        let sflame = try BackgroundSFlame(["mem", "--pid", "\(target.pid)", "--leaks", "-o", dir.file("l.folded")])
        try sflame.waitForStandardError(containing: "Ctrl-C to stop")
        // While recording, malloc's first instruction is a breakpoint (int3, 0xcc) in the target.
        #expect(try entry.liveBytes().first == 0xcc, "the probe is in place while recording")
        let (status, _) = try sflame.stop(signal: signal)
        if signal == SIGINT {
            #expect(status == 0)
            #expect(FileManager.default.fileExists(atPath: dir.file("l.folded")))
        }
        try waitUntil("the probe is removed") { (try? entry.liveBytes()) == original }
        #expect(
            target.state != nil && !["T", "t", "Z"].contains(target.state!),
            "target state \(String(describing: target.state))")
        // And it still allocates: its CPU time keeps growing.
        let ticks = cpuTicks(of: target.pid)
        try waitUntil("the target keeps running") { cpuTicks(of: target.pid) > ticks }
    }

    @Test func aTargetExitingMidRecordingStillYieldsTheProfile() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["1.5", "5000"])
        let result = SFlameBinary.run([
            "mem", "--pid", "\(target.pid)", "--alloc", "-d", "30", "-o", dir.file("a.folded"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("the target exited"))
        #expect(try FoldedStacks(file: dir.file("a.folded")).total > 0)
    }

    @Test func allocationsOfALaunchedCommand() throws {
        let dir = try TemporaryDirectory()
        let result = SFlameBinary.run([
            "mem", "--alloc", "-o", dir.file("a.folded"), "--", try Samples.path("alloc-split"), "1", "5000",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let folded = try FoldedStacks(file: dir.file("a.folded"))
        #expect(abs(folded.share(containing: ["run_rounds", "alloc_big"]) - 0.75) <= 0.10)
    }
}

/// The probe definitions of one group in tracefs `uprobe_events`: the event name and the line.
func uprobeDefinitions(group: String) throws -> [(name: String, line: String)] {
    let path = ["/sys/kernel/tracing/uprobe_events", "/sys/kernel/debug/tracing/uprobe_events"].first {
        FileManager.default.fileExists(atPath: $0)
    }
    let text = try String(contentsOfFile: try #require(path), encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
        guard let head = line.split(separator: " ").first, head.dropFirst(2).hasPrefix("\(group)/") else { return nil }
        return (String(head.dropFirst(2 + group.count + 1)), String(line))
    }
}

/// The perf_event descriptors a process holds.
func openPerfEvents(of pid: Int32) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    return fds.filter {
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
        return link == "anon_inode:[perf_event]"
    }.count
}

/// sflame running in the background, with its stderr captured.
final class BackgroundSFlame {
    let process = Process()
    private let errorPipe = Pipe()
    private var collected = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        process.arguments = arguments
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits until stderr contains `text` (fails early if sflame exits).
    func waitForStandardError(containing text: String, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if String(decoding: collected, as: UTF8.self).contains(text) { return }
            let chunk = errorPipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            collected.append(chunk)
        }
        throw SampleError("sflame did not print '\(text)':\n\(String(decoding: collected, as: UTF8.self))")
    }

    /// Sends `signal`, waits for the exit, returns the status and everything it wrote on stderr.
    func stop(signal: Int32) throws -> (Int32, String) {
        kill(process.processIdentifier, signal)
        collected.append(errorPipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: collected, as: UTF8.self))
    }
}

/// A function of the C library a process maps: its first bytes in the file and in the process.
struct LibcFunction {
    let libraryPath: String
    let fileOffset: UInt64
    let runtimeAddress: UInt64
    let pid: Int32

    init(pid: Int32, symbol: String) throws {
        self.pid = pid
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8).split(separator: "\n")
        let libc = try #require(maps.first { $0.contains("/libc.so.6") }.map { String($0.split(separator: " ").last!) })
        libraryPath = libc
        // The symbol's address (SVMA) and the PT_LOAD segment that holds it, from readelf.
        let symbols = ProcessRunner.run("/usr/bin/readelf", ["-Ws", "--dyn-syms", libc]).standardOutput
        let line = try #require(
            symbols.split(separator: "\n").first {
                $0.hasSuffix(" \(symbol)@@GLIBC_2.2.5") || $0.hasSuffix(" \(symbol)")
            })
        let address = try #require(UInt64(line.split(separator: " ")[1], radix: 16))
        let headers = ProcessRunner.run("/usr/bin/readelf", ["-Wl", libc]).standardOutput
        var offset: UInt64?
        for h in headers.split(separator: "\n") where h.trimmingCharacters(in: .whitespaces).hasPrefix("LOAD") {
            let f = h.split(separator: " ")
            guard let o = UInt64(f[1].dropFirst(2), radix: 16), let v = UInt64(f[2].dropFirst(2), radix: 16),
                let size = UInt64(f[4].dropFirst(2), radix: 16), address >= v, address < v + size
            else { continue }
            offset = address - v + o
        }
        fileOffset = try #require(offset)
        // The executable mapping of the library that holds the offset.
        var runtime: UInt64?
        for m in maps where m.hasSuffix(libc) {
            let f = m.split(separator: " ")
            let range = f[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
            guard f[1].contains("x"), range.count == 2, let mapOffset = UInt64(f[2], radix: 16) else { continue }
            if fileOffset >= mapOffset && fileOffset - mapOffset < range[1] - range[0] {
                runtime = range[0] + fileOffset - mapOffset
            }
        }
        runtimeAddress = try #require(runtime)
    }

    func fileBytes() throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: libraryPath))
        defer { try? handle.close() }
        try handle.seek(toOffset: fileOffset)
        return [UInt8](handle.readData(ofLength: 8))
    }

    /// The bytes in the process now (/proc/PID/mem: what the CPU executes, breakpoints included).
    func liveBytes() throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/mem"))
        defer { try? handle.close() }
        try handle.seek(toOffset: runtimeAddress)
        return [UInt8](handle.readData(ofLength: 8))
    }
}
