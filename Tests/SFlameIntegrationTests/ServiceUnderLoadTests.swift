// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// A real service under load: redis-server from Debian's packages on loopback, driven by
/// redis-benchmark, recorded by sflame and by `perf record --call-graph=dwarf` at the same time,
/// at the same frequency, for the same duration. Their self-time shares must agree.
@Suite(.serialized) struct ServiceUnderLoadTests {
    static let seconds = 4
    static let frequency = 999

    @Test(
        "redis-server under redis-benchmark: the top five self-time functions agree with perf within 5 points",
        .enabled(if: getuid() == 0, "needs root (perf and sflame on another process)"),
        .enabled(
            if: RedisPackages.installed(),
            "redis-server and redis-benchmark are missing and could not be installed (apt-get install redis-server redis-tools)"),
        .enabled(if: Perf.isAvailable, "perf is not installed (apt install linux-perf)"))
    func redisAgreesWithPerf() throws {
        let dir = try TemporaryDirectory()
        let server = try RedisServer(directory: dir.path)
        // Started without the test runner's blocked signals (`UnblockedProcess`), so they stop
        // when told to: perf ends when its `sleep` workload does, on SIGCHLD.
        let load = try UnblockedProcess([
            RedisPackages.benchmark!, "-h", "127.0.0.1", "-p", "\(server.port)", "-c", "50", "-n", "1000000000",
            "-t", "set,get,incr,lpush", "-q",
        ])
        defer {
            kill(load.pid, SIGKILL)
            load.waitUntilExit()
        }
        // The load is on once the server has answered a few thousand commands.
        try waitUntil("redis-benchmark is running") { server.commandsProcessed() > 5000 }

        // Both recorders at once, on the same process, for the same time, at the same frequency.
        // Two rounds, each tool opening its events first in one of them: of two cpu-clock events
        // on one task, the first opened takes more of the samples that land where the task is
        // switched back in (finish_task_switch), by up to 10 points; the two rounds cancel that.
        var theirs = SelfTime()
        var ours = SelfTime()
        for (round, perfFirst) in [true, false].enumerated() {
            let perfData = dir.file("perf-\(round).data")
            let folded = dir.file("sflame-\(round).folded")
            let perfArguments = [
                Perf.path, "record", "-q", "--call-graph=dwarf", "-F", "\(Self.frequency)", "-p", "\(server.pid)",
                "-o", perfData, "--", "sleep", "\(Self.seconds)",
            ]
            let sflameArguments = [
                SFlameBinary.path, "record", "--pid", "\(server.pid)", "-F", "\(Self.frequency)", "-d", "\(Self.seconds)",
                "-o", folded,
            ]
            let first = try UnblockedProcess(perfFirst ? perfArguments : sflameArguments)
            var firstEnded = false
            defer {
                if !firstEnded {
                    kill(first.pid, SIGKILL)
                    _ = first.waitUntilExit()
                }
            }
            try waitUntil("the first recorder opened its events") { perfEventDescriptors(of: first.pid) > 0 }
            let second = try UnblockedProcess(perfFirst ? sflameArguments : perfArguments)
            let secondStatus = second.waitUntilExit()
            let firstStatus = first.waitUntilExit()
            firstEnded = true
            let (perfStatus, sflameStatus) = perfFirst ? (firstStatus, secondStatus) : (secondStatus, firstStatus)
            #expect(perfStatus == 0, "perf record failed (\(perfStatus))")
            #expect(sflameStatus == 0, "sflame record failed (\(sflameStatus))")
            let script = ProcessRunner.run(Perf.path, ["script", "-i", perfData, "-F", "comm,tid,ip,sym,dso"])
            #expect(script.status == 0, "\(script.standardError)")
            theirs.add(perfScript: script.standardOutput)
            ours.add(folded: try FoldedStacks(file: folded))
        }
        // Enough samples for 5 points to be a wide margin (a share's standard error is below 1.5 points).
        #expect(theirs.total >= 400 && ours.total >= 400, "samples: perf \(theirs.total), sflame \(ours.total)")
        let compared = Set(theirs.top(5) + ours.top(5))
        var report: [String] = []
        for name in compared.sorted() {
            let (p, s) = (theirs.percent(name), ours.percent(name))
            report.append("\(name): perf \(String(format: "%.1f", p)) %, sflame \(String(format: "%.1f", s)) %")
            #expect(abs(p - s) <= 5, "\(name): perf \(p) %, sflame \(s) %")
        }
        print("self time, redis-server under load (perf \(theirs.total), sflame \(ours.total) samples):\n  "
            + report.joined(separator: "\n  "))
    }

}

