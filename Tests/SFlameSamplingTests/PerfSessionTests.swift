// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameKernelFormats
import SFlameTestSupport
import Testing
@testable import SFlameSampling

/// Real perf_event sessions against sample programs.
@Suite(.serialized) struct PerfSessionTests {
    @Test func samplesEveryThreadOfARunningProcessIncludingALateOne() throws {
        let target = try SampleProcess(try Samples.path("late-thread"), arguments: ["30"])
        let session = PerfSession(configuration: PerfEventConfiguration(frequencyHz: 199))
        try session.attach(process: target.pid)
        session.enable()
        try target.waitForLine("started")
        var tids = Set<Int32>()
        var samples = 0
        var comms: [String] = []
        let end = Date().addingTimeInterval(1.0)
        while Date() < end {
            _ = session.wait(timeoutMilliseconds: 100)
            session.drain { record in
                switch record {
                case .sample(let s) where s.pid == target.pid:
                    samples += 1
                    tids.insert(s.tid)
                    #expect(!s.callchain.isEmpty)
                case .comm(let c): comms.append(c.comm)
                default: break
                }
            }
        }
        session.close()
        #expect(samples > 50)
        #expect(tids.count == 2, "the thread created after attaching is sampled too")
        #expect(comms.contains("late-worker"))
        #expect(session.decodeErrors == 0)
    }

    @Test func hardwareEventsAreRefusedOrWorkButNeverCrash() throws {
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["30"])
        let session = PerfSession(configuration: PerfEventConfiguration(event: .hardware(.cycles), frequencyHz: 99))
        do {
            try session.attach(thread: target.pid)
        } catch let error {
            #expect(error.kind == .unsupportedEvent, "\(error)")
        }
        session.close()
    }

    @Test func attachingToAMissingProcessSaysSo() {
        let session = PerfSession(configuration: PerfEventConfiguration())
        #expect(throws: SamplingError.self) { try session.attach(process: 999_999_99) }
        do {
            try session.attach(process: 999_999_99)
        } catch let error {
            #expect(error.kind == .noSuchProcess)
        }
    }
}

/// The reading thread (`PerfSession.startReading`) empties the rings while the consumer is busy:
/// samples/switch-storm switches thousands of times a second, each switch a sched_switch sample
/// with an 8 KiB stack copy, into 2 MiB rings (about 240 samples each), and the consumer spends
/// 200 ms on each turn, as unwinding would. Without the thread the rings overflow every turn.
@Suite(.serialized) struct RingReaderTests {
    /// Records read and lost (kernel PERF_RECORD_LOST and the reader's drops) over `turns` turns.
    func record(readsOnAThread: Bool, turns: Int = 6) throws -> (records: Int, lost: Int) {
        let target = try SampleProcess(try Samples.path("switch-storm"), arguments: ["0", "2", "100"])
        let tracefs = try TraceFS.locate(mountIfMissing: true)
        let format = try TraceFS.format(group: "sched", name: "sched_switch", in: tracefs)
        var configuration = PerfEventConfiguration(
            event: .tracepoint(name: "sched:sched_switch", id: format.id), frequencyHz: nil, period: 1,
            sampleType: [.ip, .tid, .time, .regsUser, .stackUser], recordsMappings: false, recordsTasks: false,
            recordsContextSwitches: true)
        configuration.userRegisterMask = 0xff
        configuration.userStackBytes = 8192
        let session = PerfSession(configuration: configuration, dataPages: 512)
        defer { session.close() }
        try session.attach(process: target.pid)
        if readsOnAThread { try session.startReading() }
        session.enable()
        var records = 0
        var lost = 0
        for _ in 0..<turns {
            _ = session.wait(timeoutMilliseconds: 100)
            records += session.drain { record in
                if case .lost(let count, _) = record { lost += Int(count) }
            }
            usleep(200_000)  // the consumer's work
        }
        session.disable()
        session.stopReading()
        records += session.drain { record in
            if case .lost(let count, _) = record { lost += Int(count) }
        }
        lost += session.readerStatistics?.droppedRecords ?? 0
        #expect(target.state != nil && !["T", "t"].contains(target.state!))
        return (records, lost)
    }

    @Test func aSlowConsumerLosesNothingWhenTheRingsAreReadOnAThread() throws {
        let threaded = try record(readsOnAThread: true)
        let share = Double(threaded.lost) / Double(threaded.records + threaded.lost)
        #expect(threaded.records > 3_000, "the load was real: \(threaded.records) records")
        #expect(share < 0.05, "\(threaded.lost) lost beside \(threaded.records) records")
        // The control: the same consumer reading the rings itself loses most of them.
        let direct = try record(readsOnAThread: false)
        let directShare = Double(direct.lost) / Double(direct.records + direct.lost)
        #expect(directShare > 0.3, "\(direct.lost) lost beside \(direct.records) records without the thread")
    }
}
