// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// `sflame record` on real-world targets: deleted and replaced binaries, JIT code with perf maps,
/// forking parents, system-wide recording, dlopen'ed plugins, and Rust and Swift programs.
@Suite(.serialized) struct RealWorldTests {
    /// Records and returns the folded stacks and sflame's stderr.
    func record(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> (
        FoldedStacks, String
    ) {
        let dir = try TemporaryDirectory()
        let output = dir.file("out.folded")
        let result = SFlameBinary.run(["record", "-F", "499", "-o", output] + arguments)
        #expect(result.status == 0, "\(result.standardError)", sourceLocation: sourceLocation)
        return (try FoldedStacks(file: output), result.standardError)
    }

    // MARK: Deleted and replaced binaries

    @Test func aBinaryThatDeletedItselfIsSymbolizedFromTheMappedFile() throws {
        let dir = try TemporaryDirectory()
        let copy = dir.file("self-delete")
        try copyExecutable(try Samples.path("self-delete"), to: copy)
        let target = try SampleProcess(copy, arguments: ["60"])
        #expect(!FileManager.default.fileExists(atPath: copy))
        let maps = try String(contentsOfFile: "/proc/\(target.pid)/maps", encoding: .utf8)
        #expect(maps.contains("\(copy) (deleted)"))

        let (folded, stderr) = try record(["--pid", "\(target.pid)", "-d", "2"])
        #expect(folded.total > 100)
        #expect(folded.share(containing: ["main", "survivor_loop", "deleted_hot"]) > 0.9, "\(folded.stacks.prefix(5))")
        #expect(stderr.contains("was deleted while PID \(target.pid) runs it"))
        #expect(stderr.contains("/proc/\(target.pid)/map_files/"))
    }

    @Test func aBinaryReplacedByAnotherBuildIsNeverNamedFromTheNewFile() throws {
        let dir = try TemporaryDirectory()
        let copy = dir.file("self-delete")
        try copyExecutable(try Samples.path("self-delete"), to: copy)
        // The upgrade: another program renamed over the running one's path.
        let replacement = dir.file("replacement")
        try copyExecutable(try Samples.path("two-hot"), to: replacement)
        let target = try SampleProcess(copy, arguments: ["--replace-with", replacement, "60"])
        #expect(FileManager.default.fileExists(atPath: copy), "the new build is at the path")

        let (folded, stderr) = try record(["--pid", "\(target.pid)", "-d", "2"])
        #expect(folded.share(containing: ["main", "survivor_loop", "deleted_hot"]) > 0.9, "\(folded.stacks.prefix(5))")
        let names = Set(folded.stacks.flatMap(\.frames))
        for name in ["hot_a", "hot_b", "path_a", "path_b", "run_loop"] {
            #expect(!names.contains(name), "\(name) comes from the replacement file")
        }
        #expect(stderr.contains("/proc/\(target.pid)/map_files/"))
    }

    // MARK: JIT code

    @Test(arguments: ["fp", "dwarf"])
    func jitCodeIsNamedFromThePerfMap(callGraph: String) throws {
        let target = try SampleProcess(try Samples.path("jit"), arguments: ["60"])
        let map = "/tmp/perf-\(target.pid).map"
        defer { try? FileManager.default.removeItem(atPath: map) }
        #expect(FileManager.default.fileExists(atPath: map))

        let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "2", "-g", callGraph])
        let a = folded.share(containing: ["run_jit", "call_a", "jit_hot_a_[j]"])
        let b = folded.share(containing: ["run_jit", "call_b", "jit_hot_b_[j]"])
        #expect(folded.total > 200, "too few samples: \(folded.total)")
        #expect(abs(a - 0.75) <= 0.10 && abs(b - 0.25) <= 0.10, "jit_hot_a \(a), jit_hot_b \(b)")
        if callGraph == "dwarf" {
            // The unwinder crosses the generated code (it keeps a frame pointer) back into main.
            #expect(folded.share(containing: ["_start", "__libc_start_main", "__libc_start_call_main", "main", "run_jit"]) > 0.9)
        }

