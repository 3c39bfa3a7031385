// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling

#if canImport(Glibc)
    import Glibc
#endif

/// What an `EventRecorder` records.
public struct EventRecorderOptions: Sendable {
    /// The processes to record.
    public var target: RecordOptions.Target
    /// The events, opened for every thread and CPU into one ring buffer per CPU. They must share
    /// one record layout; the recorder adds `.identifier` to tell them apart.
    public var events: [PerfEventConfiguration]
    /// Stop after this many seconds; nil records until the targets exit or a stop signal.
    public var durationSeconds: Double?
    /// Data pages per CPU ring buffer (power of two). Default 256 (1 MiB with 4 KiB pages):
    /// probes fire on every call, so bursts are larger than with timer sampling.
    public var bufferPages: Int
    /// Extra directories to search for separate debug info.
    public var debugInfoPaths: [String]

    public init(
        target: RecordOptions.Target, events: [PerfEventConfiguration], durationSeconds: Double? = nil,
        bufferPages: Int = 256, debugInfoPaths: [String] = []
    ) {
        self.target = target
        self.events = events
        self.durationSeconds = durationSeconds
        self.bufferPages = bufferPages
        self.debugInfoPaths = debugInfoPaths
    }
}

/// A sample handed to the caller of `EventRecorder.run`, in time order across CPUs.
public struct EventRecorderSample: Sendable {
    /// Which of `EventRecorderOptions.events` took it.
    public var eventIndex: Int
    public var sample: PerfSample
}

/// An interned stack of a recording (see `EventRecorder.stack(for:)`).
public struct StackID: Hashable, Sendable, Comparable {
    public var rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public static func < (l: StackID, r: StackID) -> Bool { l.rawValue < r.rawValue }
}

/// How an event recording went.
public struct EventRecording: Sendable {
    public var stats: SamplingStats
    public var end: RecordingEnd
    public var durationSeconds: Double
    /// CLOCK_REALTIME at the start, nanoseconds since the epoch.
    public var wallStartNanos: Int64
    public var targets: [Int32]
    /// The launched command's exit, when `-- CMD` was used and it has exited.
    public var commandExit: ChildExitStatus?
    /// Threads found after the start and attached then (only for events that are not inherited).
    public var lateThreads: Int = 0
    /// Records read from the ring buffers (samples and the rest); `stats.lost` were not.
    public var records: Int = 0
}

/// Records samples of arbitrary events (probes on functions, software events) with their call
/// stacks and hands each sample, in time order, to the caller, who decides what it weighs. The
/// caller then turns the stacks it kept into a `Profile` with its own sample types.
///
/// This is the recorder the allocation and leak profiles are built on: the weight of a probe
/// hit (bytes requested, bytes still live at the end) is only known to the caller. Address
/// spaces, stacks and symbolization are `Recorder`'s (`RecordingState`, `ProfileAssembler`).
///
/// Never stops or signals the target. Every event is closed when `run` returns, whatever ends
/// the recording, so probes leave the target's code as it was.
///
/// Events that are not inherited (`inherit == false`: uprobe-PMU events cannot be, see
/// `AllocationProfiler`) are opened for every thread of the targets at the start, and for
/// threads started later when the recorder finds them in /proc/PID/task, every 100 ms: a new
/// thread's first moments go unrecorded (counted in `EventRecording.lateThreads`).
@available(*, noasync, message: "blocks the calling thread for the whole recording")
public final class EventRecorder {
    public let options: EventRecorderOptions
    private var state: RecordingState
    private var stackKeys: [StackKey] = []
    private var stackIndex: [StackKey: StackID] = [:]
    /// Stacks by their raw callchain: most samples repeat a callchain seen before, and hashing the
    /// addresses is cheaper than resolving every frame again.
    private var rawStackIndex: [RawStack: StackID] = [:]

    private struct RawStack: Hashable {
        var pid: Int32
        var tid: Int32
        var callchain: [UInt64]
    }
    private var child: SuspendedChild?
    /// Ends the recording from another thread instead of SIGINT/SIGTERM/SIGHUP; with it, `run`
    /// installs no signal handler (service mode). Default nil: the stop signals end it.
    public var stopRequest: StopRequest?

    public init(options: EventRecorderOptions) {
        precondition(!options.events.isEmpty, "an event recording needs an event")
        self.options = options
        let maxDepth = Sysctl.system.perfEventMaxStack ?? 127
        let includeKernel = options.events.contains { !$0.excludeKernel }
        state = RecordingState(targets: [], includeKernel: includeKernel, maxCallchainDepth: maxDepth)
    }

    /// The pid of the launched command, if any.
    public var commandPID: Int32? { child?.pid }