/// Self time by function: the function holding each sample's address, outside any inlined call
/// (both tools expand inline frames, from their own DWARF readers; the containing function is
/// what they agree on). Names normalized as in `StackComparison`: symbol versions dropped, frames
/// without a symbol `[unknown]`, kernel and user functions alike.
struct SelfTime {
    private(set) var weights: [String: Int] = [:]
    private(set) var total = 0

    init() {}

    /// Adds `perf script -F comm,tid,ip,sym,dso`: a header line per sample, then its frames leaf first.
    mutating func add(perfScript text: String) {
        for block in text.components(separatedBy: "\n\n") {
            let lines = block.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            guard lines.count >= 2 else { continue }
            var leaf = "[unknown]"
            for line in lines.dropFirst() {
                let body = line.trimmingCharacters(in: .whitespaces)
                guard let space = body.firstIndex(of: " ") else { continue }
                var symbol = String(body[body.index(after: space)...])
                if symbol.hasSuffix(" (inlined)") { continue }
                if let open = symbol.range(of: " (", options: .backwards) { symbol = String(symbol[..<open.lowerBound]) }
                if let offset = symbol.range(of: "+0x", options: .backwards) { symbol = String(symbol[..<offset.lowerBound]) }
                leaf = Self.normalize(symbol)
                break
            }
            weights[leaf, default: 0] += 1
            total += 1
        }
    }

    /// Adds sflame's folded stacks: the last frame that is not an inlined one (`_[i]`).
    mutating func add(folded: FoldedStacks) {
        for stack in folded.stacks {
            let frame = stack.frames.dropFirst().last { !$0.hasSuffix("_[i]") } ?? "[unknown]"
            var name = frame
            if name.hasSuffix("_[k]") { name.removeLast(4) }
            weights[Self.normalize(name), default: 0] += stack.weight
            total += stack.weight
        }
    }

    static func normalize(_ symbol: String) -> String {
        var name = symbol
        if let at = name.firstIndex(of: "@"), at != name.startIndex { name = String(name[..<at]) }
        if name.hasPrefix("[") || name.isEmpty { return "[unknown]" }
        return name
    }

    func top(_ count: Int) -> [String] {
        weights.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(count).map(\.key)
    }

    func percent(_ name: String) -> Double { total == 0 ? 0 : 100 * Double(weights[name] ?? 0) / Double(total) }
}

/// Debian's redis packages: installed when missing (as root, with apt-get), else absent.
enum RedisPackages {
    static var server: String? { Executables.find("redis-server") }
    static var benchmark: String? { Executables.find("redis-benchmark") }
    static var client: String? { Executables.find("redis-cli") }

    static func installed() -> Bool {
        if server != nil && benchmark != nil && client != nil { return true }
        guard getuid() == 0, let aptGet = Executables.find("apt-get") else { return false }
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        _ = ProcessRunner.run(aptGet, ["install", "-y", "-qq", "redis-server", "redis-tools"], environment: environment)
        return server != nil && benchmark != nil && client != nil
    }
}

/// A redis-server of its own on 127.0.0.1 and an unused port, without persistence, stopped when
/// released. (CI machines start with no redis running; a system one is left alone.)
final class RedisServer {
    let process: UnblockedProcess
    let port: Int
    var pid: Int32 { process.pid }

    init(directory: String) throws {
        port = try Self.unusedPort()
        process = try UnblockedProcess([
            RedisPackages.server!, "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--daemonize", "no", "--protected-mode", "yes",
        ])
        do {
            try waitUntil("redis-server answers PING") { self.ask(["PING"]) == "PONG" }
        } catch {
            stop()
            throw error
        }
    }

    private var stopped = false

    deinit { stop() }

    private func stop() {
        guard !stopped else { return }
        stopped = true
        kill(process.pid, SIGTERM)
        process.waitUntilExit()
    }

    func ask(_ command: [String]) -> String {
        let result = ProcessRunner.run(RedisPackages.client!, ["-h", "127.0.0.1", "-p", "\(port)"] + command)
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `total_commands_processed` from INFO stats.
    func commandsProcessed() -> Int {
        let info = ask(["INFO", "stats"])
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("total_commands_processed:") })
        else { return 0 }
        return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }

    /// A TCP port nothing listens on: bound to port 0, the kernel picks one; released for redis.
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SampleError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SampleError("bind: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SampleError("getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
