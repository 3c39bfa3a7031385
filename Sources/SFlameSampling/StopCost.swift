// SPDX-License-Identifier: Apache-2.0

/// What the ptrace sampler cost the target: how long threads stayed stopped.
///
/// Units: microseconds, measured on CLOCK_MONOTONIC by sflame. A thread's *stop* runs from
/// PTRACE_INTERRUPT to the PTRACE_CONT (or PTRACE_LISTEN) that resumed it; it includes the
/// time the thread needed to reach the stop (at once when it was running; a sleeping thread
/// wakes; a runnable one first waits for a CPU), then the time it was *held* stopped while
/// sflame read its stack. A *sweep* interrupts every thread at once and lasts until the last
/// one is resumed (or, when a thread has not stopped by the next tick, until that tick).
public struct StopCostSummary: Hashable, Sendable {
    /// Thread stops measured (samples taken).
    public var threadStops: Int
    /// Per thread stop, interrupt to resume: median, 95th percentile and maximum, µs.
    public var medianMicros: Double
    public var p95Micros: Double
    public var maxMicros: Double
    /// Per thread, the part held stopped (stop seen to resume): median and 95th percentile, µs.
    public var medianHeldMicros: Double
    public var p95HeldMicros: Double
    /// Sweeps (one per sampling tick) and their median and maximum duration, µs.
    public var sweeps: Int
    public var medianSweepMicros: Double
    public var maxSweepMicros: Double
    /// Median number of threads stopped per sweep.
    public var medianThreadsPerSweep: Double
    /// Total stopped time over all threads, interrupt to resume, and held, µs.
    public var totalStoppedMicros: Double
    public var totalHeldMicros: Double

    public init(
        threadStops: Int = 0, medianMicros: Double = 0, p95Micros: Double = 0, maxMicros: Double = 0,
        medianHeldMicros: Double = 0, p95HeldMicros: Double = 0, sweeps: Int = 0, medianSweepMicros: Double = 0,
        maxSweepMicros: Double = 0, medianThreadsPerSweep: Double = 0, totalStoppedMicros: Double = 0,
        totalHeldMicros: Double = 0
    ) {
        self.threadStops = threadStops
        self.medianMicros = medianMicros
        self.p95Micros = p95Micros
        self.maxMicros = maxMicros
        self.medianHeldMicros = medianHeldMicros
        self.p95HeldMicros = p95HeldMicros
        self.sweeps = sweeps
        self.medianSweepMicros = medianSweepMicros
        self.maxSweepMicros = maxSweepMicros
        self.medianThreadsPerSweep = medianThreadsPerSweep
        self.totalStoppedMicros = totalStoppedMicros
        self.totalHeldMicros = totalHeldMicros
    }

    /// Summarizes raw measurements (nanoseconds).
    public init(threadStopNanos: [UInt64], stoppedNanos: [UInt64], sweepNanos: [UInt64], threadsPerSweep: [Int]) {
        func percentile(_ values: [UInt64], _ p: Double) -> Double {
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
            return Double(sorted[index]) / 1000
        }
        self.init(
            threadStops: threadStopNanos.count, medianMicros: percentile(threadStopNanos, 0.5),
            p95Micros: percentile(threadStopNanos, 0.95), maxMicros: percentile(threadStopNanos, 1),
            medianHeldMicros: percentile(stoppedNanos, 0.5), p95HeldMicros: percentile(stoppedNanos, 0.95),
            sweeps: sweepNanos.count, medianSweepMicros: percentile(sweepNanos, 0.5),
            maxSweepMicros: percentile(sweepNanos, 1),
            medianThreadsPerSweep: percentile(threadsPerSweep.map { UInt64($0) * 1000 }, 0.5),
            totalStoppedMicros: Double(threadStopNanos.reduce(0, +)) / 1000,
            totalHeldMicros: Double(stoppedNanos.reduce(0, +)) / 1000)
    }
}

/// Counts of what the ptrace sampler saw and did, besides samples.
public struct TracerEvents: Hashable, Sendable {
    /// Signals delivered to traced threads and passed on to them (re-injected).
    public var signalsForwarded = 0
    /// Group-stops (SIGSTOP and friends) honoured with PTRACE_LISTEN.
    public var groupStops = 0
    /// Threads followed after they were created (PTRACE_EVENT_CLONE).
    public var threadsFollowed = 0
    /// exec calls of traced processes (PTRACE_EVENT_EXEC).
    public var execs = 0
    /// Traced threads that exited.
    public var threadExits = 0
    /// Interrupts still unanswered at the next tick (an uninterruptible wait, or no CPU to run
    /// on); the thread was sampled when it stopped, with all the elapsed time as its weight.
    public var lateStops = 0
    /// Samples of threads still blocked where their previous sample found them, taken without
    /// stopping them (the stack is the previous one).
    public var repeats = 0
    /// Threads detached at the end, and threads left attached because they never stopped
    /// (the kernel releases them when sflame exits).
    public var detached = 0
    public var leftAttached = 0

    public init() {}
}