    /// Records until the duration passes, a stop signal arrives or the targets exit.
    ///
    /// - Parameters:
    ///   - onStart: called once every event is open and enabled (for a command: once it runs).
    ///   - progress: called about four times a second.
    ///   - onSample: called for every sample of a target process, in time order.
    /// - Throws: `RecordError` when the recording cannot start; afterwards problems are counted
    ///   in `SamplingStats`.
    public func run(
        onStart: () -> Void = {}, progress: (RecordingProgress) -> Void = { _ in },
        onSample: (EventRecorderSample) -> Void
    ) throws(RecordError) -> EventRecording {
        let signals: StopSignals
        if let stopRequest {
            signals = StopSignals(request: stopRequest)
        } else {
            do { signals = try StopSignals() } catch { throw RecordError(error) }
        }
        let (session, targets) = try openSession()
        defer { session.close() }
        state.targets = Set(targets)
        loadProcesses(targets)
        let wallStart = MonotonicTime.wallClockNanoseconds()
        let start = MonotonicTime.seconds()
        if let child {
            do { try child.resume(commandName: commandName) } catch { throw RecordError(error) }
        } else {
            session.enable()
        }
        onStart()
        // Probes fire on every allocator call: the rings are copied out on a thread of their own,
        // so that handling the records (stacks, pairing) does not leave them full. Without the
        // thread they are read after every wait, as before.
        try? session.startReading()
        var queue = TimeOrderedRecords()
        func deliver(_ record: PerfRecord) { handle(record, session: session, onSample: onSample) }
        var end = RecordingEnd.duration
        var lastProgress = 0.0
        var lastLivenessCheck = 0.0
        var lateThreads = 0
        var records = 0
        let followsThreads = options.events.contains { !$0.inherit }
        while true {
            _ = session.wait(timeoutMilliseconds: 100, extraFDs: [signals.wakeFD])
            // A bounded share of the copies per turn, so the end conditions are checked while behind.
            records += session.drain(maxCopiedBytes: 16 << 20) { queue.append($0) }
            queue.release(roundStart: session.completeBefore, deliver)
            let now = MonotonicTime.seconds()
            if now - lastProgress >= 0.25 {
                lastProgress = now
                progress(
                    RecordingProgress(elapsedSeconds: now - start, samples: state.stats.samples, lost: state.stats.lost)
                )
            }
            if let s = signals.received {
                end = .signal(s)
                break
            }
            if let d = options.durationSeconds, now - start >= d {
                end = .duration
                break
            }
            if now - lastLivenessCheck >= 0.1 {
                lastLivenessCheck = now
                if targetsExited() {
                    end = .targetExited
                    break
                }
                if followsThreads { lateThreads += attachNewThreads(session: session, targets: targets) }
            }
        }
        let duration = MonotonicTime.seconds() - start
        session.disable()
        session.stopReading()
        records += session.drain { queue.append($0) }
        queue.release(roundStart: nil, deliver)
        state.stats.decodeErrors = session.decodeErrors
        state.stats.noteBacklog(session)
        // Closing removes the probes; the kernel may wait for an RCU grace period per probe.
        session.close()
        progress(RecordingProgress(elapsedSeconds: duration, samples: state.stats.samples, lost: state.stats.lost))
        return EventRecording(
            stats: state.stats, end: end, durationSeconds: duration, wallStartNanos: wallStart, targets: targets,
            commandExit: child?.wait(blocking: false), lateThreads: lateThreads, records: records)
    }

    /// Opens the events for threads of the targets that have none yet, and enables them.
    /// Returns how many threads were added.
    private func attachNewThreads(session: PerfSession, targets: [Int32]) -> Int {
        let before = session.attachedThreads.count
        for pid in targets where !state.exited.contains(pid) {
            guard let tids = try? ProcFS.threads(of: pid) else { continue }
            for tid in tids where !session.attachedThreads.contains(tid) {
                // A thread that exits meanwhile, or an event refused now, only costs its samples.
                try? session.attach(thread: tid)
                if state.threadNames[tid] == nil { state.threadNames[tid] = ProcFS.threadName(pid: pid, tid: tid) }
                state.threadProcess[tid] = pid
            }
        }
        let added = session.attachedThreads.count - before
        if added > 0 { session.enable() }
        return added
    }

    /// Waits for the launched command to exit after the recording ended, unless a stop signal
    /// arrives; never signals it. Nil when nothing was launched or it is still running.
    public func waitForCommand() -> ChildExitStatus? {
        child?.waitForExitUnlessStopped()
    }

    /// The stack of a sample, interned: equal stacks get equal ids. Nil for a process outside the
    /// targets. The sample may be one the caller adjusted (a callchain with the caller's return
    /// address added, say).
    ///
    /// A callchain seen before on the same thread maps to the stack it resolved to then (a library
    /// unmapped and another mapped at its addresses within one recording would be misnamed).
    public func stack(for sample: PerfSample) -> StackID? {
        let raw = RawStack(pid: sample.pid, tid: sample.tid, callchain: sample.callchain)
        if !sample.callchain.isEmpty, sample.callchain.count < state.maxCallchainDepth, let id = rawStackIndex[raw] {
            state.stats.samples += 1
            return id
        }
        guard let key = state.stackKey(for: sample) else { return nil }
        let id: StackID
        if let existing = stackIndex[key] {
            id = existing
        } else {
            id = StackID(stackKeys.count)
            stackKeys.append(key)
            stackIndex[key] = id
        }
        if !sample.callchain.isEmpty { rawStackIndex[raw] = id }
        return id
    }

