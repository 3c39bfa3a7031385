// SPDX-License-Identifier: Apache-2.0
import Foundation

/// The programs in samples/, built once per test process with `make -C samples`.
public enum Samples {
    /// The repository root (two levels above this file's folder).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the samples are built: .build/sflame-samples (ignored by git).
    public static let buildDirectory = repositoryRoot.appendingPathComponent(".build/sflame-samples")

    private static let built: Result<Void, SampleError> = {
        let result = ProcessRunner.run(
            "/usr/bin/make", ["-s", "-C", repositoryRoot.appendingPathComponent("samples").path,
                              "OUT=\(buildDirectory.path)"])
        if result.status != 0 {
            return .failure(SampleError("make -C samples failed (\(result.status)): \(result.standardError)"))
        }
        return .success(())
    }()

    /// The path of a built sample program, building all of them on first use.
    public static func path(_ name: String) throws -> String {
        try built.get()
        let path = buildDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SampleError("sample \(name) was not built at \(path)")
        }
        return path
    }
}

public struct SampleError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A running sample program. It is killed and reaped when the value is released, so a
/// failing test never leaves it behind.
public final class SampleProcess: @unchecked Sendable {
    public let process: Process
    private let output: Pipe
    private let input: Pipe?
    private var buffered = Data()

    public var pid: Int32 { process.processIdentifier }

    /// Starts the program and waits until it prints `readyLine` on stdout (no sleeps).
    ///
    /// - Parameter standardInput: give the program a pipe on stdin to `send` lines to (otherwise
    ///   it inherits the test's stdin).
    public init(
        _ path: String, arguments: [String] = [], readyLine: String = "ready", timeout: Double = 20,
        standardInput: Bool = false
    ) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        input = standardInput ? Pipe() : nil
        if let input { process.standardInput = input }
        try process.run()
        try waitForLine(readyLine, timeout: timeout)
    }

    /// Writes a line to the program's stdin (see `standardInput`).
    public func send(_ line: String) {
        input?.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for a line that starts with `prefix` and returns it.
    public func waitForLine(startingWith prefix: String, timeout: Double = 20) throws -> String {
        try waitForLines(count: 1, timeout: timeout, description: "'\(prefix)…'") { $0.hasPrefix(prefix) }[0]
    }

    /// Waits until the program prints `line` (a whole line) on stdout, `count` times in all.
    public func waitForLine(_ line: String, count: Int = 1, timeout: Double = 20) throws {
        _ = try waitForLines(count: count, timeout: timeout, description: "'\(line)'") { $0 == Substring(line) }
    }

    /// Waits until the program printed `count` lines that satisfy `matches` on stdout, and
    /// returns them all.
    public func waitForLines(
        count: Int, timeout: Double = 20, description: String = "the expected lines", matching matches: (Substring) -> Bool
    ) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = String(decoding: buffered, as: UTF8.self).split(separator: "\n").filter(matches)
            if found.count >= count { return found.map(String.init) }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            buffered.append(chunk)
        }
        throw SampleError(
            "\(process.executableURL?.lastPathComponent ?? "sample") did not print \(description) \(count) times in time")
    }

    /// The process state letter from /proc/PID/stat (R, S, T, t, Z…), or nil when gone.
    public var state: Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(close, offsetBy: 2)]
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}

/// Runs a program to completion and captures its output.
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            return Result(status: -1, standardOutput: "", standardError: "\(error)")
        }
        // Read both pipes concurrently so a full pipe never blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }
}
