// SPDX-License-Identifier: Apache-2.0
import Foundation

/// The built `sflame` executable, beside the test bundle.
public enum SFlameBinary {
    public static var path: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("sflame").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return Samples.repositoryRoot.appendingPathComponent(".build/debug/sflame").path
    }

    /// Runs sflame to completion.
    public static func run(_ arguments: [String]) -> ProcessRunner.Result {
        ProcessRunner.run(path, arguments)
    }
}

/// Copies an executable with cp(1), in a process of its own, for a test that runs the copy.
/// A copy written by this process (FileManager.copyItem) keeps its descriptor open for a
/// moment, and a process that a test running in parallel starts then inherits it: executing
/// the copy failed with ETXTBSY ("Text file busy").
///
/// - Throws: `SampleError` with cp's message when it fails.
public func copyExecutable(_ source: String, to destination: String) throws {
    let copy = ProcessRunner.run("/bin/cp", [source, destination])
    guard copy.status == 0 else { throw SampleError("cp \(source) \(destination) failed: \(copy.standardError)") }
}

/// A fresh temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sflame-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Folded stacks read back for assertions: weight by stack, and shares of frames and edges.
public struct FoldedStacks {
    public var stacks: [(frames: [String], weight: Int)] = []

    public init(text: String) {
        for line in text.split(separator: "\n") {
            guard let space = line.lastIndex(of: " "), let weight = Int(line[line.index(after: space)...]) else { continue }
            stacks.append((line[..<space].split(separator: ";", omittingEmptySubsequences: false).map(String.init), weight))
        }
    }

    public init(file: String) throws {
        self.init(text: try String(contentsOfFile: file, encoding: .utf8))
    }

    public var total: Int { stacks.reduce(0) { $0 + $1.weight } }

    /// Weight of stacks that contain `path` as consecutive frames (parent first).
    public func weight(containing path: [String]) -> Int {
        stacks.filter { s in
            guard s.frames.count >= path.count else { return false }
            return (0...(s.frames.count - path.count)).contains { Array(s.frames[$0..<$0 + path.count]) == path }
        }.reduce(0) { $0 + $1.weight }
    }

    /// Share (0…1) of the total weight in stacks containing `path`.
    public func share(containing path: [String]) -> Double {
        total == 0 ? 0 : Double(weight(containing: path)) / Double(total)
    }

    /// Share of stacks whose leaf is `name`.
    public func leafShare(_ name: String) -> Double {
        total == 0 ? 0 : Double(stacks.filter { $0.frames.last == name }.reduce(0) { $0 + $1.weight }) / Double(total)
    }
}
