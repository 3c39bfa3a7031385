// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// Puts the records of several ring buffers (one per CPU) back into time order.
///
/// Each ring is in time order on its own, but a thread that migrates between CPUs writes its
/// records into several rings, so reading ring after ring can deliver a function's return before
/// its entry, or a `free` before the `malloc` it frees. Records are held here until no earlier
/// record can still arrive: a record stamped before a read round started was in its ring when
/// the round read it (the kernel stamps and writes a record in one go; `slackNanoseconds` covers
/// the gap), so after a round every record older than its start minus the slack is released.
/// perf does the same with its "finished round" flushes (tools/perf/util/ordered-events.c).
///
/// Shape: `release` hands records out sorted by time, ties in arrival order; records without a
/// time (PERF_RECORD_LOST) come out in the next release.
struct TimeOrderedRecords {
    private var pending: [(time: UInt64, sequence: Int, record: PerfRecord)] = []
    private var sequence = 0
    /// How long after its timestamp a record may still be on its way into a ring.
    let slackNanoseconds: UInt64

    init(slackNanoseconds: UInt64 = 10_000_000) {
        self.slackNanoseconds = slackNanoseconds
    }

    var count: Int { pending.count }

    mutating func append(_ record: PerfRecord) {
        pending.append((Self.time(of: record), sequence, record))
        sequence += 1
    }

    /// Hands out, in time order, every record stamped before `roundStart - slack`; all of them
    /// when `roundStart` is nil (the end of the recording).
    mutating func release(roundStart: UInt64?, _ body: (PerfRecord) -> Void) {
        guard !pending.isEmpty else { return }
        pending.sort { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
        let limit = roundStart.map { $0 > slackNanoseconds ? $0 - slackNanoseconds : 0 } ?? UInt64.max
        var released = 0
        while released < pending.count && pending[released].time <= limit {
            body(pending[released].record)
            released += 1
        }
        pending.removeFirst(released)
    }

    /// The timestamp of a record: the sample's time or the sample_id trailer's (0 when absent).
    static func time(of record: PerfRecord) -> UInt64 {
        switch record {
        case .sample(let s): return s.time
        case .mmap(let m): return m.sampleID.time ?? 0
        case .comm(let c): return c.sampleID.time ?? 0
        case .fork(let f), .exit(let f): return f.sampleID.time ?? f.time
        case .lost(_, let id), .lostSamples(_, let id): return id.time ?? 0
        case .throttle(_, let time): return time
        case .contextSwitch(let s): return s.sampleID.time ?? 0
        case .other: return 0
        }
    }
}
