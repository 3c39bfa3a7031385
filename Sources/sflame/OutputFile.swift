// SPDX-License-Identifier: Apache-2.0
//
// Writes an output file so that a reader sees the old file or the new one, never half of one:
//
//   write("out.svg")  ──►  ./.out.svg.XXXXXX  (mkstemp, same directory: rename stays atomic)
//                          write all, fchmod, [fsync], close
//                          rename(".out.svg.XXXXXX", "out.svg"), [fsync the directory]
//   any failure       ──►  the temporary file is removed; out.svg is untouched
//
// A symbolic link is followed (the file it names is replaced, the link stays), and a path that
// names a device, FIFO or socket (`-o /dev/null`, `-o /dev/stdout`, a named pipe) is written
// to in place: replacing it would swap the device node for a regular file.
import ArgumentParser
import Glibc  // sflame is Linux-only (perf_event_open, ptrace)

/// Atomic replacement of output files, for every command that writes one.
enum OutputFile {
    /// `checkWritable` for a command's `validate()`: the failure becomes argument-parser's
    /// `ValidationError` (usage error, exit 64) with the same message.
    static func validateWritable(_ path: String) throws {
        do { try checkWritable(path) } catch { throw ValidationError(error.description) }
    }

    /// Checks, before any work is done, that `path` can be written: its directory exists and is
    /// writable, and `path` is not a directory. The corresponding call is access(2).
    ///
    /// - Throws: `FileError` naming the path and the errno.
    static func checkWritable(_ path: String) throws(FileError) {
        let target = resolvingLinks(path)
        let (directory, _) = split(target)
        var info = stat()
        if stat(target, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR {
                throw FileError(operation: "write", path: path, step: "checking the path", errno: EISDIR)
            }
            if type != S_IFREG {
                // Written in place: the node itself must be writable, not its directory.
                if access(target, W_OK) != 0 {
                    throw FileError(operation: "write", path: path, step: "checking the path", errno: errno)
                }
                return
            }
        }
        if access(directory, W_OK) != 0 {
            throw FileError(operation: "write", path: path, step: "checking the directory '\(directory)'", errno: errno)
        }
    }

    /// Replaces the file at `path` with `bytes`, atomically.
    ///
    /// The new file gets the old file's permission bits, or 0666 minus the umask when there was
    /// none. A symbolic link at `path` is followed: the file it names (existing or not) is
    /// replaced and the link kept. A device, FIFO or socket at `path` (or at the end of its links)
    /// is opened and written to in place, which cannot be atomic.
    ///
    /// `sync` adds fsync(2) of the file before the rename and of its directory after it, so the
    /// new file also survives a power loss. Recordings (`record`, `mem`), which cannot be made
    /// again, ask for it; outputs derived from an input file (flame graphs, folded stacks,
    /// conversions, reports) do not: the two fsyncs cost 5–10 ms on this machine's disk, a third
    /// of a whole `sflame flamegraph` run, and the rename is atomic without them.
    ///
    /// Source: rename(2) ("If newpath already exists, it will be atomically replaced"), fsync(2),
    /// readlink(2).
    /// - Throws: `FileError` naming `path`, the failing step (mkstemp, write, fsync, rename) and
    ///   its errno. After a throw, a regular file at `path` is as it was and no temporary file is
    ///   left behind.
    static func write(_ bytes: [UInt8], to path: String, sync: Bool = false) throws(FileError) {
        let target = resolvingLinks(path)
        var info = stat()
        if stat(target, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR {
            try writeInPlace(bytes, to: target, path: path)
            return
        }
        try replace(target, with: bytes, path: path, sync: sync)
    }

    /// Writes `bytes` into the device, FIFO or socket at `target` (opened for writing, blocking
    /// until a FIFO has a reader, as a shell's `>` does).
    private static func writeInPlace(_ bytes: [UInt8], to target: String, path: String) throws(FileError) {
        let fd = open(target, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(path, "open") }
        do throws(FileError) {
            try writeAll(bytes, fd: fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw fail(path, "close") }
    }

    /// `path` with its symbolic links followed (readlink(2), at most 40 of them, as the kernel's
    /// own limit), ending at a file that may not exist yet; `path` itself when it is no link.
    static func resolvingLinks(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : "\(split(current).directory)/\(link)"
        }
        return current
    }

    /// Replaces the regular file (or nothing) at `target` with `bytes`: a temporary file in the
    /// same directory, renamed over it.
    private static func replace(_ target: String, with bytes: [UInt8], path: String, sync: Bool) throws(FileError) {
        let (directory, base) = split(target)
        var template = Array("\(directory)/.\(base).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FileError(
                operation: "write", path: path, step: "creating a temporary file in '\(directory)'", errno: errno)
        }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var isOpen = true
        do throws(FileError) {
            try writeAll(bytes, fd: fd, path: path)
            guard fchmod(fd, mode(replacing: target)) == 0 else { throw fail(path, "fchmod") }
            if sync { guard fsync(fd) == 0 else { throw fail(path, "fsync") } }
            isOpen = false
            guard close(fd) == 0 else { throw fail(path, "close") }
            guard rename(temporary, target) == 0 else { throw fail(path, "rename") }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
        if sync { syncDirectory(directory) }
    }

    /// Replaces the file at `path` with the UTF-8 bytes of `text`, atomically (see above).
    static func write(_ text: String, to path: String, sync: Bool = false) throws(FileError) {
        try write(Array(text.utf8), to: path, sync: sync)
    }

    private static func fail(_ path: String, _ step: String) -> FileError {
        FileError(operation: "write", path: path, step: step, errno: errno)
    }

    /// The directory (`.` when none is given) and the last component of `path`.
    private static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Writes `bytes` to standard output with write(2) (retrying EINTR and short writes).
    ///
    /// - Throws: `FileError` naming `<stdout>` and the errno.
    static func writeStandardOutput(_ bytes: [UInt8]) throws(FileError) {
        try writeAll(bytes, fd: STDOUT_FILENO, path: "<stdout>")
    }

    private static func writeAll(_ bytes: [UInt8], fd: Int32, path: String) throws(FileError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n >= 0 {
                offset += n
            } else if errno != EINTR {
                throw fail(path, "write")
            }
        }
    }

    /// The permission bits of the file being replaced, or 0666 & ~umask for a new file.
    private static func mode(replacing path: String) -> mode_t {
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { return info.st_mode & 0o7777 }
        // umask(2) can only be read by setting it; put it straight back.
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }

    /// Makes the rename durable. Best effort: the data is already safe in the file.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
