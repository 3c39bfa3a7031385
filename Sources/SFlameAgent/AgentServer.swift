// SPDX-License-Identifier: Apache-2.0
import HTTPTypes
import Hummingbird
import Logging
import SFlameProfile
import SFlameRecord
import SFlameSampling
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `sflame agent`: an HTTP server with Go-style pprof endpoints that continuous-profiling
/// backends scrape (Parca, Grafana Alloy's pyroscope scrape), a flame graph for a browser, and
/// Prometheus metrics.
///
/// Endpoints (GET):
/// - `/debug/pprof/profile?seconds=N&pid=P`: an on-CPU recording of N seconds (default 30, at
///   most 300), gzip'd pprof, the bytes `sflame record --pid P -d N -o x.pb.gz` writes;
///   `Content-Type: application/octet-stream`, `Content-Disposition: attachment; filename="profile"`.
/// - `/debug/pprof/allocs?seconds=N&pid=P`: the allocation profile of `sflame mem --alloc`
///   (uprobes on the allocator), gzip'd pprof.
/// - `/flamegraph.svg?seconds=N&pid=P`: the interactive flame graph of an on-CPU recording.
/// - `/metrics`: Prometheus text exposition (see `AgentMetrics`).
/// - `/debug/pprof/` and `/`: a plain-text index.
///
/// Errors are text/plain with `X-Go-Pprof: 1` (go tool pprof then prints the message): 400 bad
/// parameters, 401 no or wrong token (`WWW-Authenticate: Bearer`), 403 a process not allowed,
/// 404 gone, 429 a recording of that process is running (`Retry-After`), 500 the recording
/// failed, 503 shutting down. Recordings run on threads of their own; a client that disconnects
/// ends its recording at once. The perf sampler never stops the target.
public final class Agent: Sendable {
    /// What the agent serves and how it records (validated in `init`).
    public let configuration: AgentConfiguration
    let metrics = AgentMetrics()
    let slots = RecordingSlots()
    /// Recordings whose thread is running (sampling or symbolizing): `sflame_agent_recordings_in_progress`.
    private let running = Atomic<Int>(0)
    /// With `--all`: the processes profiled so far (their memory series are exported while they run).
    private let profiled = Mutex<Set<Int32>>([])

