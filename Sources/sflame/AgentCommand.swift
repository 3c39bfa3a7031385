// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Dispatch
import SFlameAgent
import SFlameRecord

#if canImport(Glibc)
    import Glibc
#endif

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Serve pprof profiles, a flame graph and Prometheus metrics over HTTP (service mode).",
        discussion: """
            Continuous-profiling backends scrape the Go-style endpoints (Parca; Grafana Alloy's \
            pyroscope scrape), Prometheus scrapes /metrics, and a person opens the flame graph:
              GET /debug/pprof/profile?seconds=N&pid=P  on-CPU profile, gzip'd pprof, as record -o x.pb.gz
              GET /debug/pprof/allocs?seconds=N&pid=P   allocation profile (mem --alloc), gzip'd pprof
              GET /flamegraph.svg?seconds=N&pid=P       interactive flame graph
              GET /metrics                              target memory (rss, pss, anon, file, swap…), agent counters
            seconds: 1 to 300, default 30. pid may be left out when one process is allowed; a thread ID \
            counts as its process.

            Safe by default: listens on loopback unless --listen names another address, and then only \
            with --token FILE (requests need 'Authorization: Bearer TOKEN', else 401). Only the processes \
            of --pid or --cgroup can be profiled (else 403); --all allows any. One recording per process \
            at a time: another request for it gets 429 with Retry-After. A client that disconnects \
            ends its recording. The perf sampler never stops the target. SIGINT or SIGTERM end the \
            recordings in progress and stop the agent.

            On start the agent prints 'listening on HOST:PORT' on stdout (--listen 127.0.0.1:0 picks a \
            free port).

            Examples:
              sflame agent --pid 4242
              sflame agent --cgroup system.slice/redis-server.service --listen 127.0.0.1:6060
              sflame agent --all --listen 0.0.0.0:6060 --token /etc/sflame/token
              go tool pprof -top 'http://127.0.0.1:6060/debug/pprof/profile?seconds=10&pid=4242'
            """
    )

    @Option(help: ArgumentHelp("The address to listen on; another address than loopback needs --token.", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:6060"

    @Option(name: [.short, .customLong("pid")], help: ArgumentHelp("The processes that may be profiled (comma-separated PIDs).", valueName: "PID[,PID…]"))
    var pids: PIDList?

    @Option(help: ArgumentHelp("Allow the processes of this cgroup directory (absolute, or relative to /sys/fs/cgroup); membership is read at each request.", valueName: "PATH"))
    var cgroup: String?

    @Flag(help: "Allow any process on the machine.")
    var all = false

    @Option(help: ArgumentHelp("A file holding the bearer token every request must carry (Authorization: Bearer TOKEN). Needed for an address other than loopback.", valueName: "FILE"))
    var token: String?

    @Option(name: [.customShort("F"), .customLong("frequency")], help: "Samples per second per thread.")
    var frequency: UInt64 = 99

    @Option(
        name: [.customShort("g"), .customLong("call-graph")],
        help: ArgumentHelp("How user stacks are recovered, as in record: fp, dwarf[,BYTES] or auto.", valueName: "fp|dwarf[,BYTES]|auto"))
    var callGraph = CallGraphArgument(.default)

    @Flag(name: .long, help: "Sample user space only.")
    var noKernel = false

    @Option(name: .long, help: ArgumentHelp("An extra directory to search for separate debug info (repeatable).", valueName: "DIR"))
    var debuginfoPath: [String] = []

    func validate() throws {
        let targets = (pids == nil ? 0 : 1) + (cgroup == nil ? 0 : 1) + (all ? 1 : 0)
        if targets > 1 {
            throw ValidationError("Give only one of --pid PID[,PID…], --cgroup PATH or --all.")
        }
        if targets == 0 {
            throw ValidationError("Name the processes that may be profiled: one of --pid PID[,PID…], --cgroup PATH or --all.")
        }
        if frequency == 0 || frequency > 100_000 {
            throw ValidationError("--frequency must be between 1 and 100000 Hz (got \(frequency)).")
        }
        if let error = callGraph.error { throw ValidationError(error) }
    }

    func run() throws {
        let allowlist: TargetAllowlist = all ? .all : cgroup.map { .cgroup($0) } ?? .processes(pids!.values)
        var configuration = AgentConfiguration(allowlist: allowlist)
        configuration.recording.frequencyHz = frequency
        configuration.recording.callGraph = callGraph.value
        configuration.recording.includeKernel = !noKernel
        configuration.recording.debugInfoPaths = debuginfoPath
        let agent: Agent
        do {
            configuration.listen = try ListenAddress(parsing: listen)
            configuration.token = try token.map(AgentConfiguration.readToken(path:))
            agent = try Agent(configuration: configuration)
        } catch {
            Diagnostics.error(error.message)
            throw SFlameExit.invalidInput
        }
        // The server is async; this command (like the others) is synchronous: the main thread
        // waits while the server runs on the concurrency pool and SwiftNIO's event loops.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await agent.run { address in
                    failure.listening = true
                    // Unbuffered: a supervisor or a test waits for this line.
                    var line = "listening on \(address)\n"
                    line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
                }
            } catch {
                failure.message = "\(error)"
            }
            done.signal()
        }
        done.wait()
        if let message = failure.message {
            Diagnostics.error(
                failure.listening
                    ? "the agent stopped: \(message)"
                    : "cannot listen on \(listen): \(message). Is another process using the port? Choose another "
                        + "with --listen HOST:PORT (port 0 picks a free one).")
            throw SFlameExit.failure
        }
    }
}

/// The server task's error, read by the main thread after the task signalled it is done.
private final class FailureBox: @unchecked Sendable {
    var message: String?
    /// Set once the server accepts connections (from the server's task, read after `done`).
    var listening = false
}
