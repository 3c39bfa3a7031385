// SPDX-License-Identifier: Apache-2.0
internal import CShims
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// One thread sampled by the ptrace sampler. The thread is in a ptrace-stop while the
/// `ThreadTracer.sampleAll` body runs, so its registers and memory can be read.
public struct TracedThreadSample: Sendable {
    public var pid: Int32
    public var tid: Int32
    /// The state letter from /proc/PID/task/TID/stat, read just before the interrupt.
    public var stateLetter: Character
    /// Wall time this sample stands for: since the thread's previous sample (or since it was
    /// attached), nanoseconds.
    public var weightNanos: UInt64
    /// When the thread was seen stopped, CLOCK_MONOTONIC nanoseconds.
    public var time: UInt64
    /// The thread was not stopped: it stayed blocked in a system call at the same user stack
    /// pointer and program counter as at its previous sample, so its stack is that sample's.
    public var isRepeat: Bool = false
}

/// The ptrace wall-clock sampler's tracer: attaches to every thread of the targets with
/// PTRACE_SEIZE, stops each thread briefly per sample with PTRACE_INTERRUPT, and always
/// resumes and finally detaches them.
///
/// Guarantees (DESIGN.md "Never harm the target"):
/// - Signals that arrive for a traced thread are delivered (PTRACE_CONT with the signal).
/// - A group-stop (SIGSTOP, SIGTSTP…) is honoured with PTRACE_LISTEN: the thread stays stopped
///   until SIGCONT, as it would untraced; sampling it re-traps and listens again.
/// - New threads are followed (PTRACE_O_TRACECLONE), exec is reported as an event
///   (PTRACE_O_TRACEEXEC, never the legacy SIGTRAP), exits are reaped.
/// - Never PTRACE_O_EXITKILL: if sflame dies (even by SIGKILL) the kernel detaches and resumes
///   every tracee (kernel/ptrace.c, exit_ptrace), and a pending interrupt is cancelled.
/// - `detachAll()` (also run by deinit) interrupts and detaches every thread, passing on a
///   signal that was about to be delivered.
/// - A thread blocked in a system call at the same user stack pointer and program counter as
///   when it was last sampled (/proc/PID/task/TID/syscall) is not stopped again: its stack is
///   the same. Idle threads thus cost nothing after their first sample, and blocking calls that
///   a stop cuts short with EINTR (epoll_wait, sigtimedwait, semop…; signal(7), "Interruption of
///   system calls and library functions by stop signals") see it once per wait, not per sample.
///
/// Every request comes from the thread that attached (a ptrace rule), so this class is used
/// from one thread. It waits for each tracee by tid (waitpid with __WALL), never for "any
/// child", so it does not reap children it does not trace.
///
/// The corresponding system calls are `ptrace` (SEIZE, INTERRUPT, CONT, LISTEN, DETACH,
/// GETEVENTMSG), `waitpid` and `poll`; a SIGCHLD handler wakes the poll.
@available(*, noasync, message: "ptrace requests must come from the attaching thread")
public final class ThreadTracer {
    struct Thread {
        var pid: Int32
        var isInterruptPending = false
        var interruptTime: UInt64 = 0
        /// The sweep whose interrupt is pending.
        var sweep = 0
        var stateLetter: Character = "R"
        var isGroupStopped = false
        var lastSampleTime: UInt64
        /// Where the thread was blocked (user SP and PC from /proc/…/syscall) when it was last
        /// sampled with a stop, and where it was blocked before the pending interrupt.
        var sampledBlockedAt: BlockedSite? = nil
        var blockedAtInterrupt: BlockedSite? = nil
    }

    /// The user stack pointer and program counter of a thread blocked in a system call.
    struct BlockedSite: Hashable {
        var stackPointer: Substring
        var programCounter: Substring
    }

