// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Samples built with other compilers (`make -C samples rust`, `make -C samples swift`), on
/// demand, when the compiler is installed.
public enum OptionalSamples {
    /// rustc from PATH or ~/.cargo/bin, nil when neither has one.
    public static let rustc: String? = Executables.find("rustc", extra: ["\(NSHomeDirectory())/.cargo/bin/rustc"])
    /// swiftc from PATH or /opt/swift/usr/bin.
    public static let swiftc: String? = Executables.find("swiftc", extra: ["/opt/swift/usr/bin/swiftc"])

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: Result<Void, SampleError>] = [:]

    /// Builds `makeTarget` once per test process and returns the path of the program `name`.
    public static func path(_ name: String, makeTarget: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        var variables = ["OUT=\(Samples.buildDirectory.path)"]
        if let rustc { variables.append("RUSTC=\(rustc)") }
        if let swiftc { variables.append("SWIFTC=\(swiftc)") }
        let result =
            built[makeTarget]
            ?? {
                let run = ProcessRunner.run(
                    "/usr/bin/make",
                    ["-s", "-C", Samples.repositoryRoot.appendingPathComponent("samples").path] + variables + [makeTarget])
                let outcome: Result<Void, SampleError> =
                    run.status == 0
                    ? .success(()) : .failure(SampleError("make \(makeTarget) failed (\(run.status)): \(run.standardError)"))
                built[makeTarget] = outcome
                return outcome
            }()
        try result.get()
        return Samples.buildDirectory.appendingPathComponent(name).path
    }
}

/// Programs looked up like a shell does.
public enum Executables {
    /// The first executable named `name` in PATH, else the first of `extra` that exists.
    public static func find(_ name: String, extra: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return extra.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A sample program running as a container would: in its own PID and mount namespaces
/// (`unshare --pid --fork --mount-proc`), chrooted into a tmpfs mounted only in its mount
/// namespace that holds a copy of the program and its shared libraries. From the host, its files
/// exist only under /proc/PID/root, and /proc/PID/maps names them by paths that lead nowhere.
///
/// The program is PID 1 inside; `hostPID` is its PID outside. Everything is killed when the
/// value is released (`unshare --kill-child`).
public final class NamespacedProcess: @unchecked Sendable {
    public let launcher: SampleProcess
    public let hostPID: Int32
    /// The program's path inside its root.
    public let pathInside: String
    private let stage: TemporaryDirectory
    private let mountPoint: TemporaryDirectory

    /// - Parameter program: a sample program (its `ldd` libraries are copied beside it).
    public init(program: String, arguments: [String], nameInside: String) throws {
        stage = try TemporaryDirectory()
        mountPoint = try TemporaryDirectory()
        pathInside = "/app/\(nameInside)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: stage.path + "/app", withIntermediateDirectories: true)
        try fm.copyItem(atPath: program, toPath: stage.path + pathInside)
        let ldd = ProcessRunner.run("/usr/bin/ldd", [program])
        guard ldd.status == 0 else { throw SampleError("ldd \(program) failed: \(ldd.standardError)") }
        for line in ldd.standardOutput.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let path = words.first(where: { $0.hasPrefix("/") }).map(String.init) else {
                continue
            }
            let destination = stage.path + path
            try fm.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let resolved = (path as NSString).resolvingSymlinksInPath
            if !fm.fileExists(atPath: destination) { try fm.copyItem(atPath: resolved, toPath: destination) }
        }
        let log = stage.file("launch.log")
        let script =
            "exec 2>\(log); mount -t tmpfs sflame-test \(mountPoint.path) && cp -a \(stage.path)/. \(mountPoint.path)/ "
            + "&& exec \(Executables.find("chroot", extra: ["/usr/sbin/chroot"]) ?? "chroot") \(mountPoint.path) \(pathInside) "
            + arguments.joined(separator: " ")
        do {
            launcher = try SampleProcess(
                "/usr/bin/unshare",
                arguments: [
                    "--pid", "--fork", "--mount-proc", "--propagation", "private", "--kill-child", "/bin/sh", "-c",
                    script,
                ])
        } catch {
            let messages = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw SampleError("\(error): \(messages)")
        }
        // unshare's only child became the program (sh and chroot exec'd it).
        let children = (try? String(
            contentsOfFile: "/proc/\(launcher.pid)/task/\(launcher.pid)/children", encoding: .utf8)) ?? ""
        guard let pid = children.split(separator: " ").first.flatMap({ Int32($0) }) else {
            throw SampleError("unshare (PID \(launcher.pid)) has no child")
        }
        hostPID = pid
    }

    /// Whether this machine can run it: root, and unshare, chroot and ldd installed.
    public static var isSupported: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/ldd")
            && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/chroot")
                || FileManager.default.isExecutableFile(atPath: "/usr/bin/chroot"))
    }
}

/// CPU time the kernel accounts as idle (/proc/stat, all CPUs), in clock ticks.
public func systemIdleTicks() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
    else { return 0 }
    let fields = line.split(separator: " ").dropFirst().compactMap { Int($0) }
    return fields.count > 3 ? fields[3] : 0
}
