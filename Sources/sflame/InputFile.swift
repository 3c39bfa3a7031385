// SPDX-License-Identifier: Apache-2.0
import Glibc  // sflame is Linux-only (perf_event_open, ptrace)

/// Reads whole input files for the CLI.
enum InputFile {
    /// The bytes of the file at `path`, or of standard input when `path` is `-`.
    ///
    /// - Throws: `FileError` with the errno of the failing `open(2)` or `read(2)`; EINTR is
    ///   retried.
    static func read(_ path: String) throws(FileError) -> [UInt8] {
        if path == "-" { return try readAll(fd: STDIN_FILENO, path: "<stdin>") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(operation: "read", path: path, errno: errno) }
        defer { close(fd) }
        return try readAll(fd: fd, path: path)
    }

    private static func readAll(fd: Int32, path: String) throws(FileError) -> [UInt8] {
        var bytes: [UInt8] = []
        // A regular file's size is known: reserving it avoids regrowing (and copying) the buffer.
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 {
            bytes.reserveCapacity(Int(info.st_size) + 1)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                return bytes
            } else if errno != EINTR {
                throw FileError(operation: "read", path: path, errno: errno)
            }
        }
    }
}
