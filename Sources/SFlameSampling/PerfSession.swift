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

    /// Opens events for every thread of a process, rescanning /proc/PID/task until no new
    /// thread appears (a thread created by a not-yet-attached thread would be missed
    /// otherwise). Threads that exit while we attach are skipped.
    ///
    /// Throws: `.noSuchProcess` if the process is gone; other errors of `attach(thread:)`.
    public func attach(process pid: Int32) throws(SamplingError) {
        var rounds = 0
        while true {
            let tids = try ProcFS.threads(of: pid)
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

    /// Closes every event and unmaps the buffers (also done on deinit).
    public func close() {
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
    public var pendingBytes: Int { rings.reduce(0) { $0 + $1.ring.pendingBytes } }

    /// Decodes every pending record of every buffer and hands it to `body`, buffer by buffer.
    /// Records that fail to decode are counted in `decodeErrors`.
    ///
    /// - Returns: the number of records read.
    @discardableResult
    public func drain(_ body: (PerfRecord) -> Void) -> Int {
        var total = 0
        for r in rings {
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
