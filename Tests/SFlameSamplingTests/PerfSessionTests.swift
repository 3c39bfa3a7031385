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
