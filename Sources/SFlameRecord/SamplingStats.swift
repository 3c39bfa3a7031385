// SPDX-License-Identifier: Apache-2.0

/// Counts of what happened during a recording. Per-sample problems are counted here, never
/// thrown (STYLE.md §4).
public struct SamplingStats: Hashable, Sendable {
    /// Samples of the target processes that went into the profile.
    public var samples = 0
    /// Records the kernel dropped because a ring buffer was full (PERF_RECORD_LOST).
    public var lostRecords: UInt64 = 0
    /// Samples the kernel dropped (PERF_RECORD_LOST_SAMPLES).
    public var lostSamples: UInt64 = 0
    /// Times the kernel throttled the event for exceeding kernel.perf_event_max_sample_rate.
    public var throttles = 0
    /// Records that did not decode.
    public var decodeErrors = 0
    /// Samples of processes outside the target set (children, when not followed).
    public var foreignSamples = 0
    /// Threads with at least one sample.
    public var threads = 0
    /// Samples whose user callchain hit the kernel's depth limit.
    public var callchainLimitHits = 0
    /// Sampled user frames that fell outside any known mapping.
    public var unmappedFrames = 0
    /// Samples taken in user mode whose callchain was empty.
    public var emptyCallchains = 0

    /// Off-CPU intervals (switch-out to switch-in) attributed to a stack (`--off-cpu`); each is
    /// also counted in `samples`.
    public var offCPUIntervals = 0
    /// Their total length, nanoseconds.
    public var offCPUNanoseconds: UInt64 = 0
    /// Switch-ins without the switch-out sample before them (the wait began before the
    /// recording, or the sample was lost); their time is not attributed.
    public var unpairedSwitchIns = 0

    /// Records read from the off-CPU buffers (switch-out samples, switch records and the rest).
    public var offCPURecords: UInt64 = 0
    /// Of `lost`, the records the kernel dropped from the off-CPU buffers.
    public var offCPULost: UInt64 = 0
    /// The most bytes of copied records waiting to be handled at once (the buffers are copied
    /// out on a thread of their own with `--off-cpu` and in event recordings); 0 without it.
    public var backlogPeakBytes = 0
    /// The limit of that backlog, how often the copying thread found it full, and the records
    /// it dropped then (handling them fell behind); they are counted in `lost`.
    public var backlogLimitBytes = 0
    public var backlogFullPasses = 0
    public var backlogDroppedRecords: UInt64 = 0

    public init() {}

    /// Everything lost: what the kernel dropped, and what sflame dropped when it fell behind.
    public var lost: UInt64 { lostRecords + lostSamples + backlogDroppedRecords }
}
