// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor sflame keeps open so that a file stays readable after its name is gone:
/// a process's root directory (a container's file system, readable after the container's
/// processes exit), or a mapped file that was deleted or replaced on disk.
///
/// Other code reads it by ``path``, `/proc/self/fd/N`, a magic link the kernel resolves to the
/// open file (or, for a directory, to the directory: `path + "/usr/lib/libc.so.6"` is a path
/// inside it). The descriptor is closed when the value is released.
public final class HeldFile: @unchecked Sendable {
    /// The open descriptor (`O_CLOEXEC`).
    public let descriptor: Int32
    /// What was opened, for messages: `/proc/4242/map_files/7f…-7f…`.
    public let origin: String

    init(descriptor: Int32, origin: String) {
        self.descriptor = descriptor
        self.origin = origin
    }

    deinit { close(descriptor) }

    /// `/proc/self/fd/N`.
    public var path: String { "/proc/self/fd/\(descriptor)" }

    /// The device and inode of the open file (`fstat`), nil when it fails.
    public var identity: FileIdentity? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return FileIdentity(status)
    }
}

/// A file's device and inode: what /proc/PID/maps and PERF_RECORD_MMAP2 say a mapping holds.
public struct FileIdentity: Hashable, Sendable {
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var inode: UInt64

    public init(deviceMajor: UInt32, deviceMinor: UInt32, inode: UInt64) {
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.inode = inode
    }

    init(_ status: stat) {
        // glibc's major()/minor() (sys/sysmacros.h), which Swift cannot import as macros.
        let dev = UInt64(status.st_dev)
        deviceMajor = UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff))
        deviceMinor = UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff))
        inode = UInt64(status.st_ino)
    }
}

/// Namespaces and mapped files of other processes. System calls: `stat`, `open` (`O_PATH` for
/// directories), `pread` on /proc/PID/mem.
extension ProcFS {
    /// The identity of a namespace of a process: the inode of /proc/PID/ns/KIND (`mnt`, `pid`),
    /// as `lsns` and `ls -Li` show it; nil when unreadable (the process is gone, or no access).
    /// PID nil: sflame's own.
    public static func namespace(_ kind: String, of pid: ProcessIDValue?) -> UInt64? {
        var status = Glibc.stat()
        let path = "\(root)/\(pid.map(String.init) ?? "self")/ns/\(kind)"
        guard statFile(path, &status) == 0 else { return nil }
        return UInt64(status.st_ino)
    }

    /// The process's PIDs from the outermost PID namespace (sflame's, when sflame runs in the
    /// initial one) to its own: the `NSpid` line of /proc/PID/status. One element when it is
    /// in sflame's PID namespace; empty when unreadable.
    public static func namespacePIDs(of pid: ProcessIDValue) -> [Int32] {
        guard let text = try? readText("\(root)/\(pid)/status") else { return [] }
        guard let value = ProcKeyValues.parse(text)["NSpid"] else { return [] }
        return value.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int32($0) }
    }

    /// Opens the process's root directory (/proc/PID/root, `O_PATH`): its file system as it sees
    /// it, a container's image for a process in another mount namespace. Needs ptrace access to
    /// the process (the same user, or CAP_SYS_PTRACE).
    ///
    /// Throws: `.noSuchProcess`, `.permissionDenied` (with what to do), `.systemCall`.
    public static func openRoot(of pid: ProcessIDValue) throws(SamplingError) -> HeldFile {
        try openHeld("\(root)/\(pid)/root", flags: openPathOnly | O_DIRECTORY | O_CLOEXEC)
    }

    /// Opens the file mapped at `start..<end` in the process (/proc/PID/map_files/START-END):
    /// the very file the mapping holds, even when it was deleted or another file now has its
    /// name. Needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) besides ptrace access.
    ///
    /// Throws: `.noSuchProcess` (the process or the mapping is gone), `.permissionDenied`,
    /// `.systemCall`.
    public static func openMappedFile(of pid: ProcessIDValue, start: UInt64, end: UInt64) throws(SamplingError)
        -> HeldFile
    {
        let name = String(start, radix: 16) + "-" + String(end, radix: 16)
        return try openHeld("\(root)/\(pid)/map_files/\(name)", flags: O_RDONLY | O_CLOEXEC)
    }

    /// Opens the process's executable (/proc/PID/exe), also when it was deleted or replaced.
    /// Needs ptrace access only.
    public static func openExecutable(of pid: ProcessIDValue) throws(SamplingError) -> HeldFile {
        try openHeld("\(root)/\(pid)/exe", flags: O_RDONLY | O_CLOEXEC)
    }

    /// The device and inode of the file at `path` (`stat`, following symbolic links), nil when
    /// there is none.
    public static func identity(ofFile path: String) -> FileIdentity? {
        var status = Glibc.stat()
        guard statFile(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return FileIdentity(status)
    }

    /// Reads up to `count` bytes of the process's memory at `address` (/proc/PID/mem, `pread`;
    /// ptrace access needed). Returns the bytes read, possibly fewer; nil when nothing could be read.
    public static func readMemory(of pid: ProcessIDValue, address: UInt64, count: Int) -> [UInt8]? {
        let fd = open("\(root)/\(pid)/mem", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(Int64(bitPattern: address &+ UInt64(done)))) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        guard done > 0 else { return nil }
        bytes.removeLast(count - done)
        return bytes
    }

    /// O_PATH (open(2)): Glibc's Swift module leaves it out (it is a _GNU_SOURCE name).
    private static let openPathOnly: Int32 = 0o10_000_000

    private static func openHeld(_ path: String, flags: Int32) throws(SamplingError) -> HeldFile {
        let fd = open(path, flags)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ESRCH:
                throw SamplingError(.noSuchProcess, operation: "opening \(path)", errno: code)
            case EACCES, EPERM:
                throw SamplingError(
                    .permissionDenied, operation: "opening \(path)", errno: code,
                    explanation: path.contains("/map_files/")
                        ? "Reading another process's mapped files needs CAP_SYS_ADMIN: run sflame as root."
                        : "Run sflame as the target's user or as root (CAP_SYS_PTRACE).")
            default:
                throw SamplingError(.systemCall, operation: "opening \(path)", errno: code)
            }
        }
        return HeldFile(descriptor: fd, origin: path)
    }
}

extension ProcFS {
    /// The target of a symbolic link in /proc (`/proc/PID/exe`, `/proc/PID/root`), with a
    /// trailing ` (deleted)` removed; nil when unreadable.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n > 0 else { return nil }
        var target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasSuffix(" (deleted)") { target.removeLast(" (deleted)".count) }
        return target
    }
}

/// stat(2) at file scope, where the name is not shadowed by `ProcFS.stat(pid:tid:)`.
private func statFile(_ path: String, _ status: inout stat) -> Int32 {
    stat(path, &status)
}
