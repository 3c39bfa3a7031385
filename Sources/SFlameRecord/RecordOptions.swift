// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

/// What to record, and how.
public struct RecordOptions: Sendable {
    /// The processes to profile.
    public enum Target: Sendable, Equatable {
        /// Existing processes, all their threads, and threads they start while recording.
        case processes([Int32])
        /// A command to launch and profile from its first instruction; argv[0] is looked up in PATH.
        case command([String])
        /// Every process on every CPU (`-a`), including the idle task unless `includesIdle` is off.
        case systemWide
    }

    public var target: Target
    /// The event that triggers samples. Default `.cpuClock`. Hardware events fall back to
    /// cpu-clock with a notice when the machine does not support them.
    public var event: EventSource
    /// Samples per second per thread. Default 99 (perf's habit: avoids lockstep with
    /// timer-driven work at 100 Hz).
    public var frequencyHz: UInt64
    /// Stop after this many seconds; nil records until the targets exit or a stop signal.
    public var durationSeconds: Double?
    /// Sample kernel stacks too. Default true; falls back to user space only, with a notice,
    /// when kernel.perf_event_paranoid forbids kernel sampling.
    public var includeKernel: Bool
    /// Data pages per CPU ring buffer (power of two). Default 128 (512 KiB with 4 KiB pages).
    public var bufferPages: Int
    /// Extra directories to search for separate debug info.
    public var debugInfoPaths: [String]
    /// How user stacks are recovered. Default `.auto(stackBytes: 8192)`: DWARF unwinding when a
    /// module of the target lacks frame pointers.
    public var callGraph: CallGraph = .default
    /// The CFI unwinder for DWARF mode. Default `.libdw`.
    public var unwinder: DwarfUnwinder = .libdw
    /// For `.command`: the executable's path as the CLI resolved it through PATH, which the
    /// `.auto` call graph inspects for frame pointers. Default nil (argv[0] when it has a `/`).
    public var commandExecutablePath: String? = nil
    /// The sampler. Default `.perf`; when perf_event_open is refused (EACCES, EPERM, ENOSYS, a
    /// seccomp filter) the recording falls back to `.ptrace` with a notice.
    public var sampler: Sampler = .perf
    /// Whether a refused perf_event_open falls back to the ptrace sampler (which stops each
    /// thread briefly per sample and records wall-clock time). Default true; false makes the
    /// refusal an error (`sflame agent` promises on-CPU profiles that never stop the target).
    public var fallsBackToPtrace = true
    /// Also record where threads wait, off the CPU (sched:sched_switch), weighted in
    /// nanoseconds, beside the on-CPU samples. Default false. Ignored by the ptrace sampler,
    /// whose wall-clock profile includes waiting threads anyway.
    public var offCPU = false
    /// Also profile the processes the targets fork or exec during the recording, each under its
    /// own process (`--follow-forks`). Default false: only the given processes (and their threads).
    public var followForks = false
    /// With `.systemWide`: keep the idle task's samples (the `swapper` root, CPUs with nothing
    /// to run). Default true; `--no-idle` turns it off.
    public var includesIdle = true

    public init(
        target: Target, event: EventSource = .cpuClock, frequencyHz: UInt64 = 99, durationSeconds: Double? = nil,
        includeKernel: Bool = true, bufferPages: Int = 128, debugInfoPaths: [String] = []
    ) {
        self.target = target
        self.event = event
        self.frequencyHz = frequencyHz
        self.durationSeconds = durationSeconds
        self.includeKernel = includeKernel
        self.bufferPages = bufferPages
        self.debugInfoPaths = debugInfoPaths
    }
}