    /// Throws: `.invalidConfiguration` (see `AgentConfiguration.validate`).
    public init(configuration: AgentConfiguration) throws(AgentError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Serves until SIGINT or SIGTERM: then ends the recordings in progress, answers them, and
    /// returns.
    ///
    /// - Parameter onListening: called once with the address actually bound (the port chosen
    ///   for port 0), e.g. "127.0.0.1:41234".
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "sflame-agent")
        logger.logLevel = .warning
        let router = Router()
        router.add(middleware: AgentMiddleware(token: configuration.token, metrics: metrics))
        router.get("/debug/pprof/profile") { request, _ in await self.profile(request, kind: .cpu) }
        router.get("/debug/pprof/allocs") { request, _ in await self.profile(request, kind: .allocs) }
        router.get("/flamegraph.svg") { request, _ in await self.profile(request, kind: .flameGraph) }
        router.get("/metrics") { _, _ in self.metricsResponse() }
        router.get("/debug/pprof/") { _, _ in self.index() }
        router.get("/") { _, _ in self.index() }
        let listen = configuration.listen
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(listen.host, port: listen.port), serverName: "sflame-agent"),
            onServerRunning: { channel in
                let address = channel.localAddress
                let host = address?.ipAddress ?? listen.host
                onListening(ListenAddress(host: host, port: address?.port ?? listen.port).description)
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [app, RecordingCanceller(slots: slots)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    enum Kind: String {
        case cpu = "profile"
        case allocs
        case flameGraph = "flamegraph"
    }

    /// What a finished recording sends.
    struct Payload: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    private func profile(_ request: Request, kind: Kind) async -> Response {
        let query = request.uri.queryParameters
        let pid: Int32
        let parameters: ProfileParameters
        let stop: StopRequest
        do throws(AgentError) {
            parameters = try ProfileParameters(
                seconds: query.get("seconds"), pid: query.get("pid"), defaultSeconds: configuration.defaultSeconds,
                maxSeconds: configuration.maxSeconds)
            pid = try configuration.allowlist.resolve(parameters.pid)
            try AgentRecorder.validate(pid: pid)
            do { stop = try StopRequest() } catch { throw AgentError(.recordingFailed, error.description) }
            try await slots.acquireWaitingForTheEnd(pid: pid, seconds: parameters.seconds, stop: stop)
        } catch {
            return Self.errorResponse(error)
        }
        defer { slots.release(pid: pid, stop: stop) }
        if configuration.allowlist == .all { profiled.withLock { _ = $0.insert(pid) } }
        let seconds = parameters.seconds
        let options = configuration.recording
        let metrics = self.metrics
        let slots = self.slots
        do {
            let payload = try await request.body.consumeWithCancellationOnInboundClose { _ in
                // "profile-PID", "allocs-PID", "flame-PID": Linux keeps 15 bytes of a thread's
                // name, enough for these and a 7-digit PID (pid_max is at most 4194304).
                try await BlockingThread.run(name: "\(kind == .flameGraph ? "flame" : kind.rawValue)-\(pid)", stop: stop) {
                    () throws(AgentError) -> Payload in
                    self.running.add(1, ordering: .relaxed)
                    defer { self.running.subtract(1, ordering: .relaxed) }
                    return try Self.record(
                        kind: kind, pid: pid, seconds: seconds, options: options, stop: stop, metrics: metrics,
                        samplingEnded: { slots.release(pid: pid, stop: stop) })
                }
            }
            return Self.payloadResponse(payload, kind: kind)
        } catch let error as AgentError {
            return Self.errorResponse(error)
        } catch {
            Diagnostic.log("\(kind.rawValue) PID \(pid): the client disconnected; the recording was stopped.")
            return Self.errorResponse(AgentError(.cancelled, "the recording was cancelled."))
        }
    }

    /// Records on the calling (dedicated) thread and counts the recording in the metrics.
    @available(*, noasync, message: "blocks the calling thread for the whole recording")
    private static func record(
        kind: Kind, pid: Int32, seconds: Int, options: AgentRecordingOptions, stop: StopRequest, metrics: AgentMetrics,
        samplingEnded: () -> Void
    ) throws(AgentError) -> Payload {
        let profileName = kind == .allocs ? "allocs" : "cpu"
        do throws(AgentError) {
            switch kind {
            case .cpu, .flameGraph:
                let recording = try AgentRecorder.cpu(
                    pid: pid, seconds: seconds, options: options, stop: stop, samplingEnded: samplingEnded)
                metrics.recordRecording(
                    profile: profileName, end: recording.end, cancelled: stop.isRequested, stats: recording.stats,
                    quality: recording.quality)
                Diagnostic.log(
                    "\(kind.rawValue) PID \(pid): \(recording.stats.samples) sample\(recording.stats.samples == 1 ? "" : "s") in "
                        + "\(Diagnostic.seconds(recording.durationSeconds))\(stop.isRequested ? " (stopped early)" : "")"
                        + (recording.stats.lost > 0 ? ", \(recording.stats.lost) lost" : ""))
                if stop.isRequested { throw AgentError(.cancelled, "the recording was cancelled.") }
                if kind == .flameGraph {
                    return Payload(
                        bytes: try AgentRecorder.flameGraph(recording, pid: pid, options: options),
                        contentType: "image/svg+xml")
                }
                return Payload(bytes: recording.profile.pprofGzip(), contentType: "application/octet-stream")
            case .allocs:
                let result = try AgentRecorder.allocations(
                    pid: pid, seconds: seconds, options: options, stop: stop, samplingEnded: samplingEnded)
                metrics.recordRecording(
                    profile: profileName, end: result.recording.end, cancelled: stop.isRequested,
                    stats: result.recording.stats, quality: result.quality)
                Diagnostic.log(
                    "allocs PID \(pid): \(result.allocations) allocations, \(result.allocatedBytes) bytes in "
                        + "\(Diagnostic.seconds(result.recording.durationSeconds))\(stop.isRequested ? " (stopped early)" : "")")
                if stop.isRequested { throw AgentError(.cancelled, "the recording was cancelled.") }
                return Payload(bytes: result.profile.pprofGzip(), contentType: "application/octet-stream")
            }
        } catch {
            if error.kind != .cancelled {
                metrics.recordFailedRecording(profile: profileName)
                Diagnostic.log("\(kind.rawValue) PID \(pid): \(error.message)")
            }
            throw error
        }
    }

    private func metricsResponse() -> Response {
        let targets: [Int32]
        if let current = configuration.allowlist.currentProcesses() {
            targets = current
        } else {
            targets = profiled.withLock { set in
                set = set.filter(ProcFS.exists)
                return set.sorted()
            }
        }
        let text = metrics.exposition(targets: targets, recordingsInProgress: running.load(ordering: .relaxed))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }

    private func index() -> Response {
        let targets: String
        switch configuration.allowlist {
        case .processes(let pids): targets = "PIDs " + pids.map(String.init).joined(separator: ", ")
        case .cgroup(let path): targets = "the processes of cgroup \(TargetAllowlist.cgroupDirectory(path))"
        case .all: targets = "any process"
        }
        let text = """
            sflame agent: profiles \(targets).

            /debug/pprof/profile?seconds=N&pid=P   on-CPU profile, gzip'd pprof (seconds 1-\(configuration.maxSeconds), default \(configuration.defaultSeconds))
            /debug/pprof/allocs?seconds=N&pid=P    allocation profile (uprobes on the allocator), gzip'd pprof
            /flamegraph.svg?seconds=N&pid=P        on-CPU flame graph (SVG)
            /metrics                               Prometheus metrics: target memory, agent counters

            One recording per process at a time: another request for it gets 429 with Retry-After.

            """
        return Self.textResponse(.ok, text)
    }

    // MARK: Responses

    static let goPprofHeader = HTTPField.Name("X-Go-Pprof")!
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    private static func payloadResponse(_ payload: Payload, kind: Kind) -> Response {
        var headers: HTTPFields = [.contentType: payload.contentType, contentTypeOptions: "nosniff"]
        if kind != .flameGraph { headers[contentDisposition] = "attachment; filename=\"\(kind.rawValue)\"" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: payload.bytes)))
    }

    static func textResponse(_ status: HTTPResponse.Status, _ text: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", contentTypeOptions: "nosniff"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func errorResponse(_ error: AgentError) -> Response {
        var headers: HTTPFields = [goPprofHeader: "1"]
        if let retry = error.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        if error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"sflame\"" }
        return textResponse(HTTPResponse.Status(code: error.statusCode), error.message + "\n", headers: headers)
    }
}

