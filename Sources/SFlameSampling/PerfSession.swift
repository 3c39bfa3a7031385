// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// The perf events of one recording: one event per (thread, CPU), all of a CPU's events
/// writing into a single ring buffer, and the poll/drain loop over those buffers.
///
/// With `inherit`, threads and processes created later by an attached thread are sampled
/// into the same buffers without further work; this is why events are per CPU (the kernel
/// refuses to mmap inherited per-thread events with cpu == -1, see perf_mmap() in
/// kernel/events/core.c), and why they are opened for every thread that exists when we attach.
public final class PerfSession {
    public let configuration: PerfEventConfiguration
    public private(set) var decoder: PerfRecordDecoder
    public let cpus: [Int]
    private let dataPages: Int
    private let sysctl: Sysctl
    private var rings: [(cpu: Int, event: PerfEvent, ring: RingBuffer)] = []
    private var events: [PerfEvent] = []
    private var hungUp: Set<Int32> = []
    /// Threads with events, ascending.
    public private(set) var attachedThreads: Set<Int32> = []
    /// Records that did not decode (counted, never fatal).
    public private(set) var decodeErrors = 0
    /// Events opened beside the main one on every (thread, CPU), writing into the same buffers.
    private var companionConfigurations: [PerfEventConfiguration] = []
    /// With companion events: which configuration (0 the main one, i the companion i - 1) each
    /// event id belongs to, for `PerfSample.identifier`. Empty without companions.
    public private(set) var configurationIndexByEventID: [UInt64: Int] = [:]
    /// The thread copying the rings out (`startReading`), and how many of `rings` it reads.
    private var reader: RingReader?
    private var readerRingCount = 0
    private var readerRunning = false
    /// After `drain`: every record stamped (CLOCK_MONOTONIC ns) before this time has been handed
    /// out, as far as the kernel had written it by then. Without the reading thread, the moment
    /// the drain began; with it, the start of its latest pass over every ring.
    public private(set) var completeBefore: UInt64 = 0
    /// After `drain`: the reading thread holds copies that the call left for the next one.
    public private(set) var hasBacklog = false

    /// - Parameters:
    ///   - dataPages: data pages per CPU ring buffer, a power of two. Default 128 (512 KiB).
    ///   - cpus: the CPUs to open events on. Default: the online CPUs.
    public init(
        configuration: PerfEventConfiguration, dataPages: Int = 128, cpus: [Int] = ProcFS.onlineCPUs(),
        sysctl: Sysctl = .system
    ) {
        self.configuration = configuration
        self.decoder = PerfRecordDecoder(layout: configuration.recordLayout)
        self.cpus = cpus
        self.dataPages = dataPages
        self.sysctl = sysctl
        OpenFileLimit.raiseToHardLimit()
    }

    /// A session with several events per (thread, CPU) sharing one ring buffer per CPU, such as
    /// the probes on several functions. Samples tell their event apart by `PerfSample.identifier`
    /// (see `configurationIndexByEventID`), so the configurations should sample `.identifier`.
    /// Events may sample different fields (registers, stack bytes, callchain): the decoder picks
    /// each sample's layout by its identifier.
    ///
    /// - Precondition: the configurations agree on the `sample_id` fields and `sample_id_all`
    ///   (non-sample records carry no identifier to tell them apart), and sample `.identifier`
    ///   when their layouts differ.
    public convenience init(
        configurations: [PerfEventConfiguration], dataPages: Int = 128, cpus: [Int] = ProcFS.onlineCPUs(),
        sysctl: Sysctl = .system
    ) {
        precondition(!configurations.isEmpty, "a session needs an event")
        let first = configurations[0].recordLayout
        precondition(
            configurations.allSatisfy {
                $0.recordLayout == first
                    || ($0.recordLayout.sampleIDFields == first.sampleIDFields
                        && $0.recordLayout.sampleIDAll == first.sampleIDAll && first.sampleType.contains(.identifier))
            },
            "events sharing a ring buffer need one sample_id layout, and identifiers when their samples differ")
        self.init(configuration: configurations[0], dataPages: dataPages, cpus: cpus, sysctl: sysctl)
        companionConfigurations = Array(configurations.dropFirst())
    }

    /// Opens the companion events of one (thread, CPU) and sends them into `ringEvent`'s buffer.
    private func openCompanions(
        tid: Int32, cpu: Int, main: PerfEvent, ringEvent: PerfEvent, into opened: inout [PerfEvent]
    ) throws(SamplingError) {
        guard !companionConfigurations.isEmpty else { return }
        configurationIndexByEventID[try main.id()] = 0
        for (index, companion) in companionConfigurations.enumerated() {
            let event = try PerfEvent.open(companion, tid: tid, cpu: Int32(cpu), sysctl: sysctl)
            try event.redirectOutput(to: ringEvent)
            let id = try event.id()
            configurationIndexByEventID[id] = index + 1
            if companion.recordLayout != configuration.recordLayout {
                decoder.sampleLayouts[id] = companion.recordLayout
            }
            opened.append(event)
        }
    }

