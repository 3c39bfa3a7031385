// SPDX-License-Identifier: Apache-2.0
import SFlameRecord
import Testing

@testable import sflame

/// The lost-record line of `record --off-cpu` names the kind of record that was lost.
struct RecordingSummaryTests {
    @Test func lostOffCPURecordsAreCountedWithTheirShare() {
        var stats = SamplingStats()
        stats.offCPUIntervals = 1_000
        stats.offCPURecords = 9_000
        stats.offCPULost = 1_000
        stats.lostRecords = 1_200
        let line = RecordingSummary.offCPULossLine(stats)
        #expect(line.hasPrefix("1,000 of 10,000 off-CPU records (10.0%) were lost, and 200 on-CPU samples"), "\(line)")
        #expect(line.contains("Off-CPU totals are low"))
    }

    @Test func onlyOnCPUSamplesLostSaysSo() {
        var stats = SamplingStats()
        stats.offCPUIntervals = 1_000
        stats.offCPURecords = 9_000
        stats.lostRecords = 10
        let line = RecordingSummary.offCPULossLine(stats)
        #expect(line.hasPrefix("10 on-CPU samples were lost (no off-CPU record was)"), "\(line)")
        #expect(!line.contains("Off-CPU totals are low") && !line.contains("one record per context switch"))
    }
}
