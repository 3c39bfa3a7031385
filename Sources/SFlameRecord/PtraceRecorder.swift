// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling
import SFlameUnwind

/// Records a wall-clock profile with the ptrace sampler (`--sampler ptrace`, or the fallback
/// when perf_event_open is refused).
///
/// At every tick (1/frequency) each thread of the targets is, in turn: its state read from
/// /proc/PID/task/TID/stat, stopped with PTRACE_INTERRUPT, unwound from its live registers and
/// memory (libunwind-ptrace, `LiveUnwinder`), and resumed. Each sample weighs the wall time
/// since that thread's previous sample, so the profile sums to each thread's traced time,
/// running or waiting; waiting states end the stack in a marker frame (`[sleeping]`, `[disk]`…).
/// Stacks are user space only (the kernel part of a blocked thread is not read).
///
/// Detaches on every path: normal end, target exit, stop signals and errors (`ThreadTracer`);
/// if sflame itself dies, the kernel detaches.
@available(*, noasync, message: "blocks the calling thread for the whole recording")
final class PtraceRecorder {
    let options: RecordOptions
    let child: SuspendedChild?
    private var state: RecordingState
    private var unwinders: [Int32: LiveUnwinder] = [:]
    /// Each thread's last unwound stack, for samples of a thread still blocked at the same place.
    private var lastStacks: [Int32: PerfSample] = [:]
    /// Frames collected at most per stack; deeper stacks are cut at the root end.
    static let maxFrames = 1024

    init(options: RecordOptions, child: SuspendedChild?) {
        self.options = options
        self.child = child
        // No kernel frames: the ptrace sampler reads user registers and memory only.
        self.state = RecordingState(targets: [], includeKernel: false, maxCallchainDepth: Self.maxFrames + 1)
    }

    func run(signals: StopSignals, notices: [String], progress: (RecordingProgress) -> Void) throws(RecordError)
        -> Recording
    {
        let targets: [Int32]
        switch options.target {
        case .processes(let given):
            let pids = Recorder.uniqueProcesses(given)
            for pid in pids { try Recorder.validate(pid: pid) }
            targets = pids
        case .command:
            guard let child else { throw RecordError(.launchFailed, "no command to launch") }
            targets = [child.pid]
        case .systemWide:
            throw RecordError(
                .unsupportedTarget,
                "System-wide recording (-a) needs the perf sampler: ptrace can stop only processes it attaches to "
                    + "one by one. Give the processes with --pid, or allow perf_event_open (root, or "
                    + "kernel.perf_event_paranoid ≤ 0).")
        }
        let tracer: ThreadTracer
        do {
            tracer = try ThreadTracer()
            for pid in targets {
                if child != nil { try tracer.seize(thread: pid, process: pid) } else { try tracer.seize(process: pid) }
            }
        } catch {
            throw RecordError(error)
        }
        defer { tracer.detachAll() }
        prepare(targets: targets, tracer: tracer)

        let wallStart = WallClock.nanoseconds()
        let start = MonotonicClock.seconds()
        if let child {
            do { try child.resume(commandName: options.commandName) } catch { throw RecordError(error) }
        }
        tracer.resetClocks()
        let end = loop(tracer: tracer, signals: signals, start: start, progress: progress)
        refreshThreadNames()
        tracer.detachAll()
        let duration = MonotonicClock.seconds() - start
        if let child, let status = tracer.exitedProcesses[child.pid] { child.noteExit(status) }
        progress(RecordingProgress(elapsedSeconds: duration, samples: state.stats.samples, lost: 0))

        var assembler = ProfileAssembler(
            state: state, event: .cpuClock, frequencyHz: options.frequencyHz, debugInfoPaths: options.debugInfoPaths)
        assembler.mode = .wallClock
        let (profile, quality) = assembler.assemble(wallStartNanos: wallStart, durationSeconds: duration)
        var recording = Recording(
            profile: profile, stats: state.stats, quality: quality, end: end, durationSeconds: duration,
            notices: notices, targets: targets, commandExit: child?.wait(blocking: false))
        recording.sampler = .ptrace
        recording.stopCost = tracer.stopCost
        recording.tracerEvents = tracer.events
        return recording
    }

