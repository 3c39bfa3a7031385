// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import SFlameProfile
import SFlameRecord
import SFlameRender
import SFlameSampling

#if canImport(Glibc)
import Glibc
#endif

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a CPU profile of running processes or of a command.",
        discussion: """
            Attaches to every thread of the target (and threads it starts while recording) with \
            perf_event_open, samples call stacks at the given frequency, and writes a flame graph \
            and/or folded stacks. The perf sampler never stops or signals the target. Ctrl-C or SIGTERM end \
            the recording and still write the output; so does the target exiting.

            Where threads wait: --off-cpu adds the time threads spend off the CPU (the \
            sched:sched_switch tracepoint; never stops the target), weighted in nanoseconds, with \
            a leaf naming the wait ([sleeping], [disk], [runnable]…). --sampler ptrace records a \
            wall-clock profile instead: it stops each thread briefly per sample (PTRACE_INTERRUPT), \
            unwinds its live stack and resumes it, and reports the stop cost per thread and per \
            sample at the end; it always detaches (also on Ctrl-C, SIGTERM and target exit). When \
            perf_event_open is refused (EACCES, EPERM, ENOSYS, seccomp), record falls back to it.

            Examples:
              sflame record --pid 4242 --duration 10 -o cpu.svg
              sflame record -F 999 -o out.svg -o out.folded -- ./my-server --port 8080
              sflame record --off-cpu --pid 4242 -d 10 -o waits.svg
              sflame record --sampler ptrace --pid 4242 -d 10 -o wall.svg
              sflame record -a -d 5 --no-idle --per-process -o all.folded
              sflame record --follow-forks --per-process -o workers.svg -- ./prefork-server
            """
    )

    // `.unconditional` on the numeric options: a negative value ("-d -1") is taken as the value and
    // rejected by validate() with what is expected, not read as an unknown option ("missing value").
    @Option(name: [.short, .customLong("pid")], parsing: .unconditional, help: ArgumentHelp("Processes to profile (comma-separated PIDs).", valueName: "PID[,PID…]"))
    var pids: PIDList?

    @Flag(name: [.short, .customLong("all-cpus")], help: "Record every process on every CPU (system-wide, like perf record -a), each under its own root frame; the idle task is the swapper root.")
    var allCPUs = false

    @Flag(name: .long, help: "Also profile the processes the target forks or execs while recording, each under its own root frame (its name; name-PID with --per-process).")
    var followForks = false

    @Flag(name: .long, help: "Make each process's root frame name-PID instead of its name (processes with one name, forked workers, -a).")
    var perProcess = false

    @Flag(name: .long, help: "With -a: leave out the idle task's samples (CPUs with nothing to run).")
    var noIdle = false

    @Option(name: [.customShort("F"), .customLong("frequency")], parsing: .unconditional, help: "Samples per second per thread.")
    var frequency: Int = 99

    @Option(name: [.short, .long], parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds (default: until the target exits or Ctrl-C).", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: [.short, .long], help: "The sampling event: cpu-clock, task-clock, page-faults, or a hardware event (cycles, instructions…; falls back to cpu-clock where unsupported).")
    var event: String = "cpu-clock"

    @Option(
        name: [.customShort("g"), .customLong("call-graph")],
        help: ArgumentHelp(
            "How user stacks are recovered: fp (frame pointers, the kernel's callchain), dwarf[,BYTES] (copy BYTES of "
                + "stack per sample, default 8192, max 65528, and unwind it with CFI), or auto: DWARF when a module of "
                + "the target lacks frame pointers (most distribution libraries, Debian's libc included), else fp.",
            valueName: "fp|dwarf[,BYTES]|auto"))
    var callGraph = CallGraphArgument(.default)

    @Option(name: .long, help: "The CFI unwinder for DWARF stacks: libdw (elfutils) or libunwind.")
    var unwinder: DwarfUnwinder = .libdw

    @Flag(name: .long, help: "Put each thread (name-tid) under its process in the folded stacks and the flame graph.")
    var perThread = false

    @Option(name: .long, help: ArgumentHelp("The sampler: perf (perf_event_open, on-CPU, never stops the target) or ptrace (stops each thread briefly per sample: a wall-clock profile that shows waiting threads; threads blocked where they were are not stopped again; the stop cost is reported, typically 40-100 µs held per stopped thread). perf falls back to ptrace when perf_event_open is refused.", valueName: "perf|ptrace"))
    var sampler: Sampler = .perf

    @Flag(name: .long, help: "Also record where threads wait off the CPU (sched:sched_switch), weighted in nanoseconds beside the on-CPU time; waits end in [sleeping], [disk], [runnable]….")
    var offCPU = false

    @Flag(name: .long, help: "Sample user space only (needed without privileges at kernel.perf_event_paranoid ≥ 2).")
    var noKernel = false

    @Option(name: .long, help: ArgumentHelp("An extra directory to search for separate debug info, by build-id (DIR/.build-id/xx/….debug) and .gnu_debuglink name, before /usr/lib/debug (repeatable). With DEBUGINFOD_URLS set, missing debug files are also downloaded.", valueName: "DIR"))
    var debuginfoPath: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file; the extension picks the format: .svg (flame graph), .folded or .txt (folded stacks), .pb.gz or .pprof (pprof), .speedscope.json (speedscope). Repeatable. Default: sflame.svg.", valueName: "FILE"))
    var outputs: [String] = []

    @Option(name: .long, help: "The flame graph's title.")
    var title: String?

    @Flag(name: .long, help: "No progress line on the terminal.")
    var quiet = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("A command to launch and profile, after --.", valueName: "CMD ARGS"))
    var command: [String] = []

    func validate() throws {
        let targetCount = (pids == nil ? 0 : 1) + (command.isEmpty ? 0 : 1) + (allCPUs ? 1 : 0)
        if targetCount == 0 {
            throw ValidationError("Give a target: --pid PID[,PID…], -a (every process), or -- CMD ARGS.")
        }
        if targetCount > 1 {
            throw ValidationError("Give one target: --pid, -a, or a command after --.")
        }
        if noIdle && !allCPUs {
            throw ValidationError("--no-idle applies to system-wide recordings (-a).")
        }
        if frequency < 1 || frequency > 100_000 {
            throw ValidationError("--frequency must be between 1 and 100000 Hz (got \(frequency)).")
        }
        if let error = callGraph.error { throw ValidationError(error) }
        if let duration, !(duration > 0) {
            throw ValidationError("--duration must be a positive number of seconds (got \(duration)).")
        }
        if EventSource(name: event) == nil {
            throw ValidationError(
                "Unknown event '\(event)'. Use cpu-clock, task-clock, page-faults, cycles, instructions, "
                    + "cache-references, cache-misses, branches or branch-misses.")
        }
        for path in resolvedOutputs {
            _ = try OutputFormat(path: path)
            try OutputFile.validateWritable(path)
        }
    }

    private var resolvedOutputs: [String] { outputs.isEmpty ? ["sflame.svg"] : outputs }

    func run() throws {
        let target: RecordOptions.Target =
            allCPUs ? .systemWide : command.isEmpty ? .processes(pids!.values) : .command(command)
        var options = RecordOptions(
            target: target, event: EventSource(name: event)!, frequencyHz: UInt64(frequency), durationSeconds: duration,
            includeKernel: !noKernel, debugInfoPaths: debuginfoPath)
        options.callGraph = callGraph.value
        options.unwinder = unwinder
        options.commandExecutablePath = command.first.flatMap(CommandPath.resolve)
        options.sampler = sampler
        options.offCPU = offCPU
        options.followForks = followForks
        options.includesIdle = !noIdle
        let recorder = Recorder(options: options)
        let display = ProgressLine(enabled: !quiet && isatty(2) != 0)
        let recording: Recording
        do {
            // Without the progress line (stderr is not a terminal: a log, a CI job), one line says
            // when sampling has begun: the events are enabled once set-up is done.
            var announced = quiet || display.enabled
            recording = try recorder.run { progress in
                if !announced {
                    announced = true
                    Diagnostics.notice("recording; Ctrl-C or SIGTERM ends it and writes the output.")
                }
                display.update(progress)
            }
        } catch {
            display.clear()
            Diagnostics.error(error.description)
            throw error.kind == .permissionDenied ? SFlameExit.permissionDenied : SFlameExit.failure
        }
        display.clear()
        for notice in recording.notices { Diagnostics.notice(notice) }
        RecordingSummary.print(recording)
        if recording.stats.samples == 0 {
            Diagnostics.warning(
                "no samples were recorded; the target may have been idle (cpu-clock samples on-CPU time only: "
                    + "use --off-cpu or --sampler ptrace to see where it waits).")
        }

        var written: [String] = []
        var failed = false
        for path in resolvedOutputs {
            do {
                try writeOutput(recording.profile, to: path)
                written.append(path)
            } catch {
                Diagnostics.error("could not write \(path): \(error)")
                failed = true
            }
        }
        if !written.isEmpty { Diagnostics.notice("wrote \(written.joined(separator: ", "))") }

        if case .command = target {
            let status = recording.commandExit ?? waitForCommand(recorder)
            if let status { throw ExitCode(status.shellCode) }
        }
        if failed { throw SFlameExit.failure }
    }

    private func waitForCommand(_ recorder: Recorder) -> ChildExitStatus? {
        if let pid = recorder.commandPID {
            Diagnostics.notice("recording stopped; waiting for the command (PID \(pid)) to exit. Ctrl-C stops waiting without signalling it.")
        }
        return recorder.waitForCommand()
    }

    private func writeOutput(_ profile: Profile, to path: String) throws {
        let fold = FoldOptions(perThread: perThread)
        switch try OutputFormat(path: path) {
        case .folded:
            try OutputFile.write(profile.folded(options: fold, processIDs: perProcess).text(), to: path, sync: true)
        case .svg:
            var options = FlameGraphOptions()
            options.title = title ?? defaultTitle(profile)
            options.subtitle = subtitle(profile)
            options.countName = countName(profile)
            let graph = try FlameGraph.render(profile.folded(options: fold, processIDs: perProcess), options: options)
            try OutputFile.write(graph.svg, to: path, sync: true)
        case .pprof(let compressed):
            try OutputFile.write(compressed ? profile.pprofGzip() : profile.pprofBytes(), to: path, sync: true)
        case .speedscope:
            try OutputFile.write(Speedscope.write(profile, name: subtitle(profile), exporter: "sflame"), to: path, sync: true)
        }
    }
}

extension RecordCommand {
    /// "two-hot (PID 4242) · cpu-clock at 99 Hz · 5.0 s"
    fileprivate func subtitle(_ profile: Profile) -> String {
        let seconds = formatSeconds(Double(profile.durationNanos) / 1e9)
        let target =
            allCPUs
            ? "all CPUs" : command.isEmpty ? "PID \(pids?.values.map(String.init).joined(separator: ",") ?? "")" : command.joined(separator: " ")
        return "\(target) · \(samplingDescription(profile)) · \(seconds)"
    }
}

/// A comma-separated PID list.
struct PIDList: ExpressibleByArgument {
    var values: [Int32]
    init?(argument: String) {
        let parts = argument.split(separator: ",")
        let values = parts.compactMap { Int32($0.trimmingCharacters(in: " ")) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
        // A PID given twice is one target (threads of one process are merged by the recorder).
        var seen = Set<Int32>()
        self.values = values.filter { seen.insert($0).inserted }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