    private var threads: [Int32: Thread] = [:]
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let sysctl: Sysctl
    private var isDetached = false
    private var threadStopNanos: [UInt64] = []
    private var unwindStopNanos: [UInt64] = []
    private var sweepNanos: [UInt64] = []
    private var threadsPerSweep: [Int] = []
    /// The current sweep: its number, start, and interrupts not yet answered.
    private var sweep = (number: 0, start: UInt64(0), remaining: 0)
    /// Counts of signals, group-stops, clones, execs, exits, late stops and detaches.
    public private(set) var events = TracerEvents()
    /// Exit statuses of traced processes whose main thread exited (reaped here).
    public private(set) var exitedProcesses: [Int32: ChildExitStatus] = [:]
    /// Called after a traced process exec'ed (its mappings changed).
    public var onExec: ((Int32) -> Void)?
    /// Called when a thread is followed after creation: (pid, tid).
    public var onNewThread: ((Int32, Int32) -> Void)?
    /// Called when a traced thread exited: (pid, tid).
    public var onThreadExit: ((Int32, Int32) -> Void)?

    /// Installs the SIGCHLD wake-up. The corresponding calls are `pipe2` and `sigaction`.
    public init(sysctl: Sysctl = .system) throws(SamplingError) {
        let fds = try makeWakePipe(for: "the SIGCHLD wake-up")
        wakeRead = fds.read
        wakeWrite = fds.write
        self.sysctl = sysctl
        guard sflame_install_child_wake(wakeWrite) == 0 else {
            let code = errno
            close(wakeRead)
            close(wakeWrite)
            throw SamplingError(.systemCall, operation: "sigaction for SIGCHLD", errno: code)
        }
    }

    deinit {
        if !isDetached { detachAll() }
        sflame_restore_child_wake()
        close(wakeRead)
        close(wakeWrite)
    }

    // MARK: attaching

    /// Attaches to every thread of a process, rescanning /proc/PID/task until no new thread
    /// appears; threads created by attached threads are followed by the kernel.
    ///
    /// Throws: `.noSuchProcess` if the process is gone, `.permissionDenied` with the ptrace
    /// knobs (PtraceFailure) when the kernel refuses.
    public func seize(process pid: Int32) throws(SamplingError) {
        var rounds = 0
        while rounds < 50 {
            collectEvents()
            let listed: [Int32]
            do {
                listed = try ProcFS.threads(of: pid)
            } catch let error where error.kind == .noSuchProcess && !threads.isEmpty {
                break  // it exited after we seized some of it: the recording ends as usual
            }
            let fresh = listed.filter { threads[$0] == nil }
            if fresh.isEmpty { break }
            rounds += 1
            for tid in fresh {
                do {
                    try seize(thread: tid, process: pid)
                } catch let error where tid != pid && (error.kind == .noSuchProcess || isOurs(tid)) {
                    // Exited meanwhile, or already followed through a clone event of its creator.
                    if isOurs(tid) && threads[tid] == nil {
                        threads[tid] = Thread(pid: pid, lastSampleTime: Self.now())
                    }
                }
            }
        }
        if threads.values.allSatisfy({ $0.pid != pid }) {
            throw SamplingError(.noSuchProcess, operation: "attaching to process \(pid)", explanation: "It exited.")
        }
    }

    /// Attaches to one thread. The corresponding call is `ptrace(PTRACE_SEIZE)` with
    /// PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC.
    public func seize(thread tid: Int32, process pid: Int32) throws(SamplingError) {
        if sflame_ptrace(PtraceRequest.seize, tid, nil, UnsafeMutableRawPointer(bitPattern: PtraceRequest.seizeOptions))
            != 0
        {
            throw PtraceFailure.seizeError(errno: errno, pid: pid, tid: tid, sysctl: sysctl)
        }
        isDetached = false
        threads[tid] = Thread(pid: pid, lastSampleTime: Self.now())
    }

    private func isOurs(_ tid: Int32) -> Bool {
        PtraceFailure.tracerPID(of: tid) == getpid()
    }

    /// Threads attached and alive.
    public var threadCount: Int { threads.count }

    /// The processes that still have traced threads.
    public var liveProcesses: Set<Int32> { Set(threads.values.map(\.pid)) }

    /// Starts every thread's weight clock now (call when the recording starts).
    public func resetClocks() {
        let now = Self.now()
        for tid in threads.keys { threads[tid]?.lastSampleTime = now }
    }

    // MARK: sampling

