// SPDX-License-Identifier: Apache-2.0
//
// Why a thread of its own: the kernel drops records (PERF_RECORD_LOST) as soon as a ring buffer
// is full, and a recorder that decodes, unwinds and pairs records between two reads of the rings
// leaves them full for as long as that work takes. With a DWARF stack copy per context switch
// (`--off-cpu`) or a record per allocator call (`mem --leaks`), a busy service fills a few MiB
// in well under that time. The reader only copies bytes out (two memcpys per ring) and goes back
// to waiting, so the rings are emptied promptly; the recorder decodes the copies at its own pace.
//
//   kernel ──► ring (per CPU) ──► reader thread: copy [tail, head) ──► queue ──► recorder
//                                 (poll: watermark or 5 ms)            (bounded; when full the
//                                                                       reader drops and counts
//                                                                       what it copies)
internal import CShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Copies the records of ring buffers into memory on a thread of its own, for a consumer on
/// another thread (`PerfSession.startReading`).
///
/// While the thread runs it alone moves the rings' tails; `stop()` joins it, after which the
/// owner may read the rings directly again.
final class RingReader: @unchecked Sendable {
    /// Copied ring contents: whole records, back to back, in the order the ring held them.
    struct Chunk {
        var bytes: [UInt8]
    }

    private struct Queue {
        var chunks: [Chunk] = []
        var bytes = 0
        var peakBytes = 0
        /// Passes that found the queue full, and the records they dropped then.
        var fullPasses = 0
        var droppedRecords = 0
        /// The start (CLOCK_MONOTONIC ns) of the latest pass that copied every ring: records
        /// stamped before it are in `chunks` or were taken.
        var completedPassStart: UInt64 = 0
    }

    // @unchecked Sendable: `rings` is only used by the reader thread between `start()` and
    // `stop()`; everything shared with the consumer is behind `queue` or atomic.
    private let rings: [RingBuffer]
    private let ringFDs: [Int32]
    private let queue = Mutex(Queue())
    private let stopping = Atomic<Bool>(false)
    /// Pipe read end: readable when chunks were queued since the consumer last took them.
    let dataFD: Int32
    private let dataWriteFD: Int32
    /// Pipe: its write makes the reader's poll return at once on `stop()`.
    private let stopReadFD: Int32
    private let stopWriteFD: Int32
    /// The most bytes the queue holds; beyond it records are dropped (and counted).
    let maxQueuedBytes: Int
    /// How long the thread sleeps at most between two passes over the rings, in milliseconds.
    let pollIntervalMilliseconds: Int32
    private var thread: pthread_t?

    /// - Parameters:
    ///   - rings: the buffers to read, with the descriptors of the events they belong to (polled
    ///     for their wakeup watermark).
    ///   - maxQueuedBytes: the bound on copied, not yet consumed bytes.
    init(rings: [(fd: Int32, ring: RingBuffer)], maxQueuedBytes: Int, pollIntervalMilliseconds: Int32 = 5)
        throws(SamplingError)
    {
        self.rings = rings.map(\.ring)
        self.ringFDs = rings.map(\.fd)
        self.maxQueuedBytes = maxQueuedBytes
        self.pollIntervalMilliseconds = pollIntervalMilliseconds
        let data = try makeWakePipe(for: "the ring reader")
        let stop: (read: Int32, write: Int32)
        do {
            stop = try makeWakePipe(for: "the ring reader")
        } catch {
            Glibc.close(data.read)
            Glibc.close(data.write)
            throw error
        }
        (dataFD, dataWriteFD) = data
        (stopReadFD, stopWriteFD) = stop
    }

    deinit {
        stop()
        for fd in [dataFD, dataWriteFD, stopReadFD, stopWriteFD] { Glibc.close(fd) }
    }

