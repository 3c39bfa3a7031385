// SPDX-License-Identifier: Apache-2.0
//
// `sflame mem`: where a live process's memory goes.
//
//   sflame mem --pid 4242 -d 60 -o mem.svg -o mem.json        # /proc timeline + growth analysis
//   sflame mem --pid 4242 --alloc -d 10 -o alloc.svg          # allocations by call stack (uprobes)
//   sflame mem --pid 4242 --leaks -d 30 -o leaks.svg          # what stays allocated, by call stack
//   sflame mem --pid 4242 --page-faults -o faults.svg         # where memory is first touched
import ArgumentParser
import SFlameMemory
import SFlameRecord
import SFlameSampling

#if canImport(Glibc)
    import Glibc
#endif

struct MemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mem",
        abstract:
            "Show where a process's memory goes: a /proc timeline with growth analysis, or allocation, leak and page-fault flame graphs.",
        discussion: """
            Without a mode, samples /proc/PID/status and smaps_rollup every --interval (and smaps per \
            mapping every --smaps-every intervals), prints peak, final and growth rate (least squares, \
            with R²) and a verdict (steady, growing, shrinking, suspected leak), and writes a chart \
            (.svg), the readings (.csv) or both with the analysis (.json). Nothing is attached to the \
            target: it is only read from /proc.

            --alloc places uprobes on the allocator the process uses (its C library, or jemalloc, \
            tcmalloc… when one is linked in): every malloc, calloc, realloc, posix_memalign, \
            aligned_alloc, memalign, valloc and pvalloc is sampled with its size and call stack. \
            Output: a flame graph weighted by bytes (--weight bytes) or calls (--weight count); \
            pprof sample types alloc_space/bytes and alloc_objects/count. Each probe is defined once \
            in tracefs (uprobe_events, group sflame_PID) and shared by every thread, so stopping is \
            quick; without root the uprobe PMU is used instead (needs CAP_PERFMON), and stopping \
            takes about 0.1 s per probe per thread.

            --leaks adds return probes (for the addresses returned) and probes on free, and reports \
            what was allocated while recording and is still allocated at the end, per call stack \
            (inuse_space/bytes, inuse_objects/count).

            Overhead (tools/bench-mem, a 2-core VM): every probed call traps into the kernel. With \
            --alloc an allocation costs the target about 4.6 µs of CPU (perf record on perf-probe \
            uprobes: 4.1 µs); with --leaks an allocate/free pair costs about 28 µs (entry, return \
            and free traps). A service making 10,000 allocations per second spends about 5 % of a \
            core more with --alloc and 28 % with --leaks; redis-server under redis-benchmark served \
            about 1/6 of its SET throughput with --alloc and 1/11 with --leaks. Profile for seconds. \
            The timeline costs about 1 % of a core at 10 Hz on a process with 1,000 mappings (the \
            kernel's walk of the mappings for smaps_rollup, mostly); --interval 200ms halves it.

            --page-faults samples the page-faults software event with user call stacks: where the \
            process first touches memory, whatever allocator it uses.

            The target is never stopped or signalled; probes are removed when sflame ends, however \
            it ends. Ctrl-C, SIGTERM or the target exiting end the run and the outputs are written.

            Examples:
              sflame mem --pid 4242 -d 60 -o mem.svg -o mem.json
              sflame mem --interval 500ms -o mem.csv -- ./my-server --port 8080
              sflame mem --pid 4242 --alloc -d 10 -o alloc.svg
              sflame mem --pid 4242 --leaks -d 30 -o leaks.svg -o leaks.folded
            """
    )

    // `.unconditional` on the numeric options: a negative value ("-d -1") is taken as the value and
    // rejected by validate() with what is expected, not read as an unknown option ("missing value").
    @Option(name: [.short, .customLong("pid")], parsing: .unconditional, help: ArgumentHelp("The process to watch.", valueName: "PID"))
    var pid: Int32?

    @Option(parsing: .unconditional, help: ArgumentHelp("Time between /proc readings, with a unit: 100ms, 0.5s, 2s.", valueName: "DURATION"))
    var interval: IntervalArgument = IntervalArgument(seconds: 0.1)

    @Option(
        name: [.short, .long], parsing: .unconditional,
        help: ArgumentHelp(
            "Stop after this many seconds (default: until the target exits or Ctrl-C).", valueName: "SECONDS"))
    var duration: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Read /proc/PID/smaps (per-mapping detail) every N intervals at most.", valueName: "N"))
    var smapsEvery = 10

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Share of one core the smaps readings may use, in percent; for processes with many mappings they are "
                + "spaced further apart than --smaps-every to stay within it (100 disables the back-off).",
            valueName: "PERCENT"))
    var smapsCpuBudget = 0.25

    @Flag(help: "Profile allocations by call stack (uprobes on the allocator functions).")
    var alloc = false

    @Flag(help: "Profile what stays allocated by call stack (return probes and probes on free as well).")
    var leaks = false

    @Flag(help: "Profile page faults by call stack: where memory is first touched.")
    var pageFaults = false

    @Option(help: "What the allocation flame graph weighs: bytes or count (calls).")
    var weight: WeightArgument = .bytes

    @Option(
        name: [.customShort("c"), .customLong("period")], parsing: .unconditional,
        help: ArgumentHelp("Page faults per sample (--page-faults); 1 records every fault.", valueName: "N"))
    var period: Int = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Stacks to list in the report.", valueName: "N"))
    var top = 10

    @Option(
        name: .long,
        help: ArgumentHelp("An extra directory to search for separate debug info (repeatable).", valueName: "DIR"))
    var debuginfoPath: [String] = []

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp(
            "Output file, repeatable; the extension picks the format. Timeline: .svg (chart), .json (readings and analysis), .csv (readings). --alloc, --leaks, --page-faults: .svg (flame graph), .folded or .txt (folded stacks). Default: sflame-mem.svg, sflame-alloc.svg, sflame-leaks.svg or sflame-faults.svg.",
            valueName: "FILE"))
    var outputs: [String] = []

    @Option(help: "The chart's or flame graph's title.")
    var title: String?

    @Flag(help: "No progress line on the terminal.")
    var quiet = false

    @Argument(
        parsing: .postTerminator, help: ArgumentHelp("A command to launch and watch, after --.", valueName: "CMD ARGS"))
    var command: [String] = []

    enum Mode {
        case timeline, allocations, leaks, pageFaults
    }

    var mode: Mode {
        if leaks { return .leaks }
        if alloc { return .allocations }
        if pageFaults { return .pageFaults }
        return .timeline
    }

    var resolvedOutputs: [String] {
        if !outputs.isEmpty { return outputs }
        switch mode {
        case .timeline: return ["sflame-mem.svg"]
        case .allocations: return ["sflame-alloc.svg"]
        case .leaks: return ["sflame-leaks.svg"]
        case .pageFaults: return ["sflame-faults.svg"]
        }
    }

    var target: RecordOptions.Target { command.isEmpty ? .processes([pid!]) : .command(command) }

    func validate() throws {
        if pid == nil && command.isEmpty { throw ValidationError("Give a target: --pid PID or -- CMD ARGS.") }
        if pid != nil && !command.isEmpty {
            throw ValidationError("Give either --pid or a command after --, not both.")
        }
        if let pid, pid <= 0 { throw ValidationError("--pid must be a positive process id (got \(pid)).") }
        if let duration, !(duration > 0) {
            throw ValidationError("--duration must be a positive number of seconds (got \(duration)).")
        }
        if pageFaults && (alloc || leaks) {
            throw ValidationError("--page-faults is a profile of its own; use it without --alloc or --leaks.")
        }
        if smapsEvery < 1 { throw ValidationError("--smaps-every must be at least 1 (got \(smapsEvery)).") }
        if !(smapsCpuBudget > 0 && smapsCpuBudget <= 100) {
            throw ValidationError("--smaps-cpu-budget must be a percentage above 0 and at most 100 (got \(smapsCpuBudget)).")
        }
        if period < 1 { throw ValidationError("--period must be at least 1 (got \(period)).") }
        if top < 0 { throw ValidationError("--top must not be negative.") }
        for path in resolvedOutputs {
            _ = try outputKind(path)
            try OutputFile.validateWritable(path)
        }
    }

    func run() throws {
        switch mode {
        case .timeline: try runTimeline()
        case .allocations, .leaks: try runAllocationProfile()
        case .pageFaults: try runPageFaults()
        }
    }

    /// The progress display, on a terminal only.
    var showsProgress: Bool { !quiet && isatty(2) != 0 }

    /// The launched command's exit status as sflame's own, like `record -- CMD`.
    func finish(commandExit: ChildExitStatus?, waitForCommand: () -> ChildExitStatus?, commandPID: Int32?, failed: Bool)
        throws
    {
        if !command.isEmpty {
            var status = commandExit
            if status == nil {
                if let pid = commandPID {
                    Diagnostics.notice(
                        "stopped; waiting for the command (PID \(pid)) to exit. Ctrl-C stops waiting without signalling it."
                    )
                }
                status = waitForCommand()
            }
            if let status { throw ExitCode(status.shellCode) }
        }
        if failed { throw SFlameExit.failure }
    }

    /// Exit code for a library error.
    static func exitCode(_ error: MemoryError) -> ExitCode {
        error.kind == .permissionDenied ? SFlameExit.permissionDenied : SFlameExit.failure
    }
}

/// `--interval`: a duration with a unit (us, ms, s, m).
struct IntervalArgument: ExpressibleByArgument {
    var seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: " ")
        let units: [(String, Double)] = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value > 0 else { return nil }
            let seconds = value * scale
            guard seconds >= 0.001, seconds <= 3600 else { return nil }
            self.seconds = seconds
            return
        }
        return nil
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension IntervalArgument: CustomStringConvertible {
    var description: String { seconds < 1 ? "\(Int((seconds * 1000).rounded()))ms" : "\(seconds)s" }
}

enum WeightArgument: String, ExpressibleByArgument, CaseIterable {
    case bytes
    case count
    case calls
}

extension String {
    func trimmingCharacters(in character: Character) -> Substring { self[...].trimmingCharacters(in: character) }
}
