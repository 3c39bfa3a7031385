// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose two ends are non-blocking and close-on-exec, used to wake a `poll(2)` loop from a
/// signal handler or another thread (pipe(2), fcntl(2) `F_SETFD`/`F_SETFL`).
///
/// - Parameter operation: what the pipe is for, named in the error.
/// - Returns: the descriptors `(read, write)`; the caller owns and closes both.
/// - Throws: `.systemCall` with `errno` when no pipe can be made (`EMFILE`/`ENFILE`: the
///   descriptor limit).
func makeWakePipe(for operation: String) throws(SamplingError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
        throw SamplingError(.systemCall, operation: "pipe for \(operation)", errno: errno)
    }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    return (fds[0], fds[1])
}
