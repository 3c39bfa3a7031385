// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling
import SFlameSymbolication

#if canImport(Glibc)
import Glibc
#endif

/// Why a recording ended.
public enum RecordingEnd: Hashable, Sendable {
    /// The requested duration passed.
    case duration
    /// A stop signal (SIGINT, SIGTERM, SIGHUP) arrived; the number is the signal.
    case signal(Int32)
    /// Every target process exited.
    case targetExited
}

/// Progress of a running recording, for the one-line display.
public struct RecordingProgress: Sendable {
    public var elapsedSeconds: Double
    public var samples: Int
    public var lost: UInt64
}

/// A finished recording.
public struct Recording: Sendable {
    /// The profile: sample types `samples/count` and `cpu/nanoseconds` (or the event's unit),
    /// labels pid, tid, thread_name, process_name.
    public var profile: Profile
    public var stats: SamplingStats
    public var quality: UnwindQuality
    public var end: RecordingEnd
    public var durationSeconds: Double
    /// One-line notices for the user (fallbacks taken).
    public var notices: [String]
    /// The profiled processes.
    public var targets: [Int32]
    /// The launched command, when `record -- CMD` was used and it has exited.
    public var commandExit: ChildExitStatus?
    /// The sampler that recorded (`.ptrace` also after a fallback).
    public var sampler: Sampler = .perf
    /// The ptrace sampler's stop cost and events; nil for the perf sampler.
    public var stopCost: StopCostSummary?
    public var tracerEvents: TracerEvents?
}

/// Records a CPU profile: opens perf events on the targets, reads the ring buffers until the
/// end condition, then symbolizes into a `Profile`.
///
/// Never stops or signals the target: perf_event sampling is read-only.
@available(*, noasync, message: "blocks the calling thread for the whole recording")
public final class Recorder {
    public let options: RecordOptions
    var notices: [String] = []
    var child: SuspendedChild?
    var callGraph = CallGraphSetup.Decision(usesDwarf: false, stackBytes: 0)
    /// Shared by the call-graph decision and the final symbolization, so modules load once.
    private lazy var symbolizer = Symbolizer(options: SymbolizerOptions(debugInfoPaths: options.debugInfoPaths))
    /// The files of the targets' modules (containers, deleted and replaced binaries).
    let moduleFiles = ModuleFiles()
    /// Why perf_event_open was refused, when the ptrace sampler may be tried instead.
    private var perfRefusal: SamplingError?
    /// Ends the recording from another thread instead of SIGINT/SIGTERM/SIGHUP; with it, `run`
    /// installs no signal handler (service mode). Default nil: the stop signals end it.
    public var stopRequest: StopRequest?

    public init(options: RecordOptions) {
        self.options = options
    }

    /// Checks that a pid can be profiled: it exists, is not a kernel thread, not a zombie.
    ///
    /// Throws: `.noSuchProcess`, `.unsupportedTarget`.
    public static func validate(pid: Int32) throws(RecordError) {
        let stat: ProcStat
        do {
            stat = try ProcFS.stat(pid: pid)
        } catch {
            throw RecordError(
                .noSuchProcess, "No process with PID \(pid) (/proc/\(pid) does not exist). Check the PID with `ps -p \(pid)`.")
        }
        if stat.isKernelThread {
            throw RecordError(
                .unsupportedTarget,
                "PID \(pid) (\(stat.comm)) is a kernel thread: it has no user space to profile. Profile it system-wide "
                    + "with `sflame record -a` (kernel threads appear there under their own roots), or pick a user process.")
        }
        if stat.isZombie {
            throw RecordError(
                .unsupportedTarget,
                "PID \(pid) (\(stat.comm)) is a zombie (state \(stat.state)): it has exited and waits for its parent "
                    + "(PID \(stat.parentPID)) to reap it. There is nothing left to profile.")
        }
    }