/// Checks the bearer token and counts every request in the metrics.
struct AgentMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: [UInt8]?
    let metrics: AgentMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response: Response
        if let token, !BearerToken.matches(header: request.headers[.authorization], expected: token) {
            let reason =
                request.headers[.authorization] == nil
                ? "this agent needs a bearer token: send 'Authorization: Bearer TOKEN'."
                : "the bearer token is wrong."
            response = Agent.errorResponse(AgentError(.unauthorized, reason))
        } else {
            do {
                response = try await next(request, context)
            } catch let error as HTTPError {
                response = Agent.errorResponse(
                    AgentError(
                        error.status == .notFound ? .notFound : .badRequest,
                        error.status == .notFound ? "no such endpoint: \(request.uri.path) (see /debug/pprof/)." : "\(error)")
                )
            }
        }
        metrics.recordRequest(path: request.uri.path, code: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}

/// Ends the recordings in progress when the agent begins its graceful shutdown (SIGINT,
/// SIGTERM), so the server does not wait out their `seconds` before it stops.
struct RecordingCanceller: Service {
    let slots: RecordingSlots

    func run() async throws {
        try? await gracefulShutdown()
        slots.cancelAll()
    }
}

/// One-line log messages on stderr.
enum Diagnostic {
    static func log(_ line: String) {
        var text = "sflame agent: " + line + "\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func seconds(_ value: Double) -> String {
        "\((value * 10).rounded() / 10) s"
    }
}