    /// Starts a sample of every thread: reads each thread's state and interrupts it
    /// (PTRACE_INTERRUPT), all at once, so the threads stop in parallel rather than one after the
    /// other. Each thread is handed to `body` as soon as its stop is seen (here or in `pump`), and
    /// resumed right after. A thread whose previous interrupt is still pending (an
    /// uninterruptible wait, or no CPU to run on) is not interrupted again; its sample, when it
    /// comes, weighs all the time since its previous one.
    public func sampleAll(_ body: (TracedThreadSample) -> Void) {
        let start = Self.now()
        if sweep.remaining > 0 {
            // The previous sweep is still waiting for some threads: count it as long as it ran.
            events.lateStops += sweep.remaining
            sweepNanos.append(start - sweep.start)
        }
        sweep = (sweep.number + 1, start, 0)
        for tid in threads.keys.sorted() {
            guard var thread = threads[tid], !thread.isInterruptPending else { continue }
            guard let letter = Self.stateLetter(pid: thread.pid, tid: tid), letter != "Z", letter != "X" else {
                continue
            }
            let site = letter == "S" || letter == "D" ? Self.blockedSite(pid: thread.pid, tid: tid) : nil
            if let site, site == thread.sampledBlockedAt {
                let now = Self.now()
                events.repeats += 1
                threads[tid]?.lastSampleTime = now
                body(
                    TracedThreadSample(
                        pid: thread.pid, tid: tid, stateLetter: letter, weightNanos: now - thread.lastSampleTime,
                        time: now, isRepeat: true))
                continue
            }
            thread.blockedAtInterrupt = site
            thread.stateLetter = letter
            thread.interruptTime = Self.now()
            guard sflame_ptrace(PtraceRequest.interrupt, tid, nil, nil) == 0 else { continue }  // ESRCH: exiting
            thread.isInterruptPending = true
            thread.sweep = sweep.number
            threads[tid] = thread
            sweep.remaining += 1
        }
        if sweep.remaining > 0 { threadsPerSweep.append(sweep.remaining) }
        collectEvents(body)
    }

    /// Handles every event that is waiting (without blocking), sampling threads whose interrupt
    /// completed. Finds them with waitid(WNOWAIT) in O(events); when something else is waiting
    /// (a child that is not traced here, or a new thread not yet announced by its creator's clone
    /// event) it scans every traced thread instead.
    public func collectEvents(_ body: (TracedThreadSample) -> Void = { _ in }) {
        var budget = 4 * threads.count + 64
        while budget > 0 {
            budget -= 1
            let pid = sflame_wait_peek()
            if pid <= 0 { return }
            guard threads[pid] != nil else {
                scanAll(body)
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, __WALL | WNOHANG) == pid { handle(pid, status: status, body) }
        }
    }

    /// waitpid on every traced thread.
    private func scanAll(_ body: (TracedThreadSample) -> Void) {
        for tid in Array(threads.keys) {
            var rounds = 0
            while rounds < 8, threads[tid] != nil {
                rounds += 1
                var status: Int32 = 0
                let r = waitpid(tid, &status, __WALL | WNOHANG)
                if r == tid {
                    handle(tid, status: status, body)
                } else {
                    if r < 0 && errno == ECHILD { threads[tid] = nil }
                    break
                }
            }
        }
    }

    /// Waits until a tracee event arrives, an extra descriptor is readable or the timeout
    /// passes, then handles the events. Returns the readable extra descriptors.
    @discardableResult
    public func pump(
        timeoutMilliseconds: Int32, extraFDs: [Int32] = [], _ body: (TracedThreadSample) -> Void = { _ in }
    )
        -> [Int32]
    {
        collectEvents(body)
        let readable = waitForWake(timeoutMilliseconds: timeoutMilliseconds, extraFDs: extraFDs)
        collectEvents(body)
        return readable
    }

    /// poll(2) on the SIGCHLD pipe and `extraFDs`; drains the pipe.
    private func waitForWake(timeoutMilliseconds: Int32, extraFDs: [Int32]) -> [Int32] {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        for fd in extraFDs { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if n <= 0 { return [] }
        var byte = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &byte, byte.count) > 0 {}
        return fds.dropFirst().filter { $0.revents != 0 }.map(\.fd)
    }

