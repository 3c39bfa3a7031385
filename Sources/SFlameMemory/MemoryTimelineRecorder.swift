// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameRecord
import SFlameSampling

#if canImport(Glibc)
    import Glibc
#endif

/// What `MemoryTimelineRecorder` samples, and how often.
public struct MemoryTimelineOptions: Sendable {
    public var target: RecordOptions.Target
    /// Seconds between readings of status and smaps_rollup. Default 0.1.
    public var intervalSeconds: Double
    /// Stop after this many seconds; nil samples until the target exits or a stop signal.
    public var durationSeconds: Double?
    /// Read /proc/PID/smaps (per-mapping detail, the costliest file) at most every this many
    /// intervals, and at the first and last reading. Default 10.
    public var smapsEvery: Int
    /// The share of one core the smaps readings may use, 0...1 (default 0.0025, i.e. 0.25 %).
    /// The kernel walks every page table of every mapping to produce smaps (about 4 ms of CPU for
    /// 1,000 mappings on this class of machine), so for a process with many mappings the readings
    /// are spaced further apart than `smapsEvery` intervals: after each one, the next waits until
    /// its measured CPU time fits the budget. 1 disables the back-off.
    public var smapsCPUBudget: Double

    public init(
        target: RecordOptions.Target, intervalSeconds: Double = 0.1, durationSeconds: Double? = nil,
        smapsEvery: Int = 10, smapsCPUBudget: Double = 0.0025
    ) {
        self.target = target
        self.intervalSeconds = intervalSeconds
        self.durationSeconds = durationSeconds
        self.smapsEvery = max(1, smapsEvery)
        self.smapsCPUBudget = min(max(smapsCPUBudget, 1e-6), 1)
    }

    /// How many intervals to wait after a smaps reading that took `cpuSeconds` of CPU time: at
    /// least `smapsEvery`, more when the reading would otherwise exceed `smapsCPUBudget`.
    public func smapsSpacing(afterReadingCostingCPUSeconds cpuSeconds: Double) -> Int {
        let forBudget = cpuSeconds / (smapsCPUBudget * max(intervalSeconds, 1e-6))
        guard forBudget.isFinite, forBudget > Double(smapsEvery) else { return smapsEvery }
        return Int(min((forBudget - 1e-9).rounded(.up), 1e6))
    }
}

/// Progress of a running timeline, for the one-line display.
public struct MemoryProgress: Sendable {
    public var elapsedSeconds: Double
    public var samples: Int
    /// The latest VmRSS, bytes.
    public var rss: UInt64?
}

/// Samples a process's memory from /proc at a fixed interval until the duration passes, a stop
/// signal arrives or the process exits. Read-only: the target is never stopped or signalled.
///
/// Each tick reads /proc/PID/status and /proc/PID/smaps_rollup (or, on kernels without it, sums
/// /proc/PID/smaps); every `smapsEvery` ticks, and on the first and last, /proc/PID/smaps grouped
/// per mapping. Ticks keep to a fixed schedule (start + k·interval); a tick that falls behind
/// skips to the next slot instead of bunching readings.
@available(*, noasync, message: "blocks the calling thread for the whole timeline")
public final class MemoryTimelineRecorder {
    public let options: MemoryTimelineOptions
    /// One-line notices for the user (fields that could not be read).
    public private(set) var notices: [String] = []
    private var child: SuspendedChild?

    public init(options: MemoryTimelineOptions) {
        self.options = options
    }

    /// The pid of the launched command, if any.
    public var commandPID: Int32? { child?.pid }

