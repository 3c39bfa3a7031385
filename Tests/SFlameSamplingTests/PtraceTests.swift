// SPDX-License-Identifier: Apache-2.0
import Testing

@testable import SFlameSampling

@Suite struct TraceeStatusTests {
    @Test func waitStatusesDecode() {
        #expect(TraceeStatus(waitStatus: 0x0000) == .exited(code: 0))
        #expect(TraceeStatus(waitStatus: 0x0300) == .exited(code: 3))
        #expect(TraceeStatus(waitStatus: 0x0009) == .killed(signal: 9))
        #expect(TraceeStatus(waitStatus: 0x0a7f) == .signalDelivery(10))
        #expect(TraceeStatus(waitStatus: 0x0080_057f) == .eventStop(signal: 5))
        #expect(TraceeStatus(waitStatus: 0x0080_137f) == .eventStop(signal: 19))
        #expect(TraceeStatus(waitStatus: 0x0003_057f) == .cloneEvent)
        #expect(TraceeStatus(waitStatus: 0x0004_057f) == .execEvent)
        #expect(TraceeStatus(waitStatus: 0x0006_057f) == .otherEvent(6))
        #expect(TraceeStatus(waitStatus: 0xffff) == nil, "WIFCONTINUED")
    }

    @Test func stopSignalsAreTheFourJobControlOnes() {
        #expect([19, 20, 21, 22].allSatisfy { TraceeStatus.isStopSignal($0) })
        #expect(![5, 9, 10, 17, 18].contains { TraceeStatus.isStopSignal($0) })
    }
}

@Suite struct PtraceFailureTests {
    func sysctl(_ values: [String: String]) -> Sysctl { Sysctl { values[$0] } }

    @Test func permissionDeniedNamesPtraceScopeAndCapabilities() {
        let error = PtraceFailure.seizeError(
            errno: 1, pid: 999_999_999, tid: 999_999_999, sysctl: sysctl(["kernel.yama.ptrace_scope": "1"]))
        #expect(error.kind == .permissionDenied)
        let text = error.description
        #expect(text.contains("ptrace(PTRACE_SEIZE) of thread 999999999 of PID 999999999 failed: EPERM"))
        #expect(text.contains("kernel.yama.ptrace_scope is 1"))
        #expect(text.contains("only descendants"))
        #expect(text.contains("CAP_SYS_PTRACE"))
        #expect(text.contains("not dumpable"))
        #expect(text.contains("--cap-add SYS_PTRACE"))
        #expect(text.contains("seccomp"))
    }

    @Test func eachScopeIsExplained() {
        let none = PtraceFailure.permissionAdvice(pid: 999_999_999, sysctl: sysctl([:]))
        #expect(none.contains("kernel.yama.ptrace_scope is not set (Yama is not enabled)"))
        let admin = PtraceFailure.permissionAdvice(pid: 999_999_999, sysctl: sysctl(["kernel.yama.ptrace_scope": "2"]))
        #expect(admin.contains("is 2 (admin-only"))
        let off = PtraceFailure.permissionAdvice(pid: 999_999_999, sysctl: sysctl(["kernel.yama.ptrace_scope": "3"]))
        #expect(off.contains("is 3 (no attaching"))
    }

    @Test func otherErrnos() {
        let gone = PtraceFailure.seizeError(errno: 3, pid: 5, tid: 5, sysctl: sysctl([:]))
        #expect(gone.kind == .noSuchProcess)
        let blocked = PtraceFailure.seizeError(errno: 38, pid: 5, tid: 5, sysctl: sysctl([:]))
        #expect(blocked.kind == .permissionDenied && blocked.description.contains("seccomp"))
    }
}

@Suite struct StopCostTests {
    @Test func percentilesAndTotals() {
        let summary = StopCostSummary(
            threadStopNanos: [1000, 2000, 3000, 4000, 100_000], stoppedNanos: [500, 500, 600, 700, 800],
            sweepNanos: [10_000, 20_000, 30_000], threadsPerSweep: [2, 2, 1])
        #expect(summary.threadStops == 5)
        #expect(summary.medianMicros == 3)
        #expect(summary.maxMicros == 100)
        #expect(summary.p95Micros == 100)
        #expect(summary.medianHeldMicros == 0.6)
        #expect(summary.sweeps == 3 && summary.medianSweepMicros == 20 && summary.maxSweepMicros == 30)
        #expect(summary.medianThreadsPerSweep == 2)
        #expect(summary.totalStoppedMicros == 110 && summary.totalHeldMicros == 3.1)
        #expect(
            StopCostSummary(threadStopNanos: [], stoppedNanos: [], sweepNanos: [], threadsPerSweep: []).medianMicros
                == 0)
    }
}