    /// Opens events for one thread on every CPU.
    ///
    /// Throws: the `SamplingError` of the first failed perf_event_open or mmap.
    public func attach(thread tid: Int32) throws(SamplingError) {
        guard !attachedThreads.contains(tid) else { return }
        var opened: [PerfEvent] = []
        for cpu in cpus {
            let event = try PerfEvent.open(configuration, tid: tid, cpu: Int32(cpu), sysctl: sysctl)
            let ringEvent: PerfEvent
            if let existing = rings.first(where: { $0.cpu == cpu }) {
                try event.redirectOutput(to: existing.event)
                ringEvent = existing.event
            } else {
                let ring = try RingBuffer(event: event, dataPages: dataPages, sysctl: sysctl)
                rings.append((cpu, event, ring))
                ringEvent = event
            }
            opened.append(event)
            try openCompanions(tid: tid, cpu: cpu, main: event, ringEvent: ringEvent, into: &opened)
        }
        events.append(contentsOf: opened)
        attachedThreads.insert(tid)
    }

    /// Opens one event per CPU that samples every task running there (pid -1: system-wide, as
    /// `perf record -a`), the idle task included. Needs CAP_PERFMON (or CAP_SYS_ADMIN), or
    /// kernel.perf_event_paranoid ≤ 0; the configuration should not inherit.
    ///
    /// Throws: the `SamplingError` of the first failed perf_event_open or mmap.
    public func attachAllTasks() throws(SamplingError) {
        for cpu in cpus where !rings.contains(where: { $0.cpu == cpu }) {
            let event = try PerfEvent.open(configuration, tid: -1, cpu: Int32(cpu), sysctl: sysctl)
            let ring = try RingBuffer(event: event, dataPages: dataPages, sysctl: sysctl)
            rings.append((cpu, event, ring))
            events.append(event)
        }
    }

    /// Opens events for every thread of a process, rescanning /proc/PID/task until no new
    /// thread appears (a thread created by a not-yet-attached thread would be missed
    /// otherwise). Threads that exit while we attach are skipped.
    ///
    /// Throws: `.noSuchProcess` if the process is gone; other errors of `attach(thread:)`.
    public func attach(process pid: Int32) throws(SamplingError) {
        var rounds = 0
        while true {
            let tids: [Int32]
            do {
                tids = try ProcFS.threads(of: pid)
            } catch let error where error.kind == .noSuchProcess && !attachedThreads.isEmpty {
                break  // it exited after we attached to some of it: the recording ends as usual
            }
            let fresh = tids.filter { !attachedThreads.contains($0) }
            if fresh.isEmpty || rounds > 50 { break }
            rounds += 1
            for tid in fresh {
                do {
                    try attach(thread: tid)
                } catch let error where error.kind == .noSuchProcess && tid != pid {
                    continue  // the thread exited between listing and opening
                }
            }
        }
        if !attachedThreads.contains(pid) && !ProcFS.exists(pid) {
            throw SamplingError(.noSuchProcess, operation: "attaching to process \(pid)", explanation: "It exited.")
        }
    }

    /// Enables every event. The corresponding call is `ioctl(PERF_EVENT_IOC_ENABLE)`.
    public func enable() { for e in events { e.enable() } }

    /// Disables every event, so nothing more is written after the end of a recording.
    public func disable() { for e in events { e.disable() } }

    /// Starts a thread that copies the rings' records into memory as soon as the kernel wakes it
    /// (each event's wakeup watermark) or every 5 ms, so the rings are emptied while the caller
    /// is busy with the records it has; `drain` and `wait` then work on the copies. Call it
    /// after attaching (buffers mapped later are read by `drain` directly).
    ///
    /// - Parameter maxQueuedBytes: the most copied, not yet drained bytes; beyond that the thread
    ///   drops what it copies and counts it (`readerStatistics`).
    /// - Throws: `.systemCall` when the thread cannot be started; the session then works as before.
    public func startReading(maxQueuedBytes: Int = PerfSession.defaultMaxQueuedBytes()) throws(SamplingError) {
        guard reader == nil, !rings.isEmpty else { return }
        let reader = try RingReader(rings: rings.map { ($0.event.fd, $0.ring) }, maxQueuedBytes: maxQueuedBytes)
        try reader.start()
        self.reader = reader
        readerRingCount = rings.count
        readerRunning = true
    }

