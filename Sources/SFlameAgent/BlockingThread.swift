// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

/// Runs blocking recorder work on a thread of its own, never on a SwiftNIO event loop or a
/// cooperative thread of the concurrency pool: a recording blocks its thread for its whole
/// duration, and symbolization afterwards can take seconds.
enum BlockingThread {
    /// The stack of a recording thread (symbolizing deep DWARF inline chains recurses). Bytes.
    static let stackBytes = 8 << 20

    /// Runs `body` on a new thread and returns its result. When the awaiting task is cancelled
    /// (the client disconnected, the agent shuts down), `stop.requestStop()` ends the recording
    /// early; `body` still returns (with the profile so far), so the thread never outlives the call.
    static func run<T: Sendable>(
        name: String, stop: StopRequest, _ body: @escaping @Sendable () throws(AgentError) -> T
    ) async throws(AgentError) -> T {
        let result: Result<T, AgentError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, AgentError>, Never>) in
                do throws(SamplingError) {
                    try DetachedThread.start(name: name, stackBytes: stackBytes) {
                        do throws(AgentError) {
                            continuation.resume(returning: .success(try body()))
                        } catch {
                            continuation.resume(returning: .failure(error))
                        }
                    }
                } catch {
                    continuation.resume(returning: .failure(AgentError(.recordingFailed, "\(error)")))
                }
            }
        } onCancel: {
            stop.requestStop()
        }
        return try result.get()
    }
}