    /// One waitpid status of a traced thread.
    private func handle(_ tid: Int32, status: Int32, _ body: (TracedThreadSample) -> Void) {
        guard let thread = threads[tid], let decoded = TraceeStatus(waitStatus: status) else { return }
        switch decoded {
        case .exited(let code):
            threadGone(tid, pid: thread.pid, status: .exited(code))
        case .killed(let signal):
            threadGone(tid, pid: thread.pid, status: .signaled(signal))
        case .eventStop(let signal):
            let isGroupStop = TraceeStatus.isStopSignal(signal)
            let now = Self.now()
            if thread.isInterruptPending {
                threads[tid]?.isInterruptPending = false
                threads[tid]?.lastSampleTime = now
                threads[tid]?.sampledBlockedAt = thread.blockedAtInterrupt
                body(
                    TracedThreadSample(
                        pid: thread.pid, tid: tid, stateLetter: isGroupStop ? "T" : thread.stateLetter,
                        weightNanos: now - thread.lastSampleTime, time: now))
            }
            if isGroupStop {
                if threads[tid]?.isGroupStopped == false { events.groupStops += 1 }
                threads[tid]?.isGroupStopped = true
                resume(tid, request: PtraceRequest.listen, signal: 0)
            } else {
                threads[tid]?.isGroupStopped = false
                resume(tid, request: PtraceRequest.cont, signal: 0)
            }
            if thread.isInterruptPending {
                let resumed = Self.now()
                threadStopNanos.append(resumed - thread.interruptTime)
                unwindStopNanos.append(resumed - now)
                if thread.sweep == sweep.number {
                    sweep.remaining -= 1
                    if sweep.remaining == 0 { sweepNanos.append(resumed - sweep.start) }
                }
            }
        case .cloneEvent:
            if let child = eventMessage(tid), child > 0, threads[Int32(child)] == nil {
                threads[Int32(child)] = Thread(pid: thread.pid, lastSampleTime: Self.now())
                events.threadsFollowed += 1
                onNewThread?(thread.pid, Int32(child))
            }
            resume(tid, request: PtraceRequest.cont, signal: 0)
        case .execEvent:
            // The exec'ing thread now has the process's pid; its former tid is gone silently.
            if let former = eventMessage(tid), Int32(former) != tid { threads[Int32(former)] = nil }
            events.execs += 1
            threads[tid]?.sampledBlockedAt = nil
            onExec?(thread.pid)
            resume(tid, request: PtraceRequest.cont, signal: 0)
        case .signalDelivery(let signal):
            events.signalsForwarded += 1
            resume(tid, request: PtraceRequest.cont, signal: signal)
        case .otherEvent:
            resume(tid, request: PtraceRequest.cont, signal: 0)
        }
    }

    private func threadGone(_ tid: Int32, pid: Int32, status: ChildExitStatus) {
        threads[tid] = nil
        events.threadExits += 1
        onThreadExit?(pid, tid)
        if tid == pid { exitedProcesses[pid] = status }
    }

    /// PTRACE_CONT / PTRACE_LISTEN / PTRACE_DETACH. ESRCH means the thread died meanwhile (its
    /// exit is reported later), which is not an error.
    private func resume(_ tid: Int32, request: Int32, signal: Int32) {
        _ = sflame_ptrace(request, tid, nil, UnsafeMutableRawPointer(bitPattern: Int(signal)))
    }

    /// PTRACE_GETEVENTMSG: the new tid of a clone event, the former tid of an exec event.
    private func eventMessage(_ tid: Int32) -> UInt? {
        var message: UInt = 0
        guard sflame_ptrace(PtraceRequest.getEventMessage, tid, nil, &message) == 0 else { return nil }
        return message
    }

    // MARK: detaching