    /// Stops the reading thread (records it copied and those still in the rings are drained by
    /// the next `drain`). Idempotent.
    public func stopReading() {
        reader?.stop()
        readerRunning = false
    }

    /// What the reading thread saw: the most bytes it held for `drain` at once, its limit, the
    /// passes that found it holding that limit, and the records it dropped then (emptied from
    /// the rings and not kept). Nil without the thread.
    public var readerStatistics: (peakQueuedBytes: Int, maxQueuedBytes: Int, fullPasses: Int, droppedRecords: Int)? {
        reader.map {
            let s = $0.statistics
            return (s.peakBytes, $0.maxQueuedBytes, s.fullPasses, s.droppedRecords)
        }
    }

    /// The default bound on copied records: 256 MiB, or an eighth of the memory available now
    /// (/proc/meminfo MemAvailable) when that is less, but at least 32 MiB. The bound also caps
    /// the work left when the recording ends.
    public static func defaultMaxQueuedBytes() -> Int {
        let available = ProcFS.memoryAvailableBytes() ?? 0
        return min(max(available / 8, 32 << 20), 256 << 20)
    }

    // The reading thread holds the buffers until it is stopped.
    deinit { reader?.stop() }

    /// Closes every event and unmaps the buffers (also done on deinit).
    public func close() {
        stopReading()
        reader = nil
        disable()
        rings.removeAll()
        events.removeAll()
    }

    /// What ended a wait.
    public enum WaitResult: Sendable, Equatable {
        /// A ring buffer reached its watermark.
        case data
        /// One of the extra descriptors is readable.
        case extraReadable(Int32)
        case timeout
    }

    /// Waits until a buffer passes its watermark, an extra descriptor is readable, or the
    /// timeout passes. The corresponding system call is `poll`. Buffers whose event hung up
    /// (its thread exited) are no longer polled, but are still drained.
    public func wait(timeoutMilliseconds: Int32, extraFDs: [Int32] = []) -> WaitResult {
        var fds: [pollfd] = []
        if readerRunning, let reader {
            // The reading thread owns the rings; it says when it copied something.
            fds.append(pollfd(fd: reader.dataFD, events: Int16(POLLIN), revents: 0))
            for fd in extraFDs { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
            if n <= 0 { return .timeout }
            for p in fds.dropFirst() where p.revents & Int16(POLLIN) != 0 { return .extraReadable(p.fd) }
            return fds[0].revents & Int16(POLLIN) != 0 ? .data : .timeout
        }
        for r in rings where !hungUp.contains(r.event.fd) {
            fds.append(pollfd(fd: r.event.fd, events: Int16(POLLIN), revents: 0))
        }
        for fd in extraFDs { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if n <= 0 { return .timeout }
        var result = WaitResult.timeout
        for p in fds {
            if extraFDs.contains(p.fd), p.revents & Int16(POLLIN) != 0 { return .extraReadable(p.fd) }
            if p.revents & Int16(POLLHUP | POLLERR) != 0 { hungUp.insert(p.fd) }
            if p.revents & Int16(POLLIN) != 0 { result = .data }
        }
        return result
    }

    /// Bytes waiting in all buffers.
    public var pendingBytes: Int {
        guard !readerRunning else { return 0 }
        return rings.reduce(0) { $0 + $1.ring.pendingBytes }
    }

    /// Decodes every pending record of every buffer and hands it to `body`, buffer by buffer.
    /// Records that fail to decode are counted in `decodeErrors`.
    ///
    /// With the reading thread, `maxCopiedBytes` bounds how much of its copies one call takes
    /// (so a caller that falls behind still gets back to its loop); `completeBefore` then moves
    /// only when the copies were all taken.
    ///
    /// - Returns: the number of records read.
    @discardableResult
    public func drain(maxCopiedBytes: Int = .max, _ body: (PerfRecord) -> Void) -> Int {
        var total = 0
        let start = MonotonicTime.nanoseconds()
        if let reader {
            let (chunks, before) = reader.take(maxBytes: readerRunning ? maxCopiedBytes : .max)
            hasBacklog = before == nil
            if !readerRunning {
                completeBefore = start
            } else if let before {
                completeBefore = before
            }
            for chunk in chunks {
                total += chunk.bytes.withUnsafeBytes { bytes in
                    RingBuffer.walkRecords(bytes) { record in
                        do {
                            body(try decoder.decode(record))
                        } catch {
                            decodeErrors += 1
                        }
                    }
                }
            }
        }
        if reader == nil { completeBefore = start }
        for (index, r) in rings.enumerated() where !(readerRunning && index < readerRingCount) {
            total += r.ring.drain { bytes in
                do {
                    body(try decoder.decode(bytes))
                } catch {
                    decodeErrors += 1
                }
            }
        }
        return total
    }
}