    /// Starts the thread.
    ///
    /// Throws: `.systemCall` when pthread_create fails (the caller keeps reading the rings itself).
    func start() throws(SamplingError) {
        precondition(thread == nil, "the reader runs already")
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(
            &handle, nil,
            { context in
                let reader = Unmanaged<RingReader>.fromOpaque(context!).takeRetainedValue()
                reader.run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<RingReader>.fromOpaque(context).release()
            throw SamplingError(.systemCall, operation: "pthread_create for the ring reader", errno: result)
        }
        thread = handle
    }

    /// Stops the thread and waits for it; records still in the rings stay there. Idempotent.
    func stop() {
        guard let handle = thread else { return }
        stopping.store(true, ordering: .releasing)
        var one: UInt8 = 1
        _ = write(stopWriteFD, &one, 1)
        pthread_join(handle, nil)
        thread = nil
    }

    /// Takes queued chunks, oldest first, until `maxBytes` are taken (at least one chunk), and,
    /// when that emptied the queue, the time before which every record has been copied
    /// (CLOCK_MONOTONIC ns; 0 before the first complete pass); nil when chunks remain.
    func take(maxBytes: Int = .max) -> (chunks: [Chunk], completeBefore: UInt64?) {
        var drained = [UInt8](repeating: 0, count: 256)
        while read(dataFD, &drained, drained.count) == drained.count {}
        let result = queue.withLock { q -> (chunks: [Chunk], completeBefore: UInt64?) in
            var taken = 0
            var bytes = 0
            while taken < q.chunks.count && (taken == 0 || bytes + q.chunks[taken].bytes.count <= maxBytes) {
                bytes += q.chunks[taken].bytes.count
                taken += 1
            }
            let chunks = Array(q.chunks[..<taken])
            q.chunks.removeFirst(taken)
            q.bytes -= bytes
            return (chunks, q.chunks.isEmpty ? q.completedPassStart : nil)
        }
        if result.completeBefore == nil {
            // Chunks remain: the consumer's next wait must not sleep.
            var one: UInt8 = 1
            _ = write(dataWriteFD, &one, 1)
        }
        return result
    }

    /// The most bytes the queue held at once, how often it was full, and the records dropped then.
    var statistics: (peakBytes: Int, fullPasses: Int, droppedRecords: Int) {
        queue.withLock { ($0.peakBytes, $0.fullPasses, $0.droppedRecords) }
    }

    private func run() {
        // Stop signals are for the recorder's thread (its poll wakes on their pipe).
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // How soon this thread runs after a wakeup decides whether the rings overflow on a busy
        // machine, and it only copies: a higher priority (nice -10) where permitted (root or
        // CAP_SYS_NICE); elsewhere the default stays.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(sflame_gettid()), -10)
        var hungUp = Set<Int32>()
        while !stopping.load(ordering: .acquiring) {
            var fds: [pollfd] = [pollfd(fd: stopReadFD, events: Int16(POLLIN), revents: 0)]
            for fd in ringFDs where !hungUp.contains(fd) {
                fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            }
            // The timeout bounds the delay for rings that do not wake us: events that hung up
            // (their thread exited) and rings below their watermark.
            _ = poll(&fds, nfds_t(fds.count), pollIntervalMilliseconds)
            for p in fds.dropFirst() where p.revents & Int16(POLLHUP | POLLERR) != 0 { hungUp.insert(p.fd) }
            if stopping.load(ordering: .acquiring) { break }
            pass()
        }
    }

    /// Copies what every ring holds. When the queue is full the ring is emptied all the same and
    /// its records are dropped and counted here: the kernel would drop them too, but it reports
    /// such a loss (PERF_RECORD_LOST) only when it next writes to the ring, which a recording
    /// that ends meanwhile never sees.
    private func pass() {
        let start = MonotonicTime.nanoseconds()
        var queued = false
        var scratch: [UInt8] = []
        for ring in rings where ring.pendingBytes > 0 {
            let room = queue.withLock { $0.bytes < maxQueuedBytes }
            guard room else {
                scratch.removeAll(keepingCapacity: true)
                ring.copyPending(into: &scratch)
                let dropped = scratch.withUnsafeBytes { RingBuffer.walkRecords($0) { _ in } }
                queue.withLock { q in
                    q.fullPasses += 1
                    q.droppedRecords += dropped
                }
                continue
            }
            var bytes: [UInt8] = []
            ring.copyPending(into: &bytes)
            guard !bytes.isEmpty else { continue }
            queue.withLock { q in
                q.bytes += bytes.count
                q.peakBytes = max(q.peakBytes, q.bytes)
                q.chunks.append(Chunk(bytes: bytes))
            }
            queued = true
        }
        queue.withLock { $0.completedPassStart = start }
        if queued {
            // A full pipe already says there is data.
            var one: UInt8 = 1
            _ = write(dataWriteFD, &one, 1)
        }
    }
}
