// SPDX-License-Identifier: Apache-2.0
import SFlameMemory
import SFlameProfile
import SFlameRecord
import SFlameRender
import SFlameSampling

/// How the agent records: the `record` options that apply to every request.
public struct AgentRecordingOptions: Sendable {
    /// Samples per second per thread (`--frequency`). Default 99, as `sflame record`.
    public var frequencyHz: UInt64 = 99
    /// How user stacks are recovered (`-g`). Default `.auto`, as `sflame record`.
    public var callGraph: CallGraph = .default
    /// Sample kernel stacks too. Default true (falls back to user space only where refused).
    public var includeKernel = true
    /// Extra directories to search for separate debug info.
    public var debugInfoPaths: [String] = []

    /// The defaults above.
    public init() {}

    /// The `RecordOptions` of `sflame record --pid PID -d SECONDS` with these settings.
    public func recordOptions(pid: Int32, seconds: Int) -> RecordOptions {
        var options = RecordOptions(
            target: .processes([pid]), frequencyHz: frequencyHz, durationSeconds: Double(seconds),
            includeKernel: includeKernel, debugInfoPaths: debugInfoPaths)
        options.callGraph = callGraph
        // No ptrace fallback: it would stop the target and answer with a wall-clock profile.
        options.fallsBackToPtrace = false
        return options
    }
}

/// The recordings behind the endpoints, each blocking its (dedicated) thread.
enum AgentRecorder {
    /// Checks that `pid` can be profiled (see `Recorder.validate`).
    ///
    /// Throws: `.notFound` when it is gone, `.badRequest` for a kernel thread or a zombie.
    static func validate(pid: Int32) throws(AgentError) {
        do { try Recorder.validate(pid: pid) } catch { throw AgentError(error) }
    }

    /// An on-CPU recording of `pid` for `seconds`, as `sflame record --pid PID -d SECONDS`;
    /// ends early when `stop` is requested. `samplingEnded` is called (maybe more than once)
    /// when sampling is over, before symbolization.
    ///
    /// Throws: `.notFound` when the process is gone, `.badRequest` for a kernel thread or a
    /// zombie, `.recordingFailed` when the events cannot be opened.
    @available(*, noasync, message: "blocks the calling thread for the whole recording")
    static func cpu(
        pid: Int32, seconds: Int, options: AgentRecordingOptions, stop: StopRequest, samplingEnded: () -> Void
    ) throws(AgentError) -> Recording {
        let recorder = Recorder(options: options.recordOptions(pid: pid, seconds: seconds))
        recorder.stopRequest = stop
        do {
            return try recorder.run { progress in
                if progress.elapsedSeconds >= Double(seconds) || stop.isRequested { samplingEnded() }
            }
        } catch {
            throw AgentError(error)
        }
    }

    /// An allocation profile of `pid` for `seconds`, as `sflame mem --alloc --pid PID -d SECONDS`.
    ///
    /// Throws: as `cpu`, and `.recordingFailed` when no allocator is found or probes are refused.
    @available(*, noasync, message: "blocks the calling thread for the whole recording")
    static func allocations(
        pid: Int32, seconds: Int, options: AgentRecordingOptions, stop: StopRequest, samplingEnded: () -> Void
    ) throws(AgentError) -> AllocationProfile {
        let profiler = AllocationProfiler(
            options: AllocationProfileOptions(
                target: .processes([pid]), kind: .allocations, durationSeconds: Double(seconds),
                debugInfoPaths: options.debugInfoPaths))
        profiler.stopRequest = stop
        do {
            let module = try profiler.locateAllocator()
            return try profiler.run(module: module, progress: { progress in
                if progress.elapsedSeconds >= Double(seconds) || stop.isRequested { samplingEnded() }
            })
        } catch {
            throw AgentError(error)
        }
    }

    /// The flame graph of a CPU recording, as `sflame record -o x.svg` draws it.
    ///
    /// Throws: `.recordingFailed` when there is nothing to draw (no samples).
    static func flameGraph(_ recording: Recording, pid: Int32, options: AgentRecordingOptions) throws(AgentError)
        -> [UInt8]
    {
        var graph = FlameGraphOptions()
        graph.title = "CPU flame graph"
        let name = ProcFS.processName(pid: pid).map { "\($0) " } ?? ""
        let seconds = (recording.durationSeconds * 10).rounded() / 10
        graph.subtitle = "\(name)(PID \(pid)) · cpu-clock at \(options.frequencyHz) Hz · \(seconds) s · sflame agent"
        graph.countName = "samples"
        do {
            return try FlameGraph.render(recording.profile.folded(), options: graph).svg
        } catch {
            throw AgentError(
                .recordingFailed,
                "no flame graph: \(error.description) (\(recording.stats.samples) samples; the process may have been "
                    + "idle: cpu-clock samples on-CPU time only).")
        }
    }
}

extension AgentError {
    init(_ error: RecordError) {
        switch error.kind {
        case .noSuchProcess: self.init(.notFound, error.message)
        case .unsupportedTarget: self.init(.badRequest, error.message)
        default: self.init(.recordingFailed, error.message)
        }
    }

    init(_ error: MemoryError) {
        switch error.kind {
        case .noSuchProcess: self.init(.notFound, error.description)
        case .unsupportedTarget: self.init(.badRequest, error.description)
        default: self.init(.recordingFailed, error.description)
        }
    }
}
