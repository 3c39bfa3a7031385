// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

extension Recorder {
    /// Records with the ptrace sampler: asked for, or after perf_event_open was refused
    /// (`fallingBackFrom`, announced in a notice; if ptrace fails too, the error names both).
    func runPtrace(
        signals: StopSignals, fallingBackFrom refusal: SamplingError? = nil, progress: (RecordingProgress) -> Void
    ) throws(RecordError) -> Recording {
        if let refusal { notices.append(PtraceFallback.notice(for: refusal)) }
        if options.offCPU && refusal == nil {
            notices.append(
                "--off-cpu is implied by the ptrace sampler: its wall-clock profile includes waiting threads.")
        }
        if child == nil, case .command(let args) = options.target {
            do { child = try SuspendedChild(arguments: args) } catch { throw RecordError(error) }
        }
        do {
            return try PtraceRecorder(options: options, child: child).run(
                signals: signals, notices: notices, progress: progress)
        } catch let error {
            child = nil
            guard let refusal else { throw error }
            throw PtraceFallback.combined(perf: refusal, ptrace: error)
        }
    }

    /// Opens the off-CPU events (`--off-cpu`) on the targets.
    func openOffCPU(targets: [Int32]) throws(SamplingError) -> OffCPUSession {
        let session = try OffCPUSession(
            targets: targets, launched: child != nil, dataPages: max(options.bufferPages, 256),
            dwarfStackBytes: callGraph.usesDwarf ? callGraph.stackBytes : nil)
        notices.append(contentsOf: session.notices)
        return session
    }
}
