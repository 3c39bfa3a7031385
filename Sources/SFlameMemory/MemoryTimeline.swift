// SPDX-License-Identifier: Apache-2.0

/// A process's memory over time, as `sflame mem` samples it: readings of /proc/PID/status and
/// /proc/PID/smaps_rollup every interval, and /proc/PID/smaps grouped per mapping every few
/// intervals.
///
/// Shape: `samples` and `mappingSnapshots` in time order; times in seconds since the first
/// sample (CLOCK_MONOTONIC). Units: bytes.
public struct MemoryTimeline: Hashable, Sendable {
    /// Where the smaps_rollup fields came from.
    public enum RollupSource: String, Hashable, Sendable {
        /// /proc/PID/smaps_rollup (Linux 4.14+).
        case smapsRollup = "smaps_rollup"
        /// The sum of /proc/PID/smaps, on kernels without smaps_rollup: `Pss_Anon`, `Pss_File` and
        /// `Pss_Shmem` are then absent.
        case summedSmaps = "smaps"
        /// Neither could be read.
        case unavailable = "unavailable"
    }

    /// Why sampling ended.
    public enum End: String, Hashable, Sendable {
        case duration = "duration"
        case signal = "signal"
        case targetExited = "target_exited"
    }

    public var pid: Int32
    public var processName: String
    /// The launched command, for `sflame mem -- CMD`; empty for `--pid`.
    public var command: [String]
    public var intervalSeconds: Double
    /// Every how many intervals /proc/PID/smaps was read.
    public var smapsEvery: Int
    /// CLOCK_MONOTONIC of the first sample, nanoseconds.
    public var startMonotonicNanoseconds: UInt64
    /// CLOCK_REALTIME of the first sample, nanoseconds since the UNIX epoch.
    public var startWallClockNanoseconds: Int64
    public var samples: [MemorySample]
    public var mappingSnapshots: [MappingSnapshot]
    public var rollupSource: RollupSource
    public var end: End
    /// Readings that failed for a reason other than the target exiting (counted, not fatal).
    public var failedReadings: Int

    public init(
        pid: Int32, processName: String = "", command: [String] = [], intervalSeconds: Double, smapsEvery: Int = 10,
        startMonotonicNanoseconds: UInt64 = 0, startWallClockNanoseconds: Int64 = 0, samples: [MemorySample] = [],
        mappingSnapshots: [MappingSnapshot] = [], rollupSource: RollupSource = .smapsRollup, end: End = .duration,
        failedReadings: Int = 0
    ) {
        self.pid = pid
        self.processName = processName
        self.command = command
        self.intervalSeconds = intervalSeconds
        self.smapsEvery = smapsEvery
        self.startMonotonicNanoseconds = startMonotonicNanoseconds
        self.startWallClockNanoseconds = startWallClockNanoseconds
        self.samples = samples
        self.mappingSnapshots = mappingSnapshots
        self.rollupSource = rollupSource
        self.end = end
        self.failedReadings = failedReadings
    }

    /// Seconds from the first to the last sample.
    public var durationSeconds: Double {
        guard let first = samples.first, let last = samples.last else { return 0 }
        return last.time - first.time
    }

    /// The fields present in at least one sample, in `MemoryField` order.
    public var presentFields: [MemoryField] {
        var present = Set<MemoryField>()
        for s in samples { present.formUnion(s.values.keys) }
        return MemoryField.allCases.filter { present.contains($0) }
    }

    /// The (time, value) points of one field, skipping samples where it is absent.
    public func points(_ field: MemoryField) -> [(time: Double, value: Double)] {
        samples.compactMap { s in s[field].map { (s.time, Double($0)) } }
    }
}
