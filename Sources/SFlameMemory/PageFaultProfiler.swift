// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
import SFlameRecord
import SFlameSampling

/// What a page-fault profile records.
public struct PageFaultProfileOptions: Sendable {
    public var target: RecordOptions.Target
    /// Faults per sample (perf's `-c`). Default 1: every fault, so the weights are exact; a
    /// process faulting hundreds of thousands of times a second may need more.
    public var period: UInt64
    public var durationSeconds: Double?
    public var debugInfoPaths: [String]

    public init(
        target: RecordOptions.Target, period: UInt64 = 1, durationSeconds: Double? = nil, debugInfoPaths: [String] = []
    ) {
        self.target = target
        self.period = max(1, period)
        self.durationSeconds = durationSeconds
        self.debugInfoPaths = debugInfoPaths
    }
}

/// A finished page-fault profile.
public struct PageFaultProfile: Sendable {
    /// Sample types `samples/count` and `page-faults/count` (the default).
    public var profile: Profile
    public var quality: UnwindQuality
    public var recording: EventRecording
    /// Faults represented (samples × period).
    public var faults: Int64
}

/// Samples the page-faults software event (PERF_COUNT_SW_PAGE_FAULTS) with user call stacks:
/// where a process first touches memory (a fault maps a page on first access), whatever
/// allocator or mmap it got the memory from. Read-only, like every perf sampling.
@available(*, noasync, message: "blocks the calling thread for the whole recording")
public final class PageFaultProfiler {
    public let options: PageFaultProfileOptions
    private var recorder: EventRecorder?

    public init(options: PageFaultProfileOptions) {
        self.options = options
    }

    /// The pid of the launched command, if any.
    public var commandPID: Int32? { recorder?.commandPID }

    /// Records until the duration passes, a stop signal arrives or the target exits.
    ///
    /// Throws: `MemoryError` when the target does not exist or the event cannot be opened.
    public func run(onStart: () -> Void = {}, progress: (RecordingProgress) -> Void = { _ in }) throws(MemoryError)
        -> PageFaultProfile
    {
        let event = PerfEventConfiguration(
            event: .pageFaults, frequencyHz: nil, period: options.period,
            sampleType: [.ip, .tid, .time, .period, .callchain],
            excludeKernel: true)
        let recorder = EventRecorder(
            options: EventRecorderOptions(
                target: options.target, events: [event], durationSeconds: options.durationSeconds,
                debugInfoPaths: options.debugInfoPaths))
        self.recorder = recorder
        var values: [StackID: [Int64]] = [:]
        let recording: EventRecording
        do {
            recording = try recorder.run(onStart: onStart, progress: progress) { event in
                guard let stack = recorder.stack(for: event.sample) else { return }
                let period = Int64(clamping: max(event.sample.period, 1))
                values[stack, default: [0, 0]][0] += 1
                values[stack, default: [0, 0]][1] += period
            }
        } catch {
            throw MemoryError(error)
        }
        let faultsType = ValueType(type: "page-faults", unit: "count")
        var (profile, quality) = recorder.profile(
            values: values, sampleTypes: [.samples, faultsType], defaultSampleType: faultsType.type,
            recording: recording)
        profile.periodType = faultsType
        profile.period = Int64(options.period)
        let faults = values.values.reduce(Int64(0)) { $0 + $1[1] }
        return PageFaultProfile(profile: profile, quality: quality, recording: recording, faults: faults)
    }

    /// Waits for the launched command after the recording; never signals it.
    public func waitForCommand() -> ChildExitStatus? { recorder?.waitForCommand() }
}