    /// Samples until the end condition.
    ///
    /// - Parameters:
    ///   - onStart: called with the target's pid once the first reading succeeded.
    ///   - progress: called after every reading.
    /// - Throws: `MemoryError` when the target does not exist, is a kernel thread or zombie, the
    ///   command cannot be launched, or its status cannot be read. Once sampling runs, the target
    ///   exiting ends it normally with the readings so far.
    public func run(onStart: (Int32) -> Void = { _ in }, progress: (MemoryProgress) -> Void = { _ in })
        throws(MemoryError) -> MemoryTimeline
    {
        let signals: StopSignals
        do { signals = try StopSignals() } catch { throw MemoryError(error) }
        let pid = try start()
        var timeline = MemoryTimeline(
            pid: pid, processName: ProcFS.processName(pid: pid) ?? "pid-\(pid)", command: command,
            intervalSeconds: options.intervalSeconds, smapsEvery: options.smapsEvery)
        var reader = Reader(pid: pid)
        let startNanos = MonotonicTime.nanoseconds()
        timeline.startMonotonicNanoseconds = startNanos
        timeline.startWallClockNanoseconds = MonotonicTime.wallClockNanoseconds()
        let intervalNanos = UInt64(options.intervalSeconds * 1e9)
        var tick: UInt64 = 0
        var nextSmapsTick: UInt64 = 0
        var end = MemoryTimeline.End.duration
        while true {
            let now = MonotonicTime.nanoseconds()
            let elapsed = Double(now - startNanos) / 1e9
            let isLast = signals.received != nil || options.durationSeconds.map { elapsed >= $0 } ?? false
            let withSmaps = tick >= nextSmapsTick || isLast
            switch reader.read(at: now, start: startNanos, withSmaps: withSmaps, into: &timeline) {
            case .exited:
                end = .targetExited
            case .failed(let error) where timeline.samples.isEmpty:
                throw error
            case .failed, .ok:
                break
            }
            if end == .targetExited || commandExited() {
                end = .targetExited
                break
            }
            if withSmaps {
                nextSmapsTick = tick + UInt64(
                    options.smapsSpacing(afterReadingCostingCPUSeconds: Double(reader.lastSmapsCPUNanoseconds) / 1e9))
            }
            if timeline.samples.count == 1 && tick == 0 { onStart(pid) }
            progress(
                MemoryProgress(
                    elapsedSeconds: elapsed, samples: timeline.samples.count, rss: timeline.samples.last?[.rss]))
            if isLast {
                end = signals.received != nil ? .signal : .duration
                break
            }
            // The next slot on the fixed schedule that is still ahead.
            let after = MonotonicTime.nanoseconds()
            tick = max(tick + 1, (after - startNanos) / max(intervalNanos, 1) + 1)
            var wake = startNanos + tick * intervalNanos
            if let d = options.durationSeconds { wake = min(wake, startNanos + UInt64(d * 1e9)) }
            let wait = wake > after ? Int32(min((wake - after) / 1_000_000 + 1, 60_000)) : 0
            signals.wait(timeoutMilliseconds: wait)
        }
        timeline.end = end
        timeline.rollupSource = reader.rollupSource
        timeline.failedReadings = reader.failedReadings
        notices.append(contentsOf: reader.notices)
        return timeline
    }

    /// Waits for the launched command after sampling stopped, unless a stop signal arrives;
    /// never signals it.
    public func waitForCommand() -> ChildExitStatus? {
        child?.waitForExitUnlessStopped()
    }

    /// The launched command's exit status, if it has exited.
    public var commandExit: ChildExitStatus? { child?.wait(blocking: false) }

    private var command: [String] {
        if case .command(let args) = options.target { return args }
        return []
    }

    private func start() throws(MemoryError) -> Int32 {
        switch options.target {
        case .processes(let pids):
            guard let pid = pids.first, pids.count == 1 else {
                throw MemoryError(.unsupportedTarget, "sflame mem samples one process at a time; give one PID.")
            }
            do { try Recorder.validate(pid: pid) } catch { throw MemoryError(error) }
            return pid
        case .command(let args):
            let launched: SuspendedChild
            do {
                launched = try SuspendedChild(arguments: args)
                try launched.resume(commandName: args.first ?? "")
            } catch {
                throw MemoryError(error)
            }
            child = launched
            return launched.pid
        case .systemWide:
            throw MemoryError(.unsupportedTarget, "sflame mem samples one process at a time; give one PID or a command.")
        }
    }

