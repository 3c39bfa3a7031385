// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// Every documented failure of `sflame mem` gives a clear message and the documented exit code.
@Suite struct MemErrorTests {
    @Test func noSuchPID() throws {
        let dir = try TemporaryDirectory()
        for mode in [[], ["--alloc"], ["--leaks"], ["--page-faults"]] {
            let r = SFlameBinary.run(
                ["mem", "--pid", "999999999", "-o", dir.file("x.\(mode.isEmpty ? "json" : "folded")")] + mode)
            #expect(r.status == 1, "\(mode): \(r.standardError)")
            #expect(r.standardError.contains("No process with PID 999999999"), "\(mode): \(r.standardError)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing written")
    }

    @Test func aStaticStrippedBinaryHasNoAllocatorToProbe() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split-static"), arguments: ["30", "100"])
        let r = SFlameBinary.run(["mem", "--pid", "\(target.pid)", "--alloc", "-d", "1", "-o", dir.file("a.folded")])
        #expect(r.status == 1, "\(r.standardError)")
        #expect(r.standardError.contains("No allocator to probe"), "\(r.standardError)")
        #expect(r.standardError.contains("statically linked, stripped"))
        #expect(r.standardError.contains("--page-faults"), "says what still works")
        // The same binary launched by sflame.
        let launched = SFlameBinary.run([
            "mem", "--leaks", "-o", dir.file("b.folded"), "--", try Samples.path("alloc-split-static"), "1", "100",
        ])
        #expect(
            launched.status == 1 && launched.standardError.contains("No allocator to probe"),
            "\(launched.standardError)")
        // Its timeline still works: /proc needs no symbols.
        let timeline = SFlameBinary.run(["mem", "--pid", "\(target.pid)", "-d", "0.5", "-o", dir.file("t.json")])
        #expect(timeline.status == 0, "\(timeline.standardError)")
    }

    @Test func permissionDeniedNamesWhatIsNeeded() throws {
        guard getuid() == 0 else {
            Issue.record("this test needs root to switch to the nobody user (setpriv)")
            return
        }
        let dir = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        let binary = dir.file("sflame")
        try copyExecutable(SFlameBinary.path, to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["30", "100"])
        func asNobody(_ arguments: [String]) -> ProcessRunner.Result {
            ProcessRunner.run(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", binary] + arguments,
                environment: ["LD_LIBRARY_PATH": ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] ?? ""])
        }
        let alloc = asNobody(["mem", "--pid", "\(target.pid)", "--alloc", "-d", "1", "-o", dir.file("a.folded")])
        #expect(alloc.status == 4, "\(alloc.standardError)")
        #expect(alloc.standardError.contains("CAP_PERFMON"), "\(alloc.standardError)")
        #expect(alloc.standardError.contains("root"))
        // Even for a process of its own, an unprivileged user may not place uprobes.
        let sample = dir.file("alloc-split")
        try copyExecutable(try Samples.path("alloc-split"), to: sample)
        let own = asNobody(["mem", "--alloc", "-o", dir.file("o.folded"), "--", sample, "1", "100"])
        #expect(own.status == 4, "\(own.standardError)")
        #expect(own.standardError.contains("uprobes") && own.standardError.contains("kernel.perf_event_paranoid"))
        // The timeline of another user's process: status is readable, smaps needs ptrace access.
        let timeline = asNobody(["mem", "--pid", "\(target.pid)", "-d", "0.5", "-o", dir.file("t.json")])
        #expect(timeline.status == 0, "\(timeline.standardError)")
        #expect(timeline.standardError.contains("ptrace access"), "\(timeline.standardError)")
        #expect(target.state != nil)
    }

    @Test func badArguments() {
        #expect(SFlameBinary.run(["mem"]).standardError.contains("Give a target"))
        let interval = SFlameBinary.run(["mem", "--pid", "1", "--interval", "100"])
        #expect(interval.status != 0 && interval.standardError.contains("--interval"))
        let both = SFlameBinary.run(["mem", "--pid", "1", "--alloc", "--page-faults"])
        #expect(both.status != 0 && both.standardError.contains("--page-faults"))
        let ext = SFlameBinary.run(["mem", "--pid", "1", "-o", "/tmp/x.folded"])
        #expect(ext.status != 0 && ext.standardError.contains(".json"), "timeline outputs are .svg/.json/.csv")
        let profileExt = SFlameBinary.run(["mem", "--pid", "1", "--alloc", "-o", "/tmp/x.csv"])
        #expect(profileExt.status != 0 && profileExt.standardError.contains("extension"))
    }
}