        // Without the map the same code has no names.
        try FileManager.default.removeItem(atPath: map)
        let (bare, _) = try record(["--pid", "\(target.pid)", "-d", "1", "-g", callGraph])
        #expect(!bare.stacks.contains { $0.frames.contains("jit_hot_a_[j]") })
        #expect(bare.share(containing: ["run_jit", "call_a"]) > 0.5)
    }

    static let node = Executables.find("node") ?? Executables.find("nodejs")

    @Test(
        "node --perf-basic-prof: JavaScript functions are _[j] frames",
        .enabled(if: node != nil, "node is not installed (apt install nodejs)"))
    func nodePerfBasicProf() throws {
        let dir = try TemporaryDirectory()
        let script = dir.file("hot.js")
        try """
        function fibonacci(n) { return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2); }
        function spin() { let total = 0; for (let i = 0; i < 50; i++) total += fibonacci(22); return total; }
        console.log("ready");
        const end = Date.now() + 60000;
        let sum = 0;
        while (Date.now() < end) sum += spin();
        console.log(sum);
        """.write(toFile: script, atomically: true, encoding: .utf8)
        // V8 logs code events to a file of its own with --perf-basic-prof; kept in the temporary directory.
        let target = try SampleProcess(
            Self.node!,
            arguments: ["--perf-basic-prof", "--no-logfile-per-isolate", "--logfile=\(dir.file("v8.log"))", script])
        defer { try? FileManager.default.removeItem(atPath: "/tmp/perf-\(target.pid).map") }
        // V8 keeps frame pointers in its generated code; node itself is unwound with CFI either way.
        let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "2", "-g", "fp"])
        let jsFrames = folded.stacks.filter { $0.frames.contains { $0.contains("fibonacci") && $0.hasSuffix("_[j]") } }
        let share = Double(jsFrames.reduce(0) { $0 + $1.weight }) / Double(max(folded.total, 1))
        #expect(share > 0.5, "JS frames in \(share) of the samples: \(folded.stacks.prefix(3))")
        #expect(jsFrames.contains { $0.frames.contains { $0.contains("spin") && $0.hasSuffix("_[j]") } })
    }

    // MARK: Forked and exec'd children

    @Test func childrenForkedDuringTheRecordingGetTheirOwnRoots() throws {
        let parent = try SampleProcess(try Samples.path("forker"), arguments: ["60", "150"])
        let (folded, stderr) = try record([
            "--pid", "\(parent.pid)", "-d", "3", "--follow-forks", "--per-process",
        ])
        let forked = folded.stacks.filter { $0.frames.suffix(3) == ["run_parent", "fork_worker", "forked_spin"] }
        let execd = folded.stacks.filter { $0.frames.suffix(2) == ["exec_worker_main", "exec_spin"] }
        #expect(!forked.isEmpty && !execd.isEmpty, "\(folded.stacks.prefix(6))")
        // One root per child, `forker-PID`, never the parent's (it only waits).
        let roots = Set((forked + execd).map { $0.frames[0] })
        #expect(roots.count >= 3, "\(roots)")
        #expect(roots.allSatisfy { $0.hasPrefix("forker-") && $0 != "forker-\(parent.pid)" })
        #expect(Set(forked.map { $0.frames[0] }).isDisjoint(with: execd.map { $0.frames[0] }))
        // Every stack of a child is under its own root: no stack mixes two processes.
        #expect(folded.stacks.allSatisfy { $0.frames.dropFirst().allSatisfy { !$0.hasPrefix("forker-") } })
        let workShare = Double((forked + execd).reduce(0) { $0 + $1.weight }) / Double(folded.total)
        #expect(workShare > 0.8, "\(workShare)")
        #expect(stderr.contains("processes"))

        // Without --follow-forks only the parent is profiled: it hardly runs.
        let (parentOnly, _) = try record(["--pid", "\(parent.pid)", "-d", "1"])
        #expect(!parentOnly.stacks.contains { $0.frames.contains("forked_spin") || $0.frames.contains("exec_spin") })
    }

    @Test func aLaunchedCommandsChildrenAreFollowed() throws {
        let (folded, _) = try record(["--follow-forks", "--", try Samples.path("forker"), "2", "100"])
        #expect(folded.share(containing: ["fork_worker", "forked_spin"]) > 0.25)
        #expect(folded.share(containing: ["exec_worker_main", "exec_spin"]) > 0.25)
        #expect(folded.stacks.allSatisfy { $0.frames[0] == "forker" }, "the root is the name without --per-process")
    }

    // MARK: System-wide

    @Test(.enabled(if: getuid() == 0, "system-wide recording needs root"))
    func systemWideRecordsEveryProcessUnderItsOwnRoot() throws {
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["60"])
        // Frame pointers here (two-hot has them): no stack copies of every process to unwind, so
        // enough samples of two-hot for its split on a busy machine. The DWARF run is below.
        // The CPUs' idle time is counted while sflame's events are open (not while it starts or
        // symbolizes), to know whether the idle task had to be sampled.
        let dir = try TemporaryDirectory()
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        recorder.arguments = [
            "record", "-F", "499", "-a", "-d", "2", "--per-process", "-g", "fp", "-o", dir.file("out.folded"),
        ]
        let errors = Pipe()
        recorder.standardError = errors
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        // Idle time is counted for 1.2 s from the line that says sampling has begun (the events are
        // enabled then; not while sflame starts, drains or symbolizes), well inside the 2 s.
        var head = Data()
        while !String(decoding: head, as: UTF8.self).contains("recording;") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            head.append(chunk)
        }
        let idleBefore = systemIdleTicks()
        usleep(1_200_000)
        let idleTicks = systemIdleTicks() - idleBefore
        let stderr = String(decoding: head + errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("recording; Ctrl-C or SIGTERM ends it"), "\(stderr)")
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0, "\(stderr)")
        let folded = try FoldedStacks(file: dir.file("out.folded"))
        let root = "two-hot-\(target.pid)"
        let mine = folded.stacks.filter { $0.frames[0] == root }
        #expect(!mine.isEmpty, "no stacks under \(root)")
        let a = mine.filter { $0.frames.contains("hot_a") }.reduce(0) { $0 + $1.weight }
        let b = mine.filter { $0.frames.contains("hot_b") }.reduce(0) { $0 + $1.weight }
        #expect(a + b > 50)
        #expect(abs(Double(a) / Double(a + b) - 0.75) <= 0.10, "hot_a \(a), hot_b \(b)")
        let roots = Set(folded.stacks.map { $0.frames[0] })
        #expect(roots.count >= 2, "\(roots)")
        #expect(stderr.contains("processes"))
        // The idle task appears when a CPU was idle long enough to be sampled (this machine is
        // busy). Required only when the CPUs were idle for half of the 1.2 s window: once, with
        // the whole suite running beside it, 55 ticks (0.55 s) went by without an idle sample,
        // which a quiet machine never showed (1,006 swapper-0 samples in 2 s).
        let idle = folded.stacks.filter { $0.frames[0] == "swapper-0" }
        if idleTicks >= 120 {
            #expect(!idle.isEmpty, "\(idleTicks) idle ticks but no swapper stacks; roots: \(roots.sorted())")
        }
        #expect(idle.allSatisfy { $0.frames.dropFirst().allSatisfy { $0.hasSuffix("_[k]") } })

        let (busyOnly, dwarfStderr) = try record(["-a", "-d", "1", "--no-idle", "-F", "199"])
        #expect(dwarfStderr.contains("call graph: DWARF"))
        #expect(!busyOnly.stacks.contains { $0.frames[0] == "swapper" })
        #expect(busyOnly.share(containing: ["two-hot", "_start", "__libc_start_main", "__libc_start_call_main", "main"]) > 0)
    }

    // MARK: dlopen

    @Test func aPluginLoadedAfterTheRecordingStartsIsSymbolized() throws {
        let host = try SampleProcess(
            try Samples.path("plugin-host"), arguments: [try Samples.path("libsflame-plugin.so"), "60"])
        let dir = try TemporaryDirectory()
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        recorder.arguments = ["record", "--pid", "\(host.pid)", "-F", "499", "-d", "3", "-o", dir.file("out.folded")]
        recorder.standardError = FileHandle.nullDevice
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        try waitUntil("sflame opened its perf events") { perfEventDescriptors(of: recorder.processIdentifier) > 0 }
        let maps = try String(contentsOfFile: "/proc/\(host.pid)/maps", encoding: .utf8)
        #expect(!maps.contains("libsflame-plugin.so"), "loaded before the recording started")
        kill(host.pid, SIGUSR1)
        try host.waitForLine("loaded")
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)
        let folded = try FoldedStacks(file: dir.file("out.folded"))
        #expect(folded.share(containing: ["main", "run_plugin", "plugin_run", "plugin_hot"]) > 0.5)
    }

    // MARK: Rust and Swift

    @Test(
        "Rust, legacy and v0 manglings: demangled by libiberty, legacy hashes dropped",
        .enabled(if: OptionalSamples.rustc != nil, "rustc is not installed (apt install rustc, or rustup)"))
    func rustManglings() throws {
        let legacy = try OptionalSamples.path("rust-legacy", makeTarget: "rust")
        let v0 = try OptionalSamples.path("rust-v0", makeTarget: "rust")
        // The binaries carry the manglings they are meant to.
        let legacySymbols = ProcessRunner.run("/usr/bin/nm", [legacy]).standardOutput
        let v0Symbols = ProcessRunner.run("/usr/bin/nm", [v0]).standardOutput
        #expect(legacySymbols.contains("_ZN4spin14Mixer$LT$T$GT$5churn17h"))
        #expect(v0Symbols.contains("_RNvMCs") && v0Symbols.contains("5MixermE5churn"))

        let expectations: [(String, [String], [String])] = [
            (v0, ["spin::run", "spin::drive::<spin::run::{closure#0}>"], ["<spin::Mixer<u32>>::churn"]),
            (legacy, ["spin::run", "spin::drive"], ["spin::Mixer<T>::churn"]),
        ]
        for (program, parents, hot) in expectations {
            let target = try SampleProcess(program, arguments: ["60"])
            let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "2"])
            let churn = folded.stacks.filter { s in
                s.frames.contains(hot[0]) && parents.allSatisfy { s.frames.contains($0) }
            }.reduce(0) { $0 + $1.weight }
            let work = folded.weight(containing: ["spin::main", "spin::run", "<spin::Squarer as spin::Work>::work"])
            #expect(abs(Double(churn) / Double(folded.total) - 0.75) <= 0.12, "\(program): churn \(churn) of \(folded.total)")
            #expect(abs(Double(work) / Double(folded.total) - 0.25) <= 0.12, "\(program): work \(work) of \(folded.total)")
            let frames = Set(folded.stacks.flatMap(\.frames))
            #expect(!frames.contains { $0.hasPrefix("_R") || $0.hasPrefix("_ZN") }, "mangled names left")
            #expect(!frames.contains { $0.range(of: "::h[0-9a-f]{16}", options: .regularExpression) != nil }, "hashes left")
        }
    }

    @Test(
        "Swift generics and closures are demangled by the Swift runtime",
        .enabled(if: OptionalSamples.swiftc != nil, "swiftc is not installed"))
    func swiftGenericsAndClosures() throws {
        let program = try OptionalSamples.path("swift-generics", makeTarget: "swift")
        let target = try SampleProcess(program, arguments: ["60"])
        let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "2"])
        let drive =
            "swift_generics.drive<A where A: Swift.FixedWidthInteger>(_: A, rounds: Swift.Int, body: "
            + "(inout swift_generics.Accumulator<A>, Swift.Int) -> ()) -> A"
        let runRounds = "swift_generics.runRounds(seconds: Swift.Double) -> Swift.UInt64"
        let mix = folded.weight(containing: [
            runRounds, drive,
            "closure #1 (inout swift_generics.Accumulator<Swift.UInt64>, Swift.Int) -> () in \(runRounds)",
            "swift_generics.Accumulator.mix(Swift.Int) -> ()",
        ])
        let fold = folded.weight(containing: [
            runRounds, drive,
            "closure #2 (inout swift_generics.Accumulator<Swift.UInt32>, Swift.Int) -> () in \(runRounds)",
            "swift_generics.Accumulator.fold(Swift.Int) -> ()",
        ])
        #expect(folded.total > 200)
        #expect(abs(Double(mix) / Double(folded.total) - 0.75) <= 0.12, "mix \(mix) of \(folded.total)")
        #expect(abs(Double(fold) / Double(folded.total) - 0.25) <= 0.12, "fold \(fold) of \(folded.total)")
        #expect(!folded.stacks.flatMap(\.frames).contains { $0.hasPrefix("$s") }, "mangled Swift names left")
    }

    @Test("C++ class templates, lambdas and ABI tags are demangled by the C++ runtime")
    func cxxTemplatesLambdasAndABITags() throws {
        let target = try SampleProcess(try Samples.path("cpp-names"), arguments: ["60"])
        let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "2"])
        let weigh = folded.share(containing: ["main", "run_loop", "shop::Basket<unsigned long>::weigh"])
        let lambda = folded.share(containing: ["main", "run_loop", "run_loop(double)::{lambda(int)#1}::operator()"])
        let label = folded.share(containing: ["main", "run_loop", "shop::label[abi:cxx11]"])
        #expect(folded.total > 200, "too few samples: \(folded.total)")
        #expect(abs(weigh - 0.50) <= 0.12, "weigh \(weigh): \(folded.stacks.prefix(4))")
        #expect(abs(lambda - 0.25) <= 0.12, "lambda \(lambda): \(folded.stacks.prefix(4))")
        #expect(abs(label - 0.25) <= 0.12, "label \(label): \(folded.stacks.prefix(4))")
        #expect(!folded.stacks.flatMap(\.frames).contains { $0.hasPrefix("_Z") }, "mangled C++ names left")
    }

    // MARK: Symbol versions

    @Test func functionNamesDropELFSymbolVersions() throws {
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["60"])
        let (folded, _) = try record(["--pid", "\(target.pid)", "-d", "1"])
        #expect(folded.share(containing: ["_start", "__libc_start_main", "__libc_start_call_main", "main"]) > 0.9)
        #expect(!folded.stacks.flatMap(\.frames).contains { $0.contains("@") })
    }
}