    /// The module file and file offset of a runtime address in a target process, from its
    /// executable mappings as known at this point of the recording; nil for addresses outside
    /// file-backed executable mappings.
    public func moduleLocation(pid: Int32, runtimeAddress: UInt64) -> (path: String, fileOffset: UInt64)? {
        guard let range = state.addressSpaces[pid]?.lookup(runtimeAddress), let module = range.module else {
            return nil
        }
        return (state.modules[Int(module)].path, runtimeAddress - range.start + range.fileOffset)
    }

    /// The file-backed modules mapped executable in a target process, in address order, as known
    /// at this point of the recording (for a launched command: what it mapped after exec).
    public func mappedModules(pid: Int32) -> [String] {
        var seen = Set<String>()
        return (state.addressSpaces[pid]?.ranges ?? []).compactMap { range in
            guard let module = range.module else { return nil }
            let path = state.modules[Int(module)].path
            return seen.insert(path).inserted ? path : nil
        }
    }

    /// Symbolizes the stacks the caller kept into a profile.
    ///
    /// - Parameters:
    ///   - values: per stack, one value per sample type; `values[0]` counts the samples of the
    ///     stack (it weighs the unwind quality).
    ///   - sampleTypes: the profile's sample types.
    ///   - defaultSampleType: the type shown by default (pprof's `default_sample_type`).
    public func profile(
        values: [StackID: [Int64]], sampleTypes: [ValueType], defaultSampleType: String?,
        recording: EventRecording
    ) -> (Profile, UnwindQuality) {
        let entries = values.map { (key: stackKeys[$0.key.rawValue], values: $0.value) }
        let assembler = ProfileAssembler(
            state: state, event: options.events[0].event, frequencyHz: 0, debugInfoPaths: options.debugInfoPaths)
        var (profile, quality) = assembler.assemble(entries: entries, sampleTypes: sampleTypes)
        profile.defaultSampleType = defaultSampleType
        profile.timeNanos = recording.wallStartNanos
        profile.durationNanos = Int64(recording.durationSeconds * 1e9)
        profile.comments = [
            "sflame: events \(options.events.map(\.event.description).joined(separator: ", "))",
            "sflame: \(recording.stats.samples) samples, \(recording.stats.lost) lost",
        ]
        return (profile, quality)
    }

    // MARK: Internals

    private var commandName: String {
        if case .command(let args) = options.target { return args.first ?? "" }
        return ""
    }

    private func handle(_ record: PerfRecord, session: PerfSession, onSample: (EventRecorderSample) -> Void) {
        guard case .sample(let sample) = record else {
            state.apply(record)
            return
        }
        guard state.targets.contains(sample.pid) else {
            state.stats.foreignSamples += 1
            return
        }
        let index = session.configurationIndexByEventID[sample.identifier] ?? 0
        onSample(EventRecorderSample(eventIndex: index, sample: sample))
    }

    private func loadProcesses(_ targets: [Int32]) {
        var lastRefresh: [Int32: Double] = [:]
        state.refreshMappings = { pid in
            let now = MonotonicTime.seconds()
            if let last = lastRefresh[pid], now - last < 0.1 { return nil }
            lastRefresh[pid] = now
            return try? ProcFS.maps(pid: pid)
        }
        for pid in targets {
            if let maps = try? ProcFS.maps(pid: pid) { state.load(pid: pid, mappings: maps) }
            state.processNames[pid] = ProcFS.processName(pid: pid)
            for tid in (try? ProcFS.threads(of: pid)) ?? [] {
                state.threadNames[tid] = ProcFS.threadName(pid: pid, tid: tid)
                state.threadProcess[tid] = pid
            }
        }
    }

    private func targetsExited() -> Bool {
        if let child { return child.wait(blocking: false) != nil }
        for pid in state.targets {
            if state.exited.contains(pid) { continue }
            guard let stat = try? ProcFS.stat(pid: pid) else { continue }
            if !stat.isZombie { return false }
        }
        return true
    }

    private func openSession() throws(RecordError) -> (PerfSession, [Int32]) {
        var configurations = options.events.map { configuration -> PerfEventConfiguration in
            var c = configuration
            c.sampleType.insert(.identifier)
            return c
        }
        var targets: [Int32]
        switch options.target {
        case .processes(let given):
            let pids = Recorder.uniqueProcesses(given)
            for pid in pids { try Recorder.validate(pid: pid) }
            targets = pids
        case .command(let args):
            do { child = try SuspendedChild(arguments: args) } catch { throw RecordError(error) }
            targets = [child!.pid]
            for i in configurations.indices { configurations[i].enableOnExec = true }
        case .systemWide:
            throw RecordError(
                .unsupportedTarget,
                "Event recordings (allocations, page faults) follow given processes; -a is for `sflame record`. "
                    + "Give the processes with --pid, or a command.")
        }
        let session = PerfSession(configurations: configurations, dataPages: options.bufferPages)
        do {
            for pid in targets {
                if child != nil { try session.attach(thread: pid) } else { try session.attach(process: pid) }
            }
        } catch {
            session.close()
            child = nil
            throw RecordError(error)
        }
        return (session, targets)
    }
}
