// SPDX-License-Identifier: Apache-2.0
//
// Off-CPU intervals from two kinds of records of the same thread (times in ns):
//
//   t=1000  sched:sched_switch sample, tid 7, prev_state S, stack main;run;sleep   (switch-out)
//   t=46000 PERF_RECORD_SWITCH (in), tid 7                                          (switch-in)
//   ──► stack main;run;sleep;[sleeping] weighs 45000 ns of off-CPU time
//
// Records of one thread come from the ring buffers of several CPUs, so they are buffered and
// put in time order before they are paired; only records older than the drain's start (minus a
// margin) are paired, since every CPU's older records are in its buffer by then.

import SFlameKernelFormats
import SFlameProfile

/// Pairs each thread's switch-out (its stack and state) with its next switch-in, and adds the
/// interval to the stack table, weighted in nanoseconds.
struct OffCPUTracker {
    /// Reads `prev_state` from the tracepoint's raw bytes; nil when the format had none (the
    /// state is then `.unknown`).
    let switchFormat: SchedSwitchFormat?

    private enum Event {
        case out(PerfSample, ThreadState)
        case into
    }
    private var pending: [Int32: [(time: UInt64, event: Event)]] = [:]
    private var open: [Int32: (time: UInt64, sample: PerfSample, state: ThreadState)] = [:]

    init(switchFormat: SchedSwitchFormat?) {
        self.switchFormat = switchFormat
    }

    /// Takes one record of the off-CPU events: switch-out samples and switch-in records are
    /// buffered; other records (lost, throttle) go to `state`.
    mutating func apply(_ record: PerfRecord, state: inout RecordingState) {
        switch record {
        case .sample(let s):
            pending[s.tid, default: []].append((s.time, .out(s, threadState(raw: s.raw))))
        case .contextSwitch(let c):
            guard !c.isOut, let tid = c.sampleID.tid, let time = c.sampleID.time else { return }
            pending[tid, default: []].append((time, .into))
        case .lost(let count, _), .lostSamples(let count, _):
            state.stats.offCPULost += count
            state.apply(record)
        default:
            state.apply(record)
        }
    }

    /// The state of the thread leaving the CPU. A preemption, or a switch while still runnable,
    /// is `.runnable` (waiting for a CPU); dead tasks are `.exiting`.
    func threadState(raw: [UInt8]) -> ThreadState {
        guard let reading = switchFormat?.state(raw: raw) else { return .unknown }
        if reading.letter == "R" { return .runnable }
        return ThreadState(stateLetter: reading.letter) ?? .unknown
    }

    /// Pairs the buffered records older than `watermark` (CLOCK_MONOTONIC ns) in time order.
    mutating func settle(before watermark: UInt64, into state: inout RecordingState) {
        for tid in Array(pending.keys) {
            guard var events = pending[tid] else { continue }
            events.sort { $0.time < $1.time }
            let ready = events.prefix { $0.time < watermark }
            for (time, event) in ready {
                switch event {
                case .out(let sample, let threadState):
                    // Two switch-outs in a row: the switch-in between them was lost; drop the first.
                    open[tid] = (time, sample, threadState)
                case .into:
                    if let o = open.removeValue(forKey: tid) {
                        add(o.sample, state: o.state, nanoseconds: time &- o.time, into: &state)
                    } else {
                        state.stats.unpairedSwitchIns += 1
                    }
                }
            }
            let rest = Array(events.dropFirst(ready.count))
            pending[tid] = rest.isEmpty ? nil : rest
        }
    }

    /// Pairs everything left, then closes the intervals of threads still off the CPU at
    /// `endTime` (they were waiting when the recording ended).
    mutating func finish(at endTime: UInt64, into state: inout RecordingState) {
        settle(before: .max, into: &state)
        for (_, o) in open where endTime > o.time {
            add(o.sample, state: o.state, nanoseconds: endTime - o.time, into: &state)
        }
        open.removeAll()
    }

    private func add(
        _ sample: PerfSample, state threadState: ThreadState, nanoseconds: UInt64, into state: inout RecordingState
    ) {
        // A dead task's last switch-out is not a wait.
        guard threadState != .exiting, nanoseconds > 0 else { return }
        state.addSample(sample, threadState: threadState, weight: nanoseconds)
        state.stats.offCPUIntervals += 1
        state.stats.offCPUNanoseconds &+= nanoseconds
    }
}
