// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// Every documented failure of `sflame record` gives a clear message and a non-zero exit.
@Suite struct RecordErrorTests {
    @Test func noSuchPID() throws {
        let dir = try TemporaryDirectory()
        let r = SFlameBinary.run(["record", "--pid", "999999999", "-o", dir.file("x.folded")])
        #expect(r.status == 1)
        #expect(r.standardError.contains("No process with PID 999999999"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.folded")))
    }

    @Test func kernelThread() throws {
        let dir = try TemporaryDirectory()
        let r = SFlameBinary.run(["record", "--pid", "2", "-o", dir.file("x.folded")])  // kthreadd
        #expect(r.status == 1)
        #expect(r.standardError.contains("is a kernel thread"))
    }

    @Test func zombie() throws {
        let dir = try TemporaryDirectory()
        // `sleep 0` exits; its parent becomes `sleep 60` (exec) and never reaps it.
        let parent = try SampleProcess("/bin/sh", arguments: ["-c", "sleep 0 & echo $!; echo ready; exec sleep 60"])
        let zombiePID = try #require(zombieChild(of: parent.pid))
        let r = SFlameBinary.run(["record", "--pid", "\(zombiePID)", "-o", dir.file("x.folded")])
        #expect(r.status == 1)
        #expect(r.standardError.contains("is a zombie"))
    }

    @Test func permissionDeniedNamesTheKnobs() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        // A copy of sflame any user may run, executed as `nobody` against a root-owned process.
        let binary = dir.file("sflame")
        try copyExecutable(SFlameBinary.path, to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["30"])
        guard getuid() == 0 else {
            Issue.record("this test needs root to switch to the nobody user (setpriv)")
            return
        }
        let r = ProcessRunner.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", binary, "record", "--pid",
            "\(target.pid)", "-d", "1", "-o", dir.file("x.folded"),
        ], environment: ["LD_LIBRARY_PATH": ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] ?? ""])
        #expect(r.status == 4, "\(r.standardError)")
        #expect(r.standardError.contains("kernel.perf_event_paranoid is"))
        #expect(r.standardError.contains("CAP_PERFMON"))
        #expect(r.standardError.contains("CAP_SYS_ADMIN"))
        #expect(target.state != nil)
    }

    @Test func unwritableOutputFailsBeforeRecording() throws {
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["30"])
        let r = SFlameBinary.run(["record", "--pid", "\(target.pid)", "-o", "/nonexistent-dir/out.svg"])
        #expect(r.status == 64 || r.status == 2, "validation error exit code, got \(r.status)")
        #expect(r.standardError.contains("/nonexistent-dir"))
        let bad = SFlameBinary.run(["record", "--pid", "\(target.pid)", "-o", "/tmp/out.unknownext"])
        #expect(bad.status != 0 && bad.standardError.contains("extension"))
    }

    @Test func aFailedRunLeavesAnExistingOutputUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("good.folded")
        try "main;good 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = SFlameBinary.run(["record", "--pid", "999999999", "-o", path])
        #expect(r.status != 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "main;good 1\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["good.folded"], "no temporary files left")
    }

    @Test func badArguments() {
        #expect(SFlameBinary.run(["record"]).standardError.contains("Give a target"))
        #expect(SFlameBinary.run(["record", "--pid", "abc"]).status != 0)
        #expect(SFlameBinary.run(["record", "--pid", "1", "-e", "nonsense"]).standardError.contains("Unknown event"))
    }

    /// A negative number is taken as the option's value and rejected with what is expected,
    /// not read as an unknown option ("Missing value for '-d <SECONDS>'").
    @Test(arguments: [
        (["record", "--pid", "1", "--duration", "-1"], "--duration must be a positive number of seconds (got -1.0)"),
        (["record", "--pid", "1", "-d", "-1"], "--duration must be a positive number of seconds (got -1.0)"),
        (["record", "--pid", "1", "--frequency", "-5"], "--frequency must be between 1 and 100000 Hz (got -5)"),
        (["record", "--pid", "1", "-F", "-5"], "--frequency must be between 1 and 100000 Hz (got -5)"),
        (["record", "--pid", "-5"], "The value '-5' is invalid for '--pid <PID[,PID…]>'"),
        (["mem", "--pid", "1", "--duration", "-1"], "--duration must be a positive number of seconds (got -1.0)"),
        (["mem", "--pid", "1", "--top", "-3"], "--top must not be negative"),
        (["mem", "--pid", "1", "--page-faults", "--period", "-2"], "--period must be at least 1 (got -2)"),
        (["mem", "--pid", "1", "--smaps-every", "-1"], "--smaps-every must be at least 1 (got -1)"),
        (["mem", "--pid", "-7"], "--pid must be a positive process id (got -7)"),
    ])
    func negativeValuesAreRejectedWithWhatIsExpected(arguments: [String], message: String) {
        let r = SFlameBinary.run(arguments)
        #expect(r.status == 64, "exit code \(r.status)")
        #expect(r.standardError.contains(message), "\(r.standardError)")
        #expect(!r.standardError.contains("Missing value"), "\(r.standardError)")
    }

    @Test func hardwareEventsFallBackToCPUClock() throws {
        let dir = try TemporaryDirectory()
        let r = SFlameBinary.run(["record", "-e", "cycles", "-o", dir.file("o.folded"), "--", try Samples.path("two-hot"), "1"])
        #expect(r.status == 0, "\(r.standardError)")
        if r.standardError.contains("falling back") {
            #expect(r.standardError.contains("cycles is not supported on this machine"))
        }
        #expect(try FoldedStacks(file: dir.file("o.folded")).total > 10)
    }
}

/// The first zombie child of a process, from /proc/PID/task/PID/children.
func zombieChild(of pid: Int32) -> Int32? {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) {
            if let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z"
            {
                return child
            }
        }
        usleep(10_000)
    }
    return nil
}
