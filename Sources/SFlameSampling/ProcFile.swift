// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
    import Glibc
#endif

/// A /proc file kept open and read again from the start on every `read()`: the kernel
/// regenerates a seq_file's text on each read from offset 0, so a sampler saves the path walk,
/// open and close of every reading. The descriptor is closed in deinit (one owner).
///
/// The corresponding system calls are `open` once, then `pread` until EOF.
public final class ProcFile {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8]

    /// Opens the file.
    ///
    /// Throws: `.noSuchProcess` for ENOENT/ESRCH, `.permissionDenied` for EACCES/EPERM.
    public init(_ path: String) throws(SamplingError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProcFile.error(errno, path: path) }
        self.fd = fd
        self.buffer = [UInt8](repeating: 0, count: 16 * 1024)
    }

    deinit { close(fd) }

    /// The whole current content.
    ///
    /// Throws: `.noSuchProcess` once the process is gone (ESRCH), or the read's errno.
    public func read() throws(SamplingError) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ProcFile.error(errno, path: path)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
            offset += n
        }
        return out
    }

    private static func error(_ code: Int32, path: String) -> SamplingError {
        switch code {
        case ENOENT, ESRCH:
            return SamplingError(.noSuchProcess, operation: "reading \(path)", errno: code)
        case EACCES, EPERM:
            return SamplingError(
                .permissionDenied, operation: "reading \(path)", errno: code,
                explanation: "Run sflame as the target's user or as root (CAP_SYS_PTRACE).")
        default:
            return SamplingError(.systemCall, operation: "reading \(path)", errno: code)
        }
    }
}
