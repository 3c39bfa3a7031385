// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameKernelFormats
import SFlameProfile
import Testing

@testable import SFlameRecord

/// Off-CPU pairing and the profiles of the wall-clock and off-CPU modes, from records.
@Suite struct OffCPUTrackerTests {
    /// A sched_switch layout: prev_state as 8 bytes at offset 32, S=1, D=2, X=0x10, preempt 0x100.
    static let layout: SchedSwitchFormat = {
        let text = """
            name: sched_switch
            ID: 1
            format:
            \tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;

            print fmt: "%s", __print_flags(REC->prev_state & ((0xff + 1) - 1), "|", { 0x01, "S" }, { 0x02, "D" }, { 0x10, "X" }, { 0x80, "I" })
            """
        return try! SchedSwitchFormat(try! TracepointFormat.parse(text))
    }()

    func raw(_ state: Int64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        for i in 0..<8 { bytes[32 + i] = UInt8(truncatingIfNeeded: state >> (8 * i)) }
        return bytes
    }

    func out(tid: Int32, time: UInt64, state: Int64, ip: UInt64 = 0x40_0010) -> PerfRecord {
        .sample(
            PerfSample(
                cpuMode: 2, ip: ip, pid: 100, tid: tid, time: time, period: 1,
                callchain: [PerfCallchainContext.user, ip, 0x40_0100], raw: raw(state)))
    }

    func into(tid: Int32, time: UInt64) -> PerfRecord {
        .contextSwitch(
            PerfContextSwitch(isOut: false, isPreempt: false, sampleID: PerfSampleID(pid: 100, tid: tid, time: time)))
    }

    func state() -> RecordingState {
        var s = RecordingState(targets: [100], includeKernel: false, maxCallchainDepth: 127)
        s.load(
            pid: 100,
            mappings: [
                ProcMapping(
                    start: 0x40_0000, end: 0x40_2000, isExecutable: true, fileOffset: 0, inode: 7, path: "/bin/app")
            ])
        return s
    }

    func weights(_ s: RecordingState) -> [ThreadState?: UInt64] {
        var result: [ThreadState?: UInt64] = [:]
        for (key, value) in s.stacks { result[key.threadState, default: 0] += value.period }
        return result
    }

    @Test func switchOutIsPairedWithTheNextSwitchInEvenOutOfOrder() {
        var tracker = OffCPUTracker(switchFormat: Self.layout)
        var s = state()
        // The switch-in (another CPU's buffer) is read before the switch-out.
        tracker.apply(into(tid: 7, time: 5_000), state: &s)
        tracker.apply(out(tid: 7, time: 1_000, state: 1), state: &s)
        tracker.apply(out(tid: 7, time: 6_000, state: 2), state: &s)
        tracker.apply(into(tid: 7, time: 9_000), state: &s)
        tracker.settle(before: 20_000, into: &s)
        #expect(weights(s) == [.sleeping: 4_000, .disk: 3_000])
        #expect(s.stats.offCPUIntervals == 2 && s.stats.offCPUNanoseconds == 7_000)
        #expect(s.stats.unpairedSwitchIns == 0)
    }

    @Test func recordsNewerThanTheWatermarkWait() {
        var tracker = OffCPUTracker(switchFormat: Self.layout)
        var s = state()
        tracker.apply(out(tid: 7, time: 1_000, state: 1), state: &s)
        tracker.apply(into(tid: 7, time: 5_000), state: &s)
        tracker.settle(before: 4_000, into: &s)
        #expect(s.stacks.isEmpty, "the switch-in is past the watermark")
        tracker.settle(before: 6_000, into: &s)
        #expect(weights(s) == [.sleeping: 4_000])
    }

    @Test func preemptionIsRunnableAndDeadTasksAreDropped() {
        var tracker = OffCPUTracker(switchFormat: Self.layout)
        var s = state()
        tracker.apply(out(tid: 7, time: 1_000, state: 0x100), state: &s)  // R+ (preempted)
        tracker.apply(into(tid: 7, time: 1_500), state: &s)
        tracker.apply(out(tid: 8, time: 1_000, state: 0), state: &s)  // R (yielded)
        tracker.apply(into(tid: 8, time: 1_200), state: &s)
        tracker.apply(out(tid: 9, time: 1_000, state: 0x10), state: &s)  // X: exiting
        tracker.settle(before: 10_000, into: &s)
        tracker.finish(at: 10_000, into: &s)
        #expect(weights(s) == [.runnable: 700])
    }

