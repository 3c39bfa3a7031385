// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameSampling

/// Applies ring-buffer records in time order across CPUs.
///
/// Each CPU has its own ring, and a process that forks or execs on one CPU may run on another
/// at once: draining ring after ring would apply the child's first samples before the FORK or
/// COMM(exec) record that says whose they are and which address space they run in. Records are
/// therefore gathered from every ring, and only those stamped before the moment the drain began
/// are applied, sorted by time; later ones wait for the next drain, when every ring has had its
/// chance to deliver what came before them (perf's ordered events, with the drain's start as
/// the flush time). Timestamps are CLOCK_MONOTONIC (`use_clockid`), like `MonotonicClock`.
final class TimeOrderedDrain {
    private var pending: [(time: UInt64, order: Int, record: PerfRecord)] = []
    private var counter = 0

    /// Drains every ring and applies the records older than the drain's start; `final` applies
    /// everything (after the events are disabled).
    func drain(_ session: PerfSession, into state: inout RecordingState, final: Bool = false) {
        session.drain { record in
            counter += 1
            pending.append((record.timestamp ?? 0, counter, record))
        }
        let cutoff = final ? UInt64.max : session.completeBefore
        guard !pending.isEmpty else { return }
        pending.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        let ready = pending.firstIndex { $0.time >= cutoff } ?? pending.count
        for entry in pending[..<ready] { state.apply(entry.record) }
        pending.removeFirst(ready)
    }
}

extension PerfRecord {
    /// The record's time (the sample's, or its sample_id's), nil when not recorded.
    var timestamp: UInt64? {
        switch self {
        case .sample(let s): return s.time
        case .mmap(let m): return m.sampleID.time
        case .comm(let c): return c.sampleID.time
        case .fork(let t), .exit(let t): return t.time
        case .lost(_, let id), .lostSamples(_, let id): return id.time
        case .throttle(_, let time): return time
        case .contextSwitch(let c): return c.sampleID.time
        case .other: return nil
        }
    }
}
