// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// DWARF call graphs end to end: programs built without frame pointers, recorded with
/// `-g fp`, `-g dwarf` and the default, unwound with libdw and libunwind, and compared with
/// `perf record --call-graph=dwarf` on the same target.
@Suite(.serialized) struct DwarfUnwindTests {
    static let unwinders = ["libdw", "libunwind"]

    /// Records a running sample until it has used `cpuSeconds` of CPU time (CPU time, not wall
    /// time: on a busy machine the target may get little of a core), then stops sflame with SIGINT.
    /// Returns the folded stacks and sflame's stderr. With `perf`, a `perf record` started the same
    /// way on the same target is stopped at the same moment.
    func record(
        _ pid: Int32, _ arguments: [String], cpuSeconds: Double = 1.5, frequency: Int = 499,
        perf: (output: String, extra: [String])? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (FoldedStacks, String) {
        let dir = try TemporaryDirectory()
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        recorder.arguments =
            ["record", "--pid", "\(pid)", "-F", "\(frequency)", "-d", "120", "-o", dir.file("out.folded")] + arguments
        let errors = Pipe()
        recorder.standardError = errors
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        var perfProcess: UnblockedProcess?
        if let perf {
            perfProcess = try UnblockedProcess(
                [Perf.path, "record", "-q", "-F", "\(frequency)", "-p", "\(pid)", "-o", perf.output] + perf.extra)
        }
        defer { if let perfProcess { kill(perfProcess.pid, SIGKILL) } }
        try waitUntil("sflame opened its perf events", timeout: 60) {
            perfEventDescriptors(of: recorder.processIdentifier) > 0
        }
        if let perfProcess {
            try waitUntil("perf opened its perf events", timeout: 60) { perfEventDescriptors(of: perfProcess.pid) > 0 }
        }
        let startTicks = cpuTicks(of: pid)
        try waitUntil("the target used \(cpuSeconds) s of CPU", timeout: 120) {
            Double(cpuTicks(of: pid) - startTicks) >= cpuSeconds * 100
        }
        kill(recorder.processIdentifier, SIGINT)
        if let perfProcess {
            kill(perfProcess.pid, SIGINT)
            // perf record re-raises SIGINT after writing its file: 130 is its normal end here.
            #expect(
                [0, 130].contains(perfProcess.waitUntilExit()), "perf record failed", sourceLocation: sourceLocation)
        }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0, "\(stderr)", sourceLocation: sourceLocation)
        return (try FoldedStacks(file: dir.file("out.folded")), stderr)
    }

    /// Share of the weight in stacks whose root end is the `[truncated]` marker (after the process root).
    func truncatedShare(_ folded: FoldedStacks) -> Double {
        guard folded.total > 0 else { return 0 }
        let weight = folded.stacks.filter { $0.frames.count > 1 && $0.frames[1] == "[truncated]" }.reduce(0) {
            $0 + $1.weight
        }
        return Double(weight) / Double(folded.total)
    }

    func expectTwoHotEdges(_ folded: FoldedStacks, sourceLocation: SourceLocation = #_sourceLocation) {
        // Rooted at _start (the name of libc's frame between them depends on which alias its
        // symbol table offers), then the program's own chain.
        var fromStart = FoldedStacks(text: "")
        fromStart.stacks = folded.stacks.filter { $0.frames.count > 1 && $0.frames[1] == "_start" }
        let a =
            Double(fromStart.weight(containing: ["__libc_start_call_main", "main", "run_loop", "path_a", "hot_a"]))
            / Double(max(folded.total, 1))
        let b =
            Double(fromStart.weight(containing: ["__libc_start_call_main", "main", "run_loop", "path_b", "hot_b"]))
            / Double(max(folded.total, 1))
        #expect(folded.total > 100, "too few samples: \(folded.total)", sourceLocation: sourceLocation)
        #expect(abs(a - 0.75) <= 0.10, "main;run_loop;path_a;hot_a from _start: \(a)", sourceLocation: sourceLocation)
        #expect(abs(b - 0.25) <= 0.10, "main;run_loop;path_b;hot_b from _start: \(b)", sourceLocation: sourceLocation)
        #expect(
            truncatedShare(folded) < 0.03, "truncated share \(truncatedShare(folded))", sourceLocation: sourceLocation)
    }

    // MARK: two-hot without frame pointers

    @Test func framePointerCallchainsLoseTheParentsOfAProgramWithout() throws {
        let target = try SampleProcess(try Samples.path("two-hot-nofp"), arguments: ["60"])
        let (folded, stderr) = try record(target.pid, ["-g", "fp"])
        #expect(folded.total > 100)
        // The leaves are there, but their callers are not: the kernel's frame-pointer walk
        // cannot find path_a/run_loop/main in code that keeps no frame pointers.
        #expect(folded.share(containing: ["hot_a"]) > 0.5)
        #expect(folded.share(containing: ["path_a", "hot_a"]) < 0.1)
        #expect(folded.share(containing: ["run_loop", "path_b", "hot_b"]) < 0.1)
        #expect(truncatedShare(folded) > 0.9, "fp stacks of nofp code are marked [truncated]")
        #expect(stderr.contains("two-hot-nofp: ") && stderr.contains("no frame pointers in this module"))
    }

    @Test(arguments: unwinders) func dwarfRecoversEveryParent(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("two-hot-nofp"), arguments: ["60"])
        let (folded, stderr) = try record(target.pid, ["-g", "dwarf", "--unwinder", unwinder])
        expectTwoHotEdges(folded)
        #expect(stderr.contains("call graph: DWARF (\(unwinder)), 8192-byte stack copies"))
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
    }

    @Test func theDefaultPicksDwarfForAProgramWithoutFramePointers() throws {
        let target = try SampleProcess(try Samples.path("two-hot-nofp"), arguments: ["60"])
        let (folded, stderr) = try record(target.pid, [])
        expectTwoHotEdges(folded)
        #expect(stderr.contains("call graph: DWARF (libdw)"))
        #expect(stderr.contains("two-hot-nofp has no frame pointers"))
    }

    /// perf and sflame record the same process at the same time; their stacks must agree frame
    /// by frame (user part, root to leaf, names normalized as `StackComparison` explains).
    @Test(arguments: unwinders) func stacksAgreeWithPerfRecordingTheSameTarget(unwinder: String) throws {
        try #require(Perf.isAvailable, "perf is not installed (tools/setup installs linux-perf)")
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot-nofp"), arguments: ["60"])
        let (folded, _) = try record(
            target.pid, ["-g", "dwarf", "--unwinder", unwinder], cpuSeconds: 2,
            perf: (dir.file("perf.data"), ["--call-graph=dwarf"]))
        let perfStacks = try Perf.scriptStacks(dir.file("perf.data"))
        let ours = StackComparison.foldedStacks(folded)
        #expect(perfStacks.values.reduce(0, +) > 300, "perf recorded too few samples")
        let oursInPerf = StackComparison.share(of: ours, foundIn: perfStacks)
        let perfInOurs = StackComparison.share(of: perfStacks, foundIn: ours)
        #expect(
            oursInPerf >= 0.95, "sflame stacks missing from perf:\n\(StackComparison.missing(ours, from: perfStacks))")
        #expect(
            perfInOurs >= 0.95, "perf stacks missing from sflame:\n\(StackComparison.missing(perfStacks, from: ours))")
    }

    /// The same bytes unwound by perf script and by sflame replay (both unwinders): one for one.
    @Test func replayingAPerfRecordingAgreesWithPerfScriptSampleForSample() throws {
        try #require(Perf.isAvailable, "perf is not installed (tools/setup installs linux-perf)")
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot-nofp"), arguments: ["60"])
        let perf = try UnblockedProcess([
            Perf.path, "record", "-q", "--call-graph=dwarf", "-F", "499", "-p", "\(target.pid)", "-o",
            dir.file("perf.data"),
        ])
        defer { kill(perf.pid, SIGKILL) }
        try waitUntil("perf opened its perf events", timeout: 60) { perfEventDescriptors(of: perf.pid) > 0 }
        let startTicks = cpuTicks(of: target.pid)
        try waitUntil("the target ran for 1.5 s", timeout: 120) { cpuTicks(of: target.pid) - startTicks >= 150 }
        kill(perf.pid, SIGINT)
        #expect([0, 130].contains(perf.waitUntilExit()), "perf record re-raises SIGINT after writing its file")
        let perfStacks = try Perf.scriptStacks(dir.file("perf.data"))
        var replayed: [String: [StackComparison.Stack: Int]] = [:]
        for unwinder in Self.unwinders {
            let out = dir.file("\(unwinder).folded")
            let r = SFlameBinary.run(["replay", dir.file("perf.data"), "--unwinder", unwinder, "-o", out])
            #expect(r.status == 0, "\(r.standardError)")
            #expect(r.standardError.contains("samples/s"))
            replayed[unwinder] = StackComparison.foldedStacks(try FoldedStacks(file: out))
            let agreement = StackComparison.multisetAgreement(perfStacks, replayed[unwinder]!)
            #expect(
                agreement >= 0.95,
                "\(unwinder) vs perf script: \(agreement)\n\(StackComparison.missing(perfStacks, from: replayed[unwinder]!))"
            )
        }
        let between = StackComparison.multisetAgreement(replayed["libdw"]!, replayed["libunwind"]!)
        #expect(between >= 0.98, "libdw vs libunwind on the same samples: \(between)")
    }

    /// Item 8 of the issue: four busy threads at 999 Hz, unwound during the recording, lose nothing.
    @Test(arguments: unwinders) func fourBusyThreadsAt999HzLoseNoSamples(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("threads"), arguments: ["60", "4"])
        let (folded, stderr) = try record(
            target.pid, ["-g", "dwarf", "--unwinder", unwinder, "--per-thread"], cpuSeconds: 4, frequency: 999)
        #expect(stderr.contains(" 0 lost."), "\(stderr)")
        #expect(folded.total > 2000)
        for i in 0..<4 {
            let share = folded.share(containing: ["start_thread", "worker_main", "spin_\(i)"])
            // Each thread is sampled (a share near a quarter); how evenly the kernel spreads four
            // busy threads over two shared cores is not sflame's doing (0.36 seen at load 7).
            #expect(abs(share - 0.25) < 0.15, "worker \(i): \(share)")
            #expect(folded.stacks.contains { $0.frames.count > 2 && $0.frames[1].hasPrefix("worker-\(i)-") })
        }
        #expect(truncatedShare(folded) < 0.02)
    }

    // MARK: deep stacks and the stack copy size

    @Test(arguments: unwinders) func aDeepRecursionReachesItsBaseWithALargeEnoughCopy(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("recursion"), arguments: ["60"])
        let (folded, _) = try record(target.pid, ["-g", "dwarf,65528", "--unwinder", unwinder], frequency: 199)
        #expect(folded.total > 50)
        let complete = folded.stacks.filter { s in
            s.frames.count > 2 && s.frames[1] == "_start" && s.frames.filter { $0 == "recurse" }.count == 300
                && s.frames.contains("leaf_work")
        }.reduce(0) { $0 + $1.weight }
        #expect(
            Double(complete) / Double(folded.total) > 0.9,
            "stacks from _start through 300 recurse frames: \(complete)/\(folded.total)")
        #expect(truncatedShare(folded) < 0.05)
    }

    @Test(arguments: unwinders) func aTooSmallCopyMarksTheRootEndAndNamesASizeThatSuffices(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("recursion"), arguments: ["60"])
        let (folded, stderr) = try record(target.pid, ["-g", "dwarf,4096", "--unwinder", unwinder], frequency: 199)
        #expect(truncatedShare(folded) > 0.9, "stacks cut at the root end are marked [truncated]")
        #expect(folded.share(containing: ["[truncated]", "recurse", "recurse"]) > 0.9)
        #expect(!folded.stacks.contains { $0.frames.contains("main") && $0.frames.contains("leaf_work") })
        // The quality report names the module and a copy size that would have sufficed.
        let line = try #require(stderr.split(separator: "\n").first { $0.contains("/recursion: ") }, "\(stderr)")
        #expect(line.contains("the stack copy (4096 bytes per sample) ended before the stack's base"))
        let suggested = try #require(
            line.components(separatedBy: "-g dwarf,").last.flatMap { Int($0.prefix { $0.isNumber }) }, "\(line)")
        #expect(suggested > 4096 && suggested <= 65528)
        // …and that size does suffice.
        let (again, _) = try record(target.pid, ["-g", "dwarf,\(suggested)", "--unwinder", unwinder], frequency: 199)
        #expect(truncatedShare(again) < 0.1, "with -g dwarf,\(suggested): \(truncatedShare(again)) truncated")
    }

    // MARK: inline frames, the vDSO, separate debug info

    @Test(arguments: unwinders) func inlinedHelpersAppearUnderTheirCallers(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("inline-cpp"), arguments: ["60"])
        let (folded, _) = try record(target.pid, ["--unwinder", unwinder])
        #expect(folded.total > 100)
        let alpha = folded.share(containing: ["main", "run_loop", "compute_alpha", "work::scale_[i]", "work::mix_[i]"])
        let beta = folded.share(containing: ["main", "run_loop", "compute_beta", "work::mix_[i]"])
        #expect(abs(alpha - 0.75) <= 0.10, "compute_alpha;work::scale_[i];work::mix_[i]: \(alpha)")
        #expect(abs(beta - 0.25) <= 0.10, "compute_beta;work::mix_[i]: \(beta)")
        #expect(folded.share(containing: ["compute_beta", "work::scale_[i]"]) == 0, "scale is never inlined into beta")
        #expect(folded.share(containing: ["work::mix"]) == 0, "inlined frames carry the _[i] marker")
    }

    @Test(arguments: unwinders) func stacksThroughTheVDSOReachTheirBase(unwinder: String) throws {
        let target = try SampleProcess(try Samples.path("clock-loop"), arguments: ["60"])
        let (folded, _) = try record(target.pid, ["-g", "dwarf", "--unwinder", unwinder])
        let inVDSO = folded.stacks.filter { $0.frames.contains("__vdso_clock_gettime") }
        let vdsoWeight = inVDSO.reduce(0) { $0 + $1.weight }
        #expect(
            Double(vdsoWeight) / Double(max(folded.total, 1)) > 0.3,
            "samples in the vDSO, named: \(vdsoWeight)/\(folded.total)")
        #expect(!folded.stacks.contains { $0.frames.contains("[vdso]") })
        let complete = inVDSO.filter {
            $0.frames.count > 1 && $0.frames[1] == "_start" && $0.frames.contains("poll_clock")
        }
        #expect(
            complete.reduce(0) { $0 + $1.weight } >= vdsoWeight * 9 / 10, "vDSO stacks reach _start through poll_clock")
    }

    @Test func separateDebugInfoIsFoundThroughDebuglinkAndBuildID() throws {
        let stripped = try Samples.path("two-hot-stripped")
        let store = Samples.buildDirectory.appendingPathComponent("debug-store").path
        let target = try SampleProcess(stripped, arguments: ["60"])

        // Without the debug file only the module's name is known, but CFI still reaches _start.
        let (bare, bareErr) = try record(target.pid, [])
        #expect(bare.share(containing: ["hot_a"]) == 0)
        #expect(bare.share(containing: ["[two-hot-stripped]"]) > 0.9)
        #expect(truncatedShare(bare) < 0.03, "\(bareErr)")

        // .gnu_debuglink found under --debuginfo-path.
        let (linked, _) = try record(target.pid, ["--debuginfo-path", store])
        expectTwoHotEdges(linked)

        // The build-id path: only DIR/.build-id/xx/rest.debug exists.
        let dir = try TemporaryDirectory()
        let id = try buildID(of: stripped)
        let idDir = dir.url.appendingPathComponent(".build-id/\(id.prefix(2))")
        try FileManager.default.createDirectory(at: idDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: "\(store)/two-hot-stripped.debug",
            toPath: idDir.appendingPathComponent("\(id.dropFirst(2)).debug").path)
        let (byID, _) = try record(target.pid, ["--debuginfo-path", dir.path])
        expectTwoHotEdges(byID)
    }

    @Test func badCallGraphArgumentsAreRefused() throws {
        for (argument, message) in [
            ("dwarf,70000", "between 8 and 65528"), ("dwarf,abc", "invalid stack copy size"),
            ("frames", "use fp, dwarf"),
        ] {
            let r = SFlameBinary.run(["record", "-g", argument, "--", "/bin/true"])
            #expect(r.status != 0 && r.status != 1, "-g \(argument): exit \(r.status)")
            #expect(r.standardError.contains(message), "-g \(argument): \(r.standardError)")
        }
    }

    /// The GNU build-id of an ELF file, in hex (`readelf -n`).
    func buildID(of path: String) throws -> String {
        let r = ProcessRunner.run("/usr/bin/readelf", ["-n", path])
        guard let line = r.standardOutput.split(separator: "\n").first(where: { $0.contains("Build ID:") }),
            let id = line.split(separator: " ").last
        else { throw SampleError("no build-id in \(path)") }
        return String(id)
    }
}