    @Test func aSwitchInWithoutItsSwitchOutIsCountedNotAttributed() {
        var tracker = OffCPUTracker(switchFormat: Self.layout)
        var s = state()
        tracker.apply(into(tid: 7, time: 1_000), state: &s)
        tracker.settle(before: 10_000, into: &s)
        #expect(s.stacks.isEmpty && s.stats.unpairedSwitchIns == 1)
    }

    @Test func threadsStillWaitingAtTheEndAreClosedThere() {
        var tracker = OffCPUTracker(switchFormat: Self.layout)
        var s = state()
        tracker.apply(out(tid: 7, time: 1_000, state: 1), state: &s)
        tracker.finish(at: 31_000, into: &s)
        #expect(weights(s) == [.sleeping: 30_000])
    }

    @Test func withoutAFormatTheStateIsUnknown() {
        var tracker = OffCPUTracker(switchFormat: nil)
        var s = state()
        tracker.apply(out(tid: 7, time: 1_000, state: 1), state: &s)
        tracker.apply(into(tid: 7, time: 2_000), state: &s)
        tracker.finish(at: 3_000, into: &s)
        #expect(weights(s) == [.unknown: 1_000])
    }
}

@Suite struct ProfileModeTests {
    func state(withOffCPU: Bool) -> RecordingState {
        var s = RecordingState(targets: [100], includeKernel: false, maxCallchainDepth: 127)
        s.processNames[100] = "app"
        let chain: [UInt64] = [PerfCallchainContext.user, 0x1000, 0x2000]
        let sample = PerfSample(
            cpuMode: 2, ip: 0x1000, pid: 100, tid: 100, time: 1, period: 10_000_000, callchain: chain)
        s.addSample(sample)  // on-CPU: period 10 ms
        if withOffCPU { s.addSample(sample, threadState: .sleeping, weight: 90_000_000) }
        return s
    }

    func assemble(_ s: RecordingState, mode: ProfileMode) -> Profile {
        let assembler = ProfileAssembler(state: s, event: .cpuClock, frequencyHz: 100, debugInfoPaths: [], mode: mode)
        return assembler.assemble(wallStartNanos: 0, durationSeconds: 0.1).0
    }

    @Test func offCPUProfilesCarryCPUOffCPUAndWall() throws {
        let profile = assemble(state(withOffCPU: true), mode: .offCPU)
        #expect(
            profile.sampleTypes.map(\.description) == [
                "samples/count", "cpu/nanoseconds", "off-cpu/nanoseconds", "wall/nanoseconds",
            ])
        #expect(profile.defaultSampleType == "wall")
        #expect(profile.totalValue(sampleTypeIndex: 1) == 10_000_000)
        #expect(profile.totalValue(sampleTypeIndex: 2) == 90_000_000)
        #expect(profile.totalValue(sampleTypeIndex: 3) == 100_000_000)
        let folded = profile.folded().merged().stacks.map { ($0.frames.last!, $0.weight) }
        #expect(folded.contains { $0.0 == "[sleeping]" && $0.1 == 90_000_000 }, "\(folded)")
        #expect(folded.contains { $0.0 != "[sleeping]" && $0.1 == 10_000_000 })
        let states = Set(profile.samples.compactMap { $0.stringLabel(Label.Key.threadState) })
        #expect(states == ["running", "sleeping"])
        try profile.validate()
    }

    @Test func wallClockProfilesWeighWallTime() throws {
        let profile = assemble(state(withOffCPU: true), mode: .wallClock)
        #expect(profile.sampleTypes.map(\.description) == ["samples/count", "wall/nanoseconds"])
        #expect(profile.periodType?.description == "wall/nanoseconds" && profile.period == 10_000_000)
        #expect(profile.totalValue(sampleTypeIndex: 1) == 100_000_000)
        try profile.validate()
    }

    @Test func onCPUProfilesAreUnchanged() {
        let profile = assemble(state(withOffCPU: false), mode: .onCPU)
        #expect(profile.sampleTypes.map(\.description) == ["samples/count", "cpu/nanoseconds"])
        #expect(profile.samples.allSatisfy { $0.stringLabel(Label.Key.threadState) == nil })
    }
}