    private func commandExited() -> Bool {
        guard let child else { return false }
        return child.wait(blocking: false) != nil
    }
}

/// The /proc reads of one tick, and what is learned about the files on the way.
private struct Reader {
    enum Outcome {
        case ok
        case exited
        case failed(MemoryError)
    }

    let pid: Int32
    var rollupSource = MemoryTimeline.RollupSource.smapsRollup
    var smapsDenied = false
    var failedReadings = 0
    var notices: [String] = []
    /// CPU time of the latest /proc/PID/smaps reading and parsing, nanoseconds.
    var lastSmapsCPUNanoseconds: UInt64 = 0
    /// status and smaps_rollup stay open between readings (see `ProcFile`).
    private var statusFile: ProcFile?
    private var rollupFile: ProcFile?

    init(pid: Int32) { self.pid = pid }

    private mutating func status() throws(SamplingError) -> ProcKeyValues {
        if statusFile == nil { statusFile = try ProcFile("\(ProcFS.root)/\(pid)/status") }
        return ProcKeyValues.parse(bytes: try statusFile!.read())
    }

    /// nil when this kernel has no smaps_rollup.
    private mutating func rollup() throws(SamplingError) -> ProcKeyValues? {
        if rollupFile == nil {
            do {
                rollupFile = try ProcFile("\(ProcFS.root)/\(pid)/smaps_rollup")
            } catch let error where error.kind == .noSuchProcess && ProcFS.exists(pid) {
                return nil
            }
        }
        return ProcKeyValues.parse(bytes: try rollupFile!.read())
    }

    mutating func read(at now: UInt64, start: UInt64, withSmaps: Bool, into timeline: inout MemoryTimeline) -> Outcome {
        var sample = MemorySample(time: Double(now - start) / 1e9, monotonicNanoseconds: now)
        do {
            let status = try status()
            // A zombie keeps its status file but has no memory any more.
            if status["State"]?.hasPrefix("Z") == true || status["VmRSS"] == nil && status["Threads"] == nil {
                return .exited
            }
            sample.add(status: status)
        } catch {
            if error.kind == .noSuchProcess { return .exited }
            failedReadings += 1
            return .failed(MemoryError(error))
        }
        var smaps: [ProcSmapsEntry]?
        if !smapsDenied {
            do throws(SamplingError) {
                if rollupSource == .smapsRollup, let rollup = try rollup() {
                    sample.add(smapsRollup: rollup)
                } else {
                    if rollupSource == .smapsRollup {
                        rollupSource = .summedSmaps
                        notices.append(
                            "/proc/\(pid)/smaps_rollup does not exist on this kernel (before 4.14); summing /proc/\(pid)/smaps "
                                + "instead (Pss_Anon, Pss_File and Pss_Shmem are absent).")
                    }
                    let entries = try ProcFS.smaps(pid: pid)
                    sample.add(summing: entries)
                    smaps = entries
                }
                if withSmaps {
                    let entries: [ProcSmapsEntry]
                    if let smaps {
                        entries = smaps
                    } else {
                        let before = MonotonicTime.threadCPUNanoseconds()
                        entries = try ProcFS.smaps(pid: pid)
                        lastSmapsCPUNanoseconds = MonotonicTime.threadCPUNanoseconds() &- before
                    }
                    timeline.mappingSnapshots.append(
                        MappingSnapshot(time: sample.time, groups: MappingUsage.groups(entries)))
                }
            } catch {
                if error.kind == .noSuchProcess { return .exited }
                if error.kind == .permissionDenied {
                    smapsDenied = true
                    rollupSource = .unavailable
                    notices.append(
                        "cannot read /proc/\(pid)/smaps_rollup or smaps (\(error.errno.map(ErrnoName.name) ?? "EACCES")): "
                            + "they need ptrace access to the process. PSS, private-dirty and per-mapping figures are "
                            + "absent; run sflame as the process's user or as root (CAP_SYS_PTRACE) for them.")
                } else {
                    failedReadings += 1
                }
            }
        }
        timeline.samples.append(sample)
        return .ok
    }
}
