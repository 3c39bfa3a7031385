// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads from /proc. The corresponding system calls are `open`, `read` and `getdents64`
/// (through `opendir`); /proc files report size 0, so they are read to EOF.
///
/// Every read can race with the process exiting: ENOENT and ESRCH become
/// `SamplingError(.noSuchProcess)`, which callers treat as "the target is gone", not a crash.
public enum ProcFS {
    /// The root of the proc filesystem; tests may point it elsewhere.
    public static let root = "/proc"

    /// The whole content of a file as UTF-8 text (invalid bytes replaced).
    ///
    /// Throws: `.noSuchProcess` for ENOENT/ESRCH, `.permissionDenied` for EACCES/EPERM,
    /// `.systemCall` otherwise.
    public static func readText(_ path: String) throws(SamplingError) -> String {
        let bytes = try readBytes(path)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole content of a file.
    public static func readBytes(_ path: String) throws(SamplingError) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec], retryOnInterrupt: true)
        } catch {
            throw fileError(error, path: path)
        }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
            } catch {
                throw fileError(error, path: path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    private static func fileError(_ error: any Error, path: String) -> SamplingError {
        let code = (error as? Errno)?.rawValue ?? 0
        switch code {
        case Errno.noSuchFileOrDirectory.rawValue, Errno.noSuchProcess.rawValue:
            return SamplingError(.noSuchProcess, operation: "reading \(path)", errno: code)
        case Errno.permissionDenied.rawValue, Errno.notPermitted.rawValue:
            return SamplingError(
                .permissionDenied, operation: "reading \(path)", errno: code,
                explanation: "Run sflame as the target's user or as root (CAP_SYS_PTRACE).")
        default:
            return SamplingError(.systemCall, operation: "reading \(path)", errno: code)
        }
    }

    /// Whether /proc/PID exists.
    public static func exists(_ pid: ProcessIDValue) -> Bool {
        access("\(root)/\(pid)/stat", F_OK) == 0
    }

    /// The process (thread group) a PID or thread ID belongs to: the `Tgid` line of
    /// /proc/ID/status (proc(5)); the ID itself for a process. Nil when the ID is gone or the
    /// file cannot be read.
    public static func threadGroup(of id: ProcessIDValue) -> Int32? {
        guard let tgid = (try? status(pid: id))?.integer("Tgid") else { return nil }
        return Int32(exactly: tgid)
    }

    /// The thread ids of a process (/proc/PID/task), ascending.
    public static func threads(of pid: ProcessIDValue) throws(SamplingError) -> [Int32] {
        let path = "\(root)/\(pid)/task"
        guard let dir = opendir(path) else {
            let code = errno
            throw SamplingError(
                code == ENOENT ? .noSuchProcess : .systemCall, operation: "listing \(path)", errno: code)
        }
        defer { closedir(dir) }
        var tids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let tid = Int32(name) { tids.append(tid) }
        }
        return tids.sorted()
    }

    /// /proc/PID/stat (or /proc/PID/task/TID/stat when `tid` is given), parsed.
    public static func stat(pid: ProcessIDValue, tid: Int32? = nil) throws(SamplingError) -> ProcStat {
        let path = tid.map { "\(root)/\(pid)/task/\($0)/stat" } ?? "\(root)/\(pid)/stat"
        let text = try readText(path)
        do {
            return try ProcStat.parse(text)
        } catch {
            throw SamplingError(.systemCall, operation: "parsing \(path)", explanation: error.description)
        }
    }

    /// /proc/PID/maps, parsed.
    public static func maps(pid: ProcessIDValue) throws(SamplingError) -> [ProcMapping] {
        let path = "\(root)/\(pid)/maps"
        let text = try readText(path)
        do {
            return try ProcMapping.parse(text)
        } catch {
            throw SamplingError(.systemCall, operation: "parsing \(path)", explanation: error.description)
        }
    }

    /// The thread's name (/proc/PID/task/TID/comm), without the newline; nil if gone.
    public static func threadName(pid: ProcessIDValue, tid: Int32) -> String? {
        guard let text = try? readText("\(root)/\(pid)/task/\(tid)/comm") else { return nil }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// The process's name (/proc/PID/comm); nil if gone.
    public static func processName(pid: ProcessIDValue) -> String? {
        guard let text = try? readText("\(root)/\(pid)/comm") else { return nil }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// Memory available for new allocations without swapping (/proc/meminfo `MemAvailable`), in
    /// bytes; nil when unreadable.
    public static func memoryAvailableBytes() -> Int? {
        guard let text = try? readText("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }

    /// The online CPUs (/sys/devices/system/cpu/online); [0] when unreadable.
    public static func onlineCPUs() -> [Int] {
        guard let text = try? readText("/sys/devices/system/cpu/online"), let cpus = try? CPUList.parse(text),
            !cpus.isEmpty
        else { return [0] }
        return cpus
    }
}

/// A raw pid or tid as the kernel spells it.
public typealias ProcessIDValue = Int32
