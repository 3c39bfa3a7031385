// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

#if canImport(Glibc)
import Glibc
#endif

/// The processes the agent may profile, fixed at start (`--pid`, `--cgroup`, `--all`).
///
/// A request names a PID; a thread ID counts as its process (the `Tgid` of
/// /proc/TID/status). Cgroup membership is read again on every request (cgroup.procs), so
/// processes that join or leave the cgroup are seen at once.
public enum TargetAllowlist: Sendable, Equatable {
    /// These processes (and their threads).
    case processes([Int32])
    /// The processes of a cgroup directory (v2, or a v1 hierarchy; absolute, or relative to /sys/fs/cgroup).
    case cgroup(String)
    /// Any user process.
    case all

    /// The cgroup root that relative `--cgroup` paths are resolved against.
    public static let cgroupRoot = "/sys/fs/cgroup"

    /// The cgroup directory for a `--cgroup` argument: absolute paths as they are, others under
    /// /sys/fs/cgroup.
    public static func cgroupDirectory(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return cgroupRoot + "/" + path
    }

    /// Checks the allowlist can be used: the PIDs exist, the cgroup's procs file is readable.
    ///
    /// Throws: `.invalidConfiguration` naming the PID or the file.
    public func check() throws(AgentError) {
        switch self {
        case .processes(let pids):
            for pid in pids where !ProcFS.exists(pid) {
                throw AgentError(.invalidConfiguration, "--pid \(pid): no such process (/proc/\(pid) does not exist).")
            }
        case .cgroup(let path):
            do { _ = try Self.cgroupProcesses(path) } catch {
                throw AgentError(
                    .invalidConfiguration,
                    "--cgroup \(path): cannot read \(Self.cgroupDirectory(path))/cgroup.procs (\(error.description)). "
                        + "Give a cgroup directory, absolute or relative to /sys/fs/cgroup, e.g. system.slice/redis-server.service.")
            }
        case .all:
            break
        }
    }

    /// The processes the allowlist names now: the PIDs that still exist, the cgroup's members,
    /// or nil for `--all` (every process).
    public func currentProcesses() -> [Int32]? {
        switch self {
        case .processes(let pids): return pids.filter(ProcFS.exists)
        case .cgroup(let path): return ((try? Self.cgroupProcesses(path)) ?? []).sorted()
        case .all: return nil
        }
    }

    /// The process to profile for a request: `pid` (or its thread group leader), or, without a
    /// PID, the only process the allowlist names.
    ///
    /// Throws: `.badRequest` without a PID when several (or no) processes are allowed,
    /// `.forbidden` when the process is not allowed, `.notFound` when an allowed PID no longer
    /// exists.
    public func resolve(_ requested: Int32?) throws(AgentError) -> Int32 {
        guard let requested else {
            let current = currentProcesses()
            if let current, current.count == 1 { return current[0] }
            let choices = current.map { $0.isEmpty ? "none is running" : "one of \(Self.list($0))" } ?? "any process"
            throw AgentError(.badRequest, "pid is required (\(choices)): add ?pid=PID to the URL.")
        }
        let process = ProcFS.threadGroup(of: requested)
        switch self {
        case .processes(let pids):
            guard pids.contains(requested) || process.map(pids.contains) == true else {
                throw AgentError(.forbidden, "PID \(requested) is not one this agent profiles (\(Self.list(pids))).")
            }
            guard let process else {
                throw AgentError(.notFound, "PID \(requested) does not exist any more.")
            }
            return process
        case .cgroup(let path):
            let members = (try? Self.cgroupProcesses(path)) ?? []
            guard let process, members.contains(process) else {
                throw AgentError(
                    .forbidden, "PID \(requested) is not in the cgroup this agent profiles (\(Self.cgroupDirectory(path))).")
            }
            return process
        case .all:
            guard let process else { throw AgentError(.notFound, "PID \(requested) does not exist.") }
            return process
        }
    }

    /// The PIDs in DIR/cgroup.procs.
    static func cgroupProcesses(_ path: String) throws(SamplingError) -> Set<Int32> {
        let text = try ProcFS.readText(cgroupDirectory(path) + "/cgroup.procs")
        return Set(text.split(whereSeparator: \.isNewline).compactMap { Int32($0) })
    }

    private static func list(_ pids: [Int32]) -> String {
        pids.prefix(10).map(String.init).joined(separator: ", ") + (pids.count > 10 ? ", …" : "")
    }
}