    /// Runs the recording to its end.
    ///
    /// - Parameter progress: called about four times a second from the calling thread.
    /// - Throws: `RecordError` when the recording cannot start. Once started, problems are
    ///   counted in `SamplingStats` and the recording ends normally.
    public func run(progress: (RecordingProgress) -> Void = { _ in }) throws(RecordError) -> Recording {
        let signals: StopSignals
        if let stopRequest {
            signals = StopSignals(request: stopRequest)
        } else {
            do { signals = try StopSignals() } catch { throw RecordError(error) }
        }
        if options.sampler == .ptrace { return try runPtrace(signals: signals, progress: progress) }
        let session: PerfSession, targets: [Int32], maxDepth: Int
        do {
            (session, targets, maxDepth) = try openSession()
        } catch let error {
            guard let refusal = perfRefusal, options.fallsBackToPtrace else { throw error }
            return try runPtrace(signals: signals, fallingBackFrom: refusal, progress: progress)
        }
        let offCPU: OffCPUSession?
        do {
            offCPU = options.offCPU ? try openOffCPU(targets: targets) : nil
        } catch let error {
            session.close()
            if options.fallsBackToPtrace && PtraceFallback.applies(to: error) {
                return try runPtrace(signals: signals, fallingBackFrom: error, progress: progress)
            }
            child = nil
            throw RecordError(error)
        }
        var state = RecordingState(
            targets: Set(targets), includeKernel: options.includeKernel && !session.configuration.excludeKernel,
            maxCallchainDepth: maxDepth)
        if callGraph.usesDwarf {
            let dwarf = DwarfUnwinding(
                unwinder: options.unwinder, stackBytes: callGraph.stackBytes,
                registerMask: session.configuration.userRegisterMask, debugInfoPaths: options.debugInfoPaths)
            dwarf.stackTop = CallGraphSetup.stackTopReader()
            state.dwarf = dwarf
        }
        let refresher = MappingRefresher()
        state.refreshMappings = { refresher.refresh(pid: $0) }
        configureTargets(&state)
        for pid in targets {
            if let maps = try? ProcFS.maps(pid: pid) { state.load(pid: pid, mappings: maps) }
            state.processNames[pid] = ProcFS.processName(pid: pid)
            for tid in (try? ProcFS.threads(of: pid)) ?? [] {
                state.threadNames[tid] = ProcFS.threadName(pid: pid, tid: tid)
                state.threadProcess[tid] = pid
            }
        }
        let wallStart = WallClock.nanoseconds()
        let start = MonotonicClock.seconds()
        if let child {
            do { try child.resume(commandName: commandName) } catch {
                session.close()
                throw RecordError(error)
            }
        } else {
            session.enable()
            offCPU?.enable()
        }
        let ordered = state.followsForks || state.isSystemWide ? TimeOrderedDrain() : nil
        let end = loop(
            session: session, offCPU: offCPU, state: &state, signals: signals, start: start, ordered: ordered,
            progress: progress)
        // The recording's length; handling the copies left over below is not part of it.
        let duration = MonotonicClock.seconds() - start
        session.disable()
        if let ordered { ordered.drain(session, into: &state, final: true) } else { session.drain { state.apply($0) } }
        state.stats.decodeErrors = session.decodeErrors
        session.close()
        offCPU?.finish(into: &state)
        progress(RecordingProgress(elapsedSeconds: duration, samples: state.stats.samples, lost: state.stats.lost))

        let vdso = VDSOFile.substitute(in: &state)
        defer { withExtendedLifetime(vdso) {} }
        let assembler = ProfileAssembler(
            state: state, event: session.configuration.event, frequencyHz: options.frequencyHz,
            debugInfoPaths: options.debugInfoPaths, symbolizer: symbolizer, mode: offCPU == nil ? .onCPU : .offCPU)
        let (profile, quality) = assembler.assemble(wallStartNanos: wallStart, durationSeconds: duration)
        return Recording(
            profile: profile, stats: state.stats, quality: quality, end: end, durationSeconds: duration,
            notices: notices + targetNotices(state), targets: recordedProcesses(state, targets: targets),
            commandExit: child?.wait(blocking: false))
    }

    /// Waits for the launched command to exit after the recording ended, unless a stop signal
    /// arrives; never signals it. Nil when nothing was launched or it is still running.
    public func waitForCommand() -> ChildExitStatus? {
        child?.waitForExitUnlessStopped()
    }

    /// The pid of the launched command, if any.
    public var commandPID: Int32? { child?.pid }

    private var commandName: String {
        if case .command(let args) = options.target { return args.first ?? "" }
        return ""
    }

    private func loop(
        session: PerfSession, offCPU: OffCPUSession?, state: inout RecordingState, signals: StopSignals, start: Double,
        ordered: TimeOrderedDrain?, progress: (RecordingProgress) -> Void
    ) -> RecordingEnd {
        var lastProgress = 0.0
        var lastLivenessCheck = 0.0
        while true {
            // Off-CPU buffers are not polled here (a thread of their own empties them); their
            // copies are handled every 25 ms, at once while some are left from the last turn.
            let timeout: Int32 = offCPU == nil ? 100 : offCPU!.isBehind ? 0 : 25
            _ = session.wait(timeoutMilliseconds: timeout, extraFDs: [signals.wakeFD])
            if let ordered { ordered.drain(session, into: &state) } else { session.drain { state.apply($0) } }
            offCPU?.drain(into: &state)
            let now = MonotonicClock.seconds()
            if now - lastProgress >= 0.25 {
                lastProgress = now
                progress(RecordingProgress(elapsedSeconds: now - start, samples: state.stats.samples, lost: state.stats.lost))
            }
            if let s = signals.received { return .signal(s) }
            if let d = options.durationSeconds, now - start >= d { return .duration }
            if now - lastLivenessCheck >= 0.1 {
                lastLivenessCheck = now
                if targetsExited(state: state) { return .targetExited }
            }
        }
    }

