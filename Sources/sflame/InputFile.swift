// SPDX-License-Identifier: Apache-2.0
import Glibc  // sflame is Linux-only (perf_event_open, ptrace)

/// Reads whole input files for the CLI.
enum InputFile {
    /// The bytes of the file at `path`, or of standard input when `path` is `-`.
    ///
    /// - Throws: `FileError` with the errno of the failing `open(2)`, `fstat(2)` or `read(2)`;
    ///   EINTR is retried.
    static func read(_ path: String) throws(FileError) -> [UInt8] {
        try withOpenFile(path) { (fd, name, info) throws(FileError) in try readAll(fd: fd, path: name, info: info) }
    }

    /// Calls `body` with the bytes of the file at `path` (standard input for `-`) in chunks of a
    /// few MiB, until the end or until `body` returns false. The chunk is valid only during the
    /// call.
    ///
    /// A regular file is mapped (mmap(2)) rather than copied, and each chunk's pages are given
    /// back (madvise(2) MADV_DONTNEED) once `body` is done with it, so a large input neither costs
    /// a copy nor stays in memory. Pipes and other files are read with read(2).
    ///
    /// - Throws: `FileError` with the errno of the failing `open(2)`, `fstat(2)` or `read(2)`;
    ///   EINTR is retried.
    static func readChunks(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) throws(FileError) {
        try withOpenFile(path) { (fd, name, info) throws(FileError) in
            try readChunks(fd: fd, name: name, info: info, body)
        }
    }

    private static func readChunks(
        fd: Int32, name: String, info: stat, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) throws(FileError) {
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0,
            let mapped = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED
        {
            defer { munmap(mapped, Int(info.st_size)) }
            _ = madvise(mapped, Int(info.st_size), MADV_SEQUENTIAL)
            let base = mapped.assumingMemoryBound(to: UInt8.self)
            let size = Int(info.st_size)
            let chunk = 4 << 20  // a multiple of the page size
            var offset = 0
            while offset < size {
                let count = min(chunk, size - offset)
                let goOn = body(UnsafeBufferPointer(start: base + offset, count: count))
                // The bytes were parsed (partial lines are copied by the readers): drop the pages.
                _ = madvise(mapped + offset, count, MADV_DONTNEED)
                if !goOn { return }
                offset += count
            }
            return
        }
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
                throw FileError(operation: "read", path: name, errno: errno)
            }
        }
    }

    /// Calls `body` with the bytes of the regular file at `path`, mapped (mmap(2)) rather than
    /// copied; other files (pipes, standard input as `-`) are read whole first.
    ///
    /// - Throws: `FileError` with the errno of the failing `open(2)`, `fstat(2)`, `mmap(2)` or
    ///   `read(2)` (EISDIR for a directory).
    static func withMappedBytes<R>(_ path: String, _ body: (UnsafeRawBufferPointer) -> R) throws(FileError) -> R {
        try withOpenFile(path) { (fd, name, info) throws(FileError) -> R in
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
                return try readAll(fd: fd, path: name, info: info).withUnsafeBytes(body)
            }
            let size = Int(info.st_size)
            guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
                throw FileError(operation: "read", path: name, step: "mmap", errno: errno)
            }
            defer { munmap(mapped, size) }
            return body(UnsafeRawBufferPointer(start: mapped, count: size))
        }
    }

    /// Opens `path` for reading (standard input for `-`, named `<stdin>`), calls `body` with the
    /// descriptor, the name for messages and fstat(2)'s result, and closes it.
    private static func withOpenFile<R>(
        _ path: String, _ body: (Int32, String, stat) throws(FileError) -> R
    ) throws(FileError) -> R {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError(operation: "read", path: path, errno: errno) }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let name = path == "-" ? "<stdin>" : path
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(operation: "read", path: name, errno: errno) }
        return try body(fd, name, info)
    }

    private static func readAll(fd: Int32, path: String, info: stat) throws(FileError) -> [UInt8] {
        var bytes: [UInt8] = []
        // A regular file's size is known: reserving it avoids regrowing (and copying) the buffer.
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 {
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
