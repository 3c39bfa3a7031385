// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A running `sflame agent`: started with the given arguments (its address from the
/// "listening on HOST:PORT" line it prints, no sleeps), stopped with SIGTERM and reaped when
/// released.
final class AgentProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    let logPath: String
    /// "127.0.0.1:41234"
    private(set) var address = ""
    var pid: Int32 { process.processIdentifier }
    var port: Int { Int(address.split(separator: ":").last ?? "") ?? 0 }

    init(_ arguments: [String], directory: TemporaryDirectory, timeout: Double = 30) throws {
        logPath = directory.file("agent-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: SFlameBinary.path)
        process.arguments = ["agent"] + arguments
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        var buffered = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = String(decoding: buffered, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                address = String(line.dropFirst("listening on ".count))
                return
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            buffered.append(chunk)
        }
        throw SampleError("sflame agent did not print 'listening on …': \(log)")
    }

    /// What the agent wrote on stderr so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for the agent to exit; returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { kill(pid, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The perf events the agent holds open now (anon_inode:[perf_event] in /proc/PID/fd).
    var openPerfEvents: Int {
        let dir = "/proc/\(pid)/fd"
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\($0)")) == "anon_inode:[perf_event]" }
            .count
    }

    /// The value of one series in /metrics, e.g. `sflame_agent_recordings_in_progress`.
    func metric(_ series: String, token: String? = nil) throws -> Double? {
        let response = try HTTPClient.get(port: port, path: "/metrics", token: token)
        for line in response.text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A minimal HTTP/1.1 client over a socket: one request per connection (`Connection: close`),
/// so a test controls exactly when a connection is open and when it is closed.
struct HTTPClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    let fd: Int32

    /// Connects to 127.0.0.1:port and sends a GET for `path`.
    init(port: Int, path: String, token: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SampleError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw SampleError("connect to port \(port): errno \(errno)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            close(fd)
            throw SampleError("write: errno \(errno)")
        }
    }

    /// Reads the whole response (until the server closes) and closes the socket.
    func response() throws -> Response {
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return try Self.parse(data)
    }

    /// Closes the connection without reading (a client that goes away).
    func abandon() { close(fd) }

    static func get(port: Int, path: String, token: String? = nil) throws -> Response {
        try HTTPClient(port: port, path: path, token: token).response()
    }

    static func parse(_ data: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            throw SampleError("no HTTP response head in \(data.count) bytes")
        }
        let head = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw SampleError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = (i..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16) else { throw SampleError("bad chunk size \(sizeText)") }
            if size == 0 { break }
            out.append(contentsOf: data[(lineEnd + 2)..<(lineEnd + 2 + size)])
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass (for state that has
/// no signal of its own, like a Prometheus series appearing). Returns whether it held.
func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