    private func prepare(targets: [Int32], tracer: ThreadTracer) {
        state.targets = Set(targets)
        state.moduleFiles = ModuleFiles()
        let refresher = MappingRefresher()
        state.refreshMappings = { refresher.refresh(pid: $0) }
        for pid in targets { loadProcess(pid) }
        tracer.onExec = { [unowned self] pid in
            self.unwinders[pid]?.flushCaches()
            self.lastStacks = self.lastStacks.filter { self.state.threadProcess[$0.key] != pid }
            self.loadProcess(pid)
        }
        tracer.onThreadExit = { [unowned self] pid, tid in
            self.unwinders[pid]?.forget(thread: tid)
            self.lastStacks[tid] = nil
        }
        tracer.onNewThread = { [unowned self] pid, tid in
            self.state.threadProcess[tid] = pid
            if let name = ProcFS.threadName(pid: pid, tid: tid) { self.state.threadNames[tid] = name }
        }
    }

    private func loadProcess(_ pid: Int32) {
        if let maps = try? ProcFS.maps(pid: pid) { state.load(pid: pid, mappings: maps) }
        state.processNames[pid] = ProcFS.processName(pid: pid) ?? state.processNames[pid]
        for tid in (try? ProcFS.threads(of: pid)) ?? [] {
            if let name = ProcFS.threadName(pid: pid, tid: tid) { state.threadNames[tid] = name }
            state.threadProcess[tid] = pid
        }
    }

    /// Threads often get their names after they start: names are read again four times a
    /// second (outside the stops) and at the end.
    private func refreshThreadNames() {
        for (tid, pid) in state.threadProcess {
            if let name = ProcFS.threadName(pid: pid, tid: tid) { state.threadNames[tid] = name }
        }
    }

    private func loop(
        tracer: ThreadTracer, signals: StopSignals, start: Double, progress: (RecordingProgress) -> Void
    ) -> RecordingEnd {
        let period = UInt64(1_000_000_000 / max(options.frequencyHz, 1))
        var nextTick = MonotonicClock.nanoseconds() + period
        var lastProgress = 0.0
        while true {
            let now = MonotonicClock.nanoseconds()
            if now >= nextTick {
                tracer.sampleAll { self.record($0) }
                nextTick += period
                // A sweep longer than the period skips ticks instead of running back to back;
                // the weights (time since each thread's previous sample) stay right.
                let after = MonotonicClock.nanoseconds()
                if nextTick <= after { nextTick = after + period / 2 }
            }
            if let s = signals.received { return .signal(s) }
            let seconds = MonotonicClock.seconds()
            if let d = options.durationSeconds, seconds - start >= d { return .duration }
            if tracer.liveProcesses.isEmpty { return .targetExited }
            if seconds - lastProgress >= 0.25 {
                lastProgress = seconds
                refreshThreadNames()
                progress(RecordingProgress(elapsedSeconds: seconds - start, samples: state.stats.samples, lost: 0))
            }
            let current = MonotonicClock.nanoseconds()
            let wait = nextTick > current ? (nextTick - current) / 1_000_000 : 0
            tracer.pump(timeoutMilliseconds: Int32(min(wait, 100)), extraFDs: [signals.wakeFD]) { self.record($0) }
        }
    }

    /// Unwinds one stopped thread (or takes its previous stack when it stayed blocked at the
    /// same place) and adds the stack, weighted by its wall time.
    private func record(_ sample: TracedThreadSample) {
        let state = ThreadState(stateLetter: sample.stateLetter) ?? .unknown
        if sample.isRepeat {
            if let previous = lastStacks[sample.tid] {
                self.state.addSample(previous, threadState: state, weight: max(sample.weightNanos, 1))
            }
            return
        }
        let unwinder: LiveUnwinder
        if let existing = unwinders[sample.pid] {
            unwinder = existing
        } else {
            unwinder = LiveUnwinder(maxFrames: Self.maxFrames)
            unwinders[sample.pid] = unwinder
        }
        let chain = unwinder.unwind(thread: sample.tid)
        if case .initFailed = chain.end { return }
        if self.state.threadNames[sample.tid] == nil, let name = ProcFS.threadName(pid: sample.pid, tid: sample.tid) {
            self.state.threadNames[sample.tid] = name
        }
        // As a user-mode callchain: the first address is where the thread stopped, the rest are
        // return addresses (RecordingState moves those back into their call instructions).
        let perfSample = PerfSample(
            cpuMode: PerfRecordMisc.user, ip: chain.programCounters.first ?? 0, pid: sample.pid, tid: sample.tid,
            time: sample.time, period: sample.weightNanos,
            callchain: [PerfCallchainContext.user] + chain.programCounters)
        lastStacks[sample.tid] = perfSample
        self.state.addSample(perfSample, threadState: state, weight: max(sample.weightNanos, 1))
    }
}

extension RecordOptions {
    /// The launched command's name, or "".
    var commandName: String {
        if case .command(let args) = target { return args.first ?? "" }
        return ""
    }
}
