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

    /// Calls `body` with the bytes of the file at `path` (standard input for `-`) in chunks of up
    /// to 1 MiB, until the end or until `body` returns false. The chunk is valid only during the
    /// call.
    ///
    /// - Throws: `FileError` with the errno of the failing `open(2)` or `read(2)`; EINTR is
    ///   retried.
    static func readChunks(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) throws(FileError) {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(operation: "read", path: path, errno: errno) }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let size = 1 << 20
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: size)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, size)
            if n > 0 {
                if !body(UnsafeBufferPointer(start: buffer.baseAddress, count: n)) { return }
            } else if n == 0 {
                return
            } else if errno != EINTR {
                throw FileError(operation: "read", path: path == "-" ? "<stdin>" : path, errno: errno)
            }
        }
    }

    private static func readAll(fd: Int32, path: String) throws(FileError) -> [UInt8] {
        var bytes: [UInt8] = []
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
