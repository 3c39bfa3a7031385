// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling

/// The off-CPU events of a recording (`--off-cpu`): the `sched:sched_switch` tracepoint opened
/// per target thread × CPU with inherit, like the cpu-clock events, sampled at every switch
/// (period 1) with the callchain and the raw record (for `prev_state`) of the thread leaving
/// the CPU, plus PERF_RECORD_SWITCH records (`context_switch`) for the moment it comes back.
///
/// The target is never stopped: the kernel writes these records as the threads switch.
/// Threads that stay blocked for the whole recording switch neither out nor in, so they do
/// not appear (as with `perf record -e sched:sched_switch` and bcc's offcputime); the ptrace
/// sampler shows them.
///
/// Source: perf_event_open(2) (PERF_TYPE_TRACEPOINT, PERF_SAMPLE_RAW, context_switch,
/// PERF_RECORD_SWITCH); include/trace/events/sched.h (sched_switch).
final class OffCPUSession {
    let session: PerfSession
    private(set) var tracker: OffCPUTracker
    /// One-line notices (tracefs mounted, states unknown).
    private(set) var notices: [String] = []

    /// Records older than the drain's start by this much are paired (ns): every CPU's buffer
    /// holds them by then.
    static let settleMarginNanos: UInt64 = 5_000_000

    /// The most copied bytes one `drain` handles (about 2,000 DWARF switch-out samples), so the
    /// recording loop checks its end conditions even while unwinding is behind.
    static let drainBudgetBytes = 16 << 20

    /// Opens the events for the targets (every thread of each process, or the launched
    /// command's first thread with enable-on-exec).
    ///
    /// Throws: the `SamplingError` of tracefs (not mounted and not mountable, not readable) or
    /// of perf_event_open (e.g. EACCES below CAP_PERFMON at kernel.perf_event_paranoid ≥ 2).
    /// - Parameter dwarfStackBytes: in DWARF mode, the stack copy per switch-out sample, so the
    ///   waiting stacks are unwound like the on-CPU ones; nil keeps frame-pointer callchains.
    init(targets: [Int32], launched: Bool, dataPages: Int, dwarfStackBytes: UInt32? = nil) throws(SamplingError) {
        let location = try TraceFS.locate(mountIfMissing: true)
        if location.wasMounted {
            notices.append("mounted tracefs at \(location.path) for the sched:sched_switch tracepoint (as perf does).")
        }
        let format = try TraceFS.format(group: "sched", name: "sched_switch", in: location)
        let switchFormat = try? SchedSwitchFormat(format)
        if switchFormat == nil {
            notices.append("the sched_switch format has no readable prev_state; wait states are shown as [off-cpu].")
        }
        var configuration = PerfEventConfiguration(
            event: .tracepoint(name: "sched:sched_switch", id: format.id), frequencyHz: nil, period: 1,
            sampleType: [.ip, .tid, .time, .cpu, .period, .callchain, .raw], recordsMappings: false,
            recordsTasks: false, recordsContextSwitches: true)
        configuration.enableOnExec = launched
        var dataPages = dataPages
        if let bytes = dwarfStackBytes {
            CallGraphSetup.configure(&configuration, stackBytes: bytes)
            dataPages = CallGraphSetup.dwarfBufferPages(stackBytes: bytes, frequencyHz: 1000, minimum: dataPages)
        }
        var session: PerfSession
        do {
            session = try Self.open(configuration, dataPages: dataPages, targets: targets, launched: launched, notices: &notices)
        } catch let error where error.kind == .permissionDenied && switchFormat != nil && !error.operation.hasPrefix("mmap") {
            // PERF_SAMPLE_RAW of a tracepoint needs CAP_PERFMON (or paranoid -1) even where the
            // callchain is allowed; without it the wait state is unknown.
            configuration.sampleType.remove(.raw)
            session = try Self.open(configuration, dataPages: dataPages, targets: targets, launched: launched, notices: &notices)
            notices.append(
                "reading sched_switch's prev_state (PERF_SAMPLE_RAW) is not permitted without CAP_PERFMON; wait "
                    + "states are shown as [off-cpu].")
            self.session = session
            self.tracker = OffCPUTracker(switchFormat: nil)
            startReading()
            return
        }
        self.session = session
        self.tracker = OffCPUTracker(switchFormat: switchFormat)
        startReading()
    }

