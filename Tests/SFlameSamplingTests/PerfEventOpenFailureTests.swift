// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameSampling

@Suite struct PerfEventOpenFailureTests {
    func sysctl(_ values: [String: String]) -> Sysctl { Sysctl { values[$0] } }

    @Test func permissionDeniedNamesParanoidValueAndCapabilities() {
        let error = PerfEventOpenFailure.error(
            errno: 13, event: .cpuClock, tid: 42, cpu: 0, excludeKernel: false,
            sysctl: sysctl(["kernel.perf_event_paranoid": "3"]))
        #expect(error.kind == .permissionDenied)
        let text = error.description
        #expect(text.contains("perf_event_open(cpu-clock, tid 42, cpu 0) failed: EACCES"))
        #expect(text.contains("kernel.perf_event_paranoid is 3"))
        #expect(text.contains("CAP_PERFMON"))
        #expect(text.contains("CAP_SYS_ADMIN"))
        #expect(text.contains("--no-kernel"))
    }

    @Test func otherErrnosGetTheirAdvice() {
        let s = sysctl(["kernel.perf_event_max_stack": "127"])
        let hw = PerfEventOpenFailure.error(errno: 2, event: .hardware(.cycles), tid: 1, cpu: 0, excludeKernel: false, sysctl: s)
        #expect(hw.kind == .unsupportedEvent && hw.description.contains("cpu-clock"))
        let files = PerfEventOpenFailure.error(errno: 24, event: .cpuClock, tid: 1, cpu: 0, excludeKernel: false, sysctl: s)
        #expect(files.kind == .tooManyOpenFiles && files.description.contains("ulimit -n"))
        let stack = PerfEventOpenFailure.error(errno: 75, event: .cpuClock, tid: 1, cpu: 0, excludeKernel: false, sysctl: s)
        #expect(stack.description.contains("kernel.perf_event_max_stack") && stack.description.contains("127"))
        let gone = PerfEventOpenFailure.error(errno: 3, event: .cpuClock, tid: 9, cpu: 0, excludeKernel: false, sysctl: s)
        #expect(gone.kind == .noSuchProcess)
    }

    @Test func eventNames() {
        #expect(EventSource(name: "cpu-clock") == .cpuClock)
        #expect(EventSource(name: "cycles") == .hardware(.cycles))
        #expect(EventSource(name: "faults") == .pageFaults)
        #expect(EventSource(name: "bogus") == nil)
        #expect(EventSource.hardware(.cycles).description == "cycles")
    }
}
