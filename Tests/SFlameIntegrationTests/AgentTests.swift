// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sflame agent` end to end: a real pprof client (go tool pprof), a real Prometheus server,
/// the refusals, concurrency and a client that goes away.
@Suite(.serialized) struct AgentTests {
    @Test func goToolPprofReadsTheProfileEndpointAndPrintsTheHotFunctionFirst() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        guard let go = Tools.find("go") else {
            Issue.record("go is not installed (tools/setup installs golang-go)")
            return
        }
        let url = "http://\(agent.address)/debug/pprof/profile?seconds=2&pid=\(target.pid)"
        let result = ProcessRunner.run(go, ["tool", "pprof", "-top", url], environment: Tools.goEnvironment(dir.path))
        #expect(result.status == 0, "\(result.standardError)\n\(agent.log)")
        let rows = TopRows(pprof: result.standardOutput).rows
        #expect(rows.first?.name == "hot_a", "\(result.standardOutput)")
        #expect(rows.contains { $0.name == "hot_b" })

        // The response itself, as net/http/pprof sends it.
        let response = try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1&pid=\(target.pid)")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/octet-stream")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"profile\"")
        #expect(response.body.starts(with: [0x1F, 0x8B]), "gzip'd")
        // The same profile `record -o x.pb.gz` writes: sflame reads it back with the same sample types.
        let saved = dir.file("agent.pb.gz")
        try Data(response.body).write(to: URL(fileURLWithPath: saved))
        let recorded = dir.file("record.pb.gz")
        let record = SFlameBinary.run(["record", "--pid", "\(target.pid)", "-d", "1", "-o", recorded])
        #expect(record.status == 0, "\(record.standardError)")
        let agentRaw = ProcessRunner.run(go, ["tool", "pprof", "-raw", saved], environment: Tools.goEnvironment(dir.path))
        let recordRaw = ProcessRunner.run(go, ["tool", "pprof", "-raw", recorded], environment: Tools.goEnvironment(dir.path))
        let sampleTypes = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("Samples:") }.map(String.init) }
        #expect(sampleTypes(agentRaw.standardOutput) != nil)
        #expect(sampleTypes(agentRaw.standardOutput) == sampleTypes(recordRaw.standardOutput))
        #expect(target.state != nil && target.state != "T" && target.state != "t", "target keeps running")
    }

    @Test func theFlameGraphEndpointDrawsTheHotPath() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        // No pid: the only allowed process.
        let response = try HTTPClient.get(port: agent.port, path: "/flamegraph.svg?seconds=2")
        #expect(response.status == 200, "\(response.text)")
        #expect(response.header("Content-Type") == "image/svg+xml")
        #expect(response.text.contains("<svg") && response.text.contains("hot_a") && response.text.contains("run_loop"))
    }

    @Test func theAllocsEndpointServesTheAllocationProfile() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("alloc-split"), arguments: ["120", "2000"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        let response = try HTTPClient.get(port: agent.port, path: "/debug/pprof/allocs?seconds=2&pid=\(target.pid)")
        #expect(response.status == 200, "\(response.text)\n\(agent.log)")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"allocs\"")
        let saved = dir.file("allocs.pb.gz")
        try Data(response.body).write(to: URL(fileURLWithPath: saved))
        let folded = SFlameBinary.run(["collapse", saved])
        #expect(folded.status == 0, "\(folded.standardError)")
        let stacks = FoldedStacks(text: folded.standardOutput)
        #expect(abs(stacks.share(containing: ["alloc_big", "malloc"]) - 0.75) <= 0.1, "\(folded.standardOutput)")
        #expect(target.state != nil && target.state != "T" && target.state != "t")
    }

    @Test func aRealPrometheusScrapesTheTargetsRSS() throws {
        guard let prometheus = Tools.find("prometheus") else {
            Issue.record("prometheus is not installed (tools/setup installs it)")
            return
        }
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        let promPort = try Self.freePort()
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: sflame
                static_configs:
                  - targets: ['\(agent.address)']
            """
        try config.write(toFile: dir.file("prometheus.yml"), atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: prometheus)
        server.arguments = [
            "--config.file=\(dir.file("prometheus.yml"))", "--storage.tsdb.path=\(dir.file("tsdb"))",
            "--web.listen-address=127.0.0.1:\(promPort)",
        ]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let query = "/api/v1/query?query=sflame_target_rss_bytes%7Bpid%3D%22\(target.pid)%22%7D"
        var value: Double?
        // Prometheus has no readiness signal for a first scrape: poll its API, at most 60 s.
        let appeared = eventually(timeout: 60) {
            guard let response = try? HTTPClient.get(port: promPort, path: query), response.status == 200 else { return false }
            value = Self.firstValue(response.body)
            return value != nil
        }
        #expect(appeared, "the rss series did not appear in Prometheus; agent log: \(agent.log)")
        let status = try String(contentsOfFile: "/proc/\(target.pid)/status", encoding: .utf8)
        let vmRSSLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        let vmRSS = Double(vmRSSLine.split(separator: " ")[1])! * 1024
        if let value {
            #expect(value > 0 && abs(value - vmRSS) <= vmRSS * 0.2, "Prometheus \(value) vs VmRSS \(vmRSS)")
        }
        // Prometheus's own view of the scrape: the target is up.
        let up = try HTTPClient.get(port: promPort, path: "/api/v1/query?query=up%7Bjob%3D%22sflame%22%7D")
        #expect(Self.firstValue(up.body) == 1)
    }

    @Test func refusalsWithAToken() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        try "s3cret-token\n".write(toFile: dir.file("token"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(
            ["--pid", "\(target.pid)", "--listen", "127.0.0.1:0", "--token", dir.file("token")], directory: dir)
        let port = agent.port
        let path = "/debug/pprof/profile?seconds=1&pid=\(target.pid)"

        let missing = try HTTPClient.get(port: port, path: path)
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(try HTTPClient.get(port: port, path: path, token: "s3cret-tokeN").status == 401)
        #expect(try HTTPClient.get(port: port, path: path, token: "s3cret-token-longer").status == 401)
        #expect(try HTTPClient.get(port: port, path: "/metrics").status == 401)

        let notAllowed = try HTTPClient.get(port: port, path: "/debug/pprof/profile?seconds=1&pid=1", token: "s3cret-token")
        #expect(notAllowed.status == 403, "\(notAllowed.text)")
        for bad in ["seconds=0", "seconds=100000", "seconds=2.5", "pid=abc", "pid=-4"] {
            let response = try HTTPClient.get(port: port, path: "/debug/pprof/profile?\(bad)", token: "s3cret-token")
            #expect(response.status == 400, "\(bad): \(response.status) \(response.text)")
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(response.header("X-Go-Pprof") == "1")
        }
        #expect(try HTTPClient.get(port: port, path: "/no/such", token: "s3cret-token").status == 404)
        let ok = try HTTPClient.get(port: port, path: path, token: "s3cret-token")
        #expect(ok.status == 200, "\(ok.text)")
        #expect(agent.stop() == 0, "SIGTERM stops the agent cleanly: \(agent.log)")
    }

    @Test func anAddressBeyondLoopbackNeedsAToken() throws {
        let dir = try TemporaryDirectory()
        let refused = SFlameBinary.run(["agent", "--pid", "\(getpid())", "--listen", "0.0.0.0:0"])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("--token"), "\(refused.standardError)")
        let noTarget = SFlameBinary.run(["agent", "--listen", "127.0.0.1:0"])
        #expect(noTarget.status != 0 && noTarget.standardError.contains("--pid"))
        let twoTargets = SFlameBinary.run(["agent", "--pid", "\(getpid())", "--all"])
        #expect(twoTargets.status == 64 && twoTargets.standardError.contains("only one of"), "\(twoTargets.standardError)")
        try "t0ken".write(toFile: dir.file("token"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(
            ["--pid", "\(getpid())", "--listen", "0.0.0.0:0", "--token", dir.file("token")], directory: dir)
        #expect(agent.address.hasPrefix("0.0.0.0:"))
        #expect(try HTTPClient.get(port: agent.port, path: "/metrics", token: "t0ken").status == 200)
        // The port is taken now: a second agent says so instead of NIO's bind(2) text alone.
        let taken = SFlameBinary.run([
            "agent", "--pid", "\(getpid())", "--listen", "0.0.0.0:\(agent.port)", "--token", dir.file("token"),
        ])
        #expect(taken.status == 1 && taken.standardError.contains("cannot listen on 0.0.0.0:\(agent.port)"), "\(taken.standardError)")
    }

    @Test func aSecondRequestForTheSameProcessGets429WhileTheFirstRuns() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        // 8 s: far enough from its end (more than RecordingSlots.waitGrace) when the second arrives,
        // even on a loaded machine, for the second to be refused rather than wait.
        let first = try HTTPClient(port: agent.port, path: "/debug/pprof/profile?seconds=8&pid=\(target.pid)")
        #expect(try eventually(timeout: 10) { try agent.metric("sflame_agent_recordings_in_progress") == 1 })
        let second = try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1&pid=\(target.pid)")
        #expect(second.status == 429, "\(second.text)")
        #expect(Int(second.header("Retry-After") ?? "").map { (1...9).contains($0) } == true)
        let firstResponse = try first.response()
        #expect(firstResponse.status == 200)
        // Once the first has ended, the process can be profiled again.
        #expect(try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1&pid=\(target.pid)").status == 200)
    }

    @Test func aClientThatDisconnectsEndsItsRecording() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        let agent = try AgentProcess(["--pid", "\(target.pid)", "--listen", "127.0.0.1:0"], directory: dir)
        #expect(agent.openPerfEvents == 0)
        let client = try HTTPClient(port: agent.port, path: "/debug/pprof/profile?seconds=120&pid=\(target.pid)")
        #expect(try eventually(timeout: 10) { try agent.metric("sflame_agent_recordings_in_progress") == 1 })
        #expect(eventually(timeout: 10) { agent.openPerfEvents > 0 }, "the recording has its events open")
        client.abandon()
        // Far less than the 120 s asked for.
        #expect(try eventually(timeout: 15) { try agent.metric("sflame_agent_recordings_in_progress") == 0 }, "\(agent.log)")
        #expect(agent.openPerfEvents == 0, "every perf event is closed")
        #expect(
            try agent.metric("sflame_agent_recordings_total{profile=\"cpu\",end=\"cancelled\"}") == 1, "\(agent.log)")
        #expect(target.state != nil && target.state != "T" && target.state != "t", "target keeps running")
        // SIGTERM during a recording ends it and the agent at once.
        let long = try HTTPClient(port: agent.port, path: "/debug/pprof/profile?seconds=120&pid=\(target.pid)")
        #expect(try eventually(timeout: 10) { try agent.metric("sflame_agent_recordings_in_progress") == 1 })
        let start = Date()
        #expect(agent.stop() == 0, "\(agent.log)")
        #expect(Date().timeIntervalSince(start) < 60, "the agent did not wait out the recording")
        long.abandon()
        #expect(target.state != nil && target.state != "T" && target.state != "t", "target keeps running")
    }

    @Test func aCgroupAllowsItsMembersReadAtEachRequest() throws {
        let dir = try TemporaryDirectory()
        let target = try SampleProcess(try Samples.path("two-hot"), arguments: ["120"])
        // A cgroup of its own (cgroup v2 where mounted, else the v1 pids hierarchy).
        let roots = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/pids"]
        guard let root = roots.first(where: { FileManager.default.fileExists(atPath: "\($0)/cgroup.procs") }) else {
            Issue.record("no cgroup hierarchy with cgroup.procs")
            return
        }
        let cgroup = "\(root)/sflame-agent-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer {
            try? "\(target.pid)\n".write(toFile: "\(root)/cgroup.procs", atomically: false, encoding: .utf8)
            rmdir(cgroup)
        }
        let agent = try AgentProcess(["--cgroup", cgroup, "--listen", "127.0.0.1:0"], directory: dir)
        // Empty at first: no pid to default to, and the target is not (yet) allowed.
        #expect(try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1").status == 400)
        #expect(try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1&pid=\(target.pid)").status == 403)
        try "\(target.pid)\n".write(toFile: "\(cgroup)/cgroup.procs", atomically: false, encoding: .utf8)
        let rss = "sflame_target_rss_bytes{pid=\"\(target.pid)\",process=\"two-hot\"}"
        #expect(try agent.metric(rss).map { $0 > 0 } == true, "a member's memory is exported")
        let response = try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1")
        #expect(response.status == 200, "the only member is the default: \(response.text)")
        try "\(target.pid)\n".write(toFile: "\(root)/cgroup.procs", atomically: false, encoding: .utf8)
        #expect(try HTTPClient.get(port: agent.port, path: "/debug/pprof/profile?seconds=1&pid=\(target.pid)").status == 403)
        #expect(try agent.metric(rss) == nil, "a process that left is no longer exported")
    }

    // MARK: helpers

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        guard bound == 0 else { throw SampleError("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The first sample value of a Prometheus instant-query answer.
    static func firstValue(_ body: [UInt8]) -> Double? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
            let first = result.first, let value = first["value"] as? [Any], value.count == 2,
            let text = value[1] as? String
        else { return nil }
        return Double(text)
    }
}
