// SPDX-License-Identifier: Apache-2.0
internal import CShims

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP turned into a request to stop, observable by a poll loop.
///
/// The handlers (in C: Swift is not async-signal-safe) record the first signal and write a
/// byte to a non-blocking pipe whose read end `wakeFD` a poll(2) loop watches.
public final class StopSignals {
    /// The read end of the wake-up pipe; readable once a stop signal arrived.
    public let wakeFD: Int32
    private let writeFD: Int32

    /// Installs the handlers. The corresponding calls are `pipe2` and `sigaction`.
    public init() throws(SamplingError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw SamplingError(.systemCall, operation: "pipe2 for the stop signals", errno: errno)
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeFD = fds[0]
        writeFD = fds[1]
        guard sflame_install_stop_handlers(writeFD) == 0 else {
            throw SamplingError(.systemCall, operation: "sigaction for SIGINT/SIGTERM/SIGHUP", errno: errno)
        }
    }

    deinit {
        sflame_restore_stop_handlers()
        close(wakeFD)
        close(writeFD)
    }

    /// The first stop signal received (SIGINT 2, SIGTERM 15, SIGHUP 1), or nil.
    public var received: Int32? {
        let s = sflame_stop_signal()
        return s == 0 ? nil : s
    }

    /// The name of a signal number, e.g. "SIGINT".
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        default: return "signal \(signal)"
        }
    }
}