    /// Copies the buffers out on a thread of its own: one record per context switch, each with a
    /// stack copy in DWARF mode, fills a ring in milliseconds on a busy service, faster than the
    /// records are unwound and paired. Without the thread, the rings are read every 25 ms.
    private func startReading() {
        do {
            try session.startReading()
        } catch {
            notices.append("could not start the thread that reads the off-CPU buffers (\(error.operation)); they are read every 25 ms.")
        }
    }

    /// Opens the events into buffers of `dataPages` pages per CPU, halved while mmap is refused
    /// for exceeding kernel.perf_event_mlock_kb (without CAP_IPC_LOCK), as perf does with its
    /// `-m`, down to 8 pages; a notice says so.
    private static func open(
        _ configuration: PerfEventConfiguration, dataPages: Int, targets: [Int32], launched: Bool,
        notices: inout [String]
    ) throws(SamplingError) -> PerfSession {
        var pages = dataPages
        while true {
            let session = PerfSession(configuration: configuration, dataPages: pages)
            do {
                try attach(session, targets: targets, launched: launched)
                if pages < dataPages {
                    notices.append(
                        "off-CPU ring buffers limited to \(pages * 4) KiB per CPU instead of \(dataPages * 4) KiB "
                            + "(kernel.perf_event_mlock_kb = \(Sysctl.system.perfEventMlockKB.map(String.init) ?? "?")); "
                            + "records may be lost on a busy service. Run as root or raise the setting.")
                }
                return session
            } catch let error where error.kind == .permissionDenied && error.operation.hasPrefix("mmap") && pages > 8 {
                session.close()
                pages /= 2
            }
        }
    }

    private static func attach(_ session: PerfSession, targets: [Int32], launched: Bool) throws(SamplingError) {
        for pid in targets {
            if launched { try session.attach(thread: pid) } else { try session.attach(process: pid) }
        }
    }

    func enable() { session.enable() }

    /// The last `drain` left copied records for the next one (unwinding is behind).
    var isBehind: Bool { session.hasBacklog }

    /// Reads the buffers (the reading thread's copies) and pairs what is old enough.
    func drain(into state: inout RecordingState) {
        state.stats.offCPURecords += UInt64(
            session.drain(maxCopiedBytes: Self.drainBudgetBytes) { tracker.apply($0, state: &state) })
        let complete = session.completeBefore
        if complete > Self.settleMarginNanos { tracker.settle(before: complete - Self.settleMarginNanos, into: &state) }
    }

    /// Stops the events, reads what is left, and closes the intervals of threads still waiting.
    func finish(into state: inout RecordingState) {
        session.disable()
        session.stopReading()
        let end = MonotonicClock.nanoseconds()
        state.stats.offCPURecords += UInt64(session.drain { tracker.apply($0, state: &state) })
        tracker.finish(at: end, into: &state)
        state.stats.decodeErrors += session.decodeErrors
        let droppedBefore = state.stats.backlogDroppedRecords
        state.stats.noteBacklog(session)
        state.stats.offCPULost += state.stats.backlogDroppedRecords - droppedBefore
        session.close()
    }

    func close() { session.close() }
}

extension SamplingStats {
    /// Takes the reading thread's backlog figures of a session.
    mutating func noteBacklog(_ session: PerfSession) {
        guard let reader = session.readerStatistics else { return }
        backlogPeakBytes = max(backlogPeakBytes, reader.peakQueuedBytes)
        backlogLimitBytes = max(backlogLimitBytes, reader.maxQueuedBytes)
        backlogFullPasses += reader.fullPasses
        backlogDroppedRecords += UInt64(reader.droppedRecords)
    }
}

extension MonotonicClock {
    /// CLOCK_MONOTONIC in nanoseconds (the clock of perf timestamps with use_clockid).
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

#if canImport(Glibc)
import Glibc
#endif
