// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import Testing

@testable import SFlameRecord

@Suite struct TimeOrderedRecordsTests {
    func sample(_ time: UInt64, tid: Int32 = 1) -> PerfRecord { .sample(PerfSample(pid: 1, tid: tid, time: time)) }

    func times(_ records: [PerfRecord]) -> [UInt64] {
        records.map { if case .sample(let s) = $0 { return s.time } else { return 0 } }
    }

    @Test func recordsOfSeveralRingsComeOutInTimeOrderOnceNoEarlierOneCanArrive() {
        var queue = TimeOrderedRecords(slackNanoseconds: 10)
        // Ring of CPU 0, then ring of CPU 1, read in one round that started at t = 100.
        for t: UInt64 in [10, 50, 95] { queue.append(sample(t)) }
        for t: UInt64 in [20, 40, 92] { queue.append(sample(t, tid: 2)) }
        var out: [PerfRecord] = []
        queue.release(roundStart: 100) { out.append($0) }
        #expect(times(out) == [10, 20, 40, 50], "records within the slack of the round start wait")
        #expect(queue.count == 2)
        queue.append(sample(91))
        out.removeAll()
        queue.release(roundStart: nil) { out.append($0) }
        #expect(times(out) == [91, 92, 95])
        #expect(queue.count == 0)
    }

    @Test func equalTimesKeepTheirArrivalOrder() {
        var queue = TimeOrderedRecords(slackNanoseconds: 0)
        queue.append(sample(5, tid: 1))
        queue.append(sample(5, tid: 2))
        var tids: [Int32] = []
        queue.release(roundStart: nil) { if case .sample(let s) = $0 { tids.append(s.tid) } }
        #expect(tids == [1, 2])
    }
}
