// SPDX-License-Identifier: Apache-2.0
import SFlameSampling
import Synchronization

/// The recordings in progress, at most one per process: a second request for the same process
/// is refused with 429 (`AgentError.busy`, `Retry-After` = the seconds the running one has
/// left) rather than queued, so a scraper never waits longer than it asked for and never gets
/// a profile of a window it did not ask for. The one exception: a request that arrives while
/// the running recording is within `waitGrace` of its end, or cancelled and closing its events,
/// waits for it (a scraper whose interval equals `seconds` arrives just as the previous window
/// ends).
///
/// Thread-safe. `cancelAll` (shutdown) ends every recording and refuses new ones.
final class RecordingSlots: Sendable {
    private struct Slot {
        var endsAt: ContinuousClock.Instant
        var stop: StopRequest
    }

    private struct State {
        var slots: [Int32: Slot] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Reserves `pid` for a recording of `seconds`, ended early by `stop`.
    ///
    /// Throws: `.busy` while another recording of the process runs, `.cancelled` after
    /// `cancelAll`.
    func acquire(pid: Int32, seconds: Int, stop: StopRequest) throws(AgentError) {
        let now = ContinuousClock.now
        let result: AgentError? = state.withLock { state in
            if state.closed { return AgentError(.cancelled, "the agent is shutting down.") }
            if let running = state.slots[pid] {
                let left = running.stop.isRequested ? 1 : max(1, Int((running.endsAt - now).components.seconds) + 1)
                return AgentError(
                    .busy,
                    "a recording of PID \(pid) is in progress (about \(left) s left); this agent records one at a time "
                        + "per process. Retry after it ends.",
                    retryAfterSeconds: left)
            }
            state.slots[pid] = Slot(endsAt: now + .seconds(seconds), stop: stop)
            return nil
        }
        if let result { throw result }
    }

    /// How close to its end (or cancelled) a running recording must be for a new request to wait.
    static let waitGrace: Duration = .seconds(2)

    /// As `acquire`, but waits (at most `waitGrace` and one second more) instead of refusing
    /// while the running recording of `pid` ends within `waitGrace` or was cancelled.
    ///
    /// Throws: as `acquire`.
    func acquireWaitingForTheEnd(pid: Int32, seconds: Int, stop: StopRequest) async throws(AgentError) {
        let deadline = ContinuousClock.now + Self.waitGrace + .seconds(1)
        while true {
            do throws(AgentError) {
                try acquire(pid: pid, seconds: seconds, stop: stop)
                return
            } catch {
                guard error.kind == .busy, ContinuousClock.now < deadline, endsSoon(pid: pid) else { throw error }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether the recording of `pid` (if any) ends within `waitGrace` or was asked to stop.
    private func endsSoon(pid: Int32) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let running = state.slots[pid] else { return true }
            return running.stop.isRequested || running.endsAt - now <= Self.waitGrace
        }
    }

    /// Frees `pid` once the recording that `stop` ends has closed its events (sampling is over;
    /// symbolization may still run). Idempotent: frees only that recording's reservation.
    func release(pid: Int32, stop: StopRequest) {
        state.withLock { state in
            if let slot = state.slots[pid], slot.stop === stop { state.slots[pid] = nil }
        }
    }

    /// Ends every recording in progress and refuses new ones (graceful shutdown).
    func cancelAll() {
        let stops = state.withLock { state in
            state.closed = true
            return state.slots.values.map(\.stop)
        }
        for stop in stops { stop.requestStop() }
    }
}