    /// Detaches from every thread: interrupts each, waits for its stop and detaches it there,
    /// passing on a signal that was about to be delivered. A thread that stays in an
    /// uninterruptible wait past `timeoutSeconds` is left attached; the kernel releases it when
    /// sflame exits. Safe to call more than once.
    public func detachAll(timeoutSeconds: Double = 10) {
        if isDetached && threads.isEmpty { return }
        defer { isDetached = true }
        for tid in Array(threads.keys) where threads[tid]?.isInterruptPending == false {
            if sflame_ptrace(PtraceRequest.interrupt, tid, nil, nil) == 0 {
                threads[tid]?.isInterruptPending = true
            }
        }
        let deadline = Self.now() + UInt64(timeoutSeconds * 1e9)
        while !threads.isEmpty && Self.now() < deadline {
            var progressed = false
            for tid in Array(threads.keys) {
                var status: Int32 = 0
                let r = waitpid(tid, &status, __WALL | WNOHANG)
                if r == tid {
                    progressed = true
                    detachHandle(tid, status: status)
                } else if r < 0 && errno == ECHILD {
                    threads[tid] = nil
                } else if r == 0, threads[tid]?.isInterruptPending == false {
                    // Followed during the detach (a clone event): interrupt it too.
                    if sflame_ptrace(PtraceRequest.interrupt, tid, nil, nil) == 0 {
                        threads[tid]?.isInterruptPending = true
                    }
                }
            }
            if !progressed { _ = waitForWake(timeoutMilliseconds: 10, extraFDs: []) }
        }
        events.leftAttached = threads.count
        threads.removeAll()
    }

    private func detachHandle(_ tid: Int32, status: Int32) {
        guard let thread = threads[tid], let decoded = TraceeStatus(waitStatus: status) else { return }
        switch decoded {
        case .exited(let code): threadGone(tid, pid: thread.pid, status: .exited(code))
        case .killed(let signal): threadGone(tid, pid: thread.pid, status: .signaled(signal))
        case .signalDelivery(let signal):
            // Detach with the signal so it is delivered; our interrupt is cancelled by the detach.
            events.signalsForwarded += 1
            resume(tid, request: PtraceRequest.detach, signal: signal)
            threads[tid] = nil
            events.detached += 1
        case .cloneEvent:
            if let child = eventMessage(tid), child > 0, threads[Int32(child)] == nil {
                // The new thread is attached too; it reports its first stop, then is detached.
                threads[Int32(child)] = Thread(pid: thread.pid, isInterruptPending: true, lastSampleTime: 0)
            }
            resume(tid, request: PtraceRequest.detach, signal: 0)
            threads[tid] = nil
            events.detached += 1
        case .execEvent:
            if let former = eventMessage(tid), Int32(former) != tid { threads[Int32(former)] = nil }
            resume(tid, request: PtraceRequest.detach, signal: 0)
            threads[tid] = nil
            events.detached += 1
        case .eventStop, .otherEvent:
            // In a group-stop the kernel puts the thread back into it after the detach.
            resume(tid, request: PtraceRequest.detach, signal: 0)
            threads[tid] = nil
            events.detached += 1
        }
    }

    // MARK: measurements

    /// The stop cost so far.
    public var stopCost: StopCostSummary {
        StopCostSummary(
            threadStopNanos: threadStopNanos, stoppedNanos: unwindStopNanos, sweepNanos: sweepNanos,
            threadsPerSweep: threadsPerSweep)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Where a blocked thread waits: the user stack pointer and program counter, the last two
    /// fields of /proc/PID/task/TID/syscall (`NR ARG1…ARG6 SP PC`); nil when it is running or
    /// the file is unreadable. Source: proc(5), /proc/pid/syscall.
    static func blockedSite(pid: Int32, tid: Int32) -> BlockedSite? {
        guard let text = try? ProcFS.readText("\(ProcFS.root)/\(pid)/task/\(tid)/syscall") else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 9 else { return nil }
        return BlockedSite(stackPointer: fields[fields.count - 2], programCounter: fields[fields.count - 1])
    }

    /// The state letter of /proc/PID/task/TID/stat (the character after the command's closing
    /// parenthesis), or nil when the thread is gone.
    static func stateLetter(pid: Int32, tid: Int32) -> Character? {
        guard let bytes = try? ProcFS.readBytes("\(ProcFS.root)/\(pid)/task/\(tid)/stat"),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count
        else { return nil }
        return Character(UnicodeScalar(bytes[close + 2]))
    }
}