    private func targetsExited(state: RecordingState) -> Bool {
        if state.isSystemWide { return false }
        if let child { return child.wait(blocking: false) != nil }
        for pid in state.targets {
            if state.exited.contains(pid) { continue }
            guard let stat = try? ProcFS.stat(pid: pid) else { continue }
            if !stat.isZombie { return false }
        }
        return true
    }

    /// Opens the events, with the fallbacks: hardware → cpu-clock, kernel → user only.
    private func openSession() throws(RecordError) -> (PerfSession, [Int32], Int) {
        let maxDepth = Sysctl.system.perfEventMaxStack ?? 127
        var configuration = PerfEventConfiguration(
            event: options.event, frequencyHz: options.frequencyHz, excludeKernel: !options.includeKernel)
        var targets: [Int32]
        switch options.target {
        case .processes(let given):
            let pids = Recorder.uniqueProcesses(given)
            for pid in pids { try Self.validate(pid: pid) }
            targets = pids
        case .command(let args):
            do { child = try SuspendedChild(arguments: args) } catch { throw RecordError(error) }
            targets = [child!.pid]
            configuration.enableOnExec = true
        case .systemWide:
            targets = []
            // CPU-wide events see every task; nothing to inherit.
            configuration.inherit = false
        }
        callGraph = CallGraphSetup.decide(
            options.callGraph, unwinder: options.unwinder, target: options.target,
            commandPath: options.commandExecutablePath, symbolizer: symbolizer, moduleFiles: moduleFiles)
        if let notice = callGraph.notice { notices.append(notice) }
        var dataPages = options.bufferPages
        if callGraph.usesDwarf {
            CallGraphSetup.configure(&configuration, stackBytes: callGraph.stackBytes)
            dataPages = CallGraphSetup.dwarfBufferPages(
                stackBytes: callGraph.stackBytes, frequencyHz: options.frequencyHz, minimum: options.bufferPages)
        }
        while true {
            let session = PerfSession(configuration: configuration, dataPages: dataPages)
            do {
                for pid in targets {
                    if child != nil { try session.attach(thread: pid) } else { try session.attach(process: pid) }
                }
                if case .systemWide = options.target { try session.attachAllTasks() }
                return (session, targets, maxDepth)
            } catch let error {
                session.close()
                if error.kind == .unsupportedEvent, case .hardware = configuration.event {
                    notices.append(
                        "\(configuration.event) is not supported on this machine (\(error.errno.map(ErrnoName.name) ?? "error")); "
                            + "falling back to cpu-clock.")
                    configuration.event = .cpuClock
                    continue
                }
                if error.kind == .permissionDenied && error.operation.hasPrefix("mmap") && dataPages > options.bufferPages {
                    // Large DWARF buffers can exceed kernel.perf_event_mlock_kb without privileges.
                    dataPages /= 2
                    if dataPages <= options.bufferPages {
                        notices.append(
                            "ring buffers limited to \(dataPages * 4) KiB per CPU (kernel.perf_event_mlock_kb = "
                                + "\(Sysctl.system.perfEventMlockKB.map(String.init) ?? "?")); DWARF samples may be lost "
                                + "at high frequencies. Run as root or raise the setting.")
                    }
                    continue
                }
                if error.kind == .permissionDenied && !configuration.excludeKernel {
                    notices.append(
                        "Kernel sampling is not permitted (kernel.perf_event_paranoid = "
                            + "\(Sysctl.system.perfEventParanoid.map(String.init) ?? "?")); recording user space only.")
                    configuration.excludeKernel = true
                    continue
                }
                if options.fallsBackToPtrace && PtraceFallback.applies(to: error) { perfRefusal = error } else { child = nil }
                throw RecordError(error)
            }
        }
    }
}

/// CLOCK_MONOTONIC in seconds.
enum MonotonicClock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// CLOCK_REALTIME in nanoseconds since the UNIX epoch.
enum WallClock {
    static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
