// SPDX-License-Identifier: Apache-2.0
internal import CShims

import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP turned into a request to stop, observable by a poll loop.
///
/// The handlers (in C: Swift is not async-signal-safe) record the first signal and write a
/// byte to a non-blocking pipe whose read end `wakeFD` a poll(2) loop watches.
///
/// With a `StopRequest` (service mode, `sflame agent`) no handler is installed: the process's
/// own signal handling stays as it is, and the request's `requestStop()` ends the recording
/// instead, from any thread.
public final class StopSignals {
    /// The read end of the wake-up pipe; readable once a stop signal arrived.
    public let wakeFD: Int32
    private let writeFD: Int32
    private let request: StopRequest?

    /// Watches `request` instead of installing signal handlers; `received` reports the
    /// request's signal once it is made. The pipe is the request's.
    public init(request: StopRequest) {
        self.request = request
        wakeFD = request.wakeFD
        writeFD = -1
    }

    /// Installs the handlers. The corresponding calls are `pipe2` and `sigaction`.
    public init() throws(SamplingError) {
        request = nil
        let fds = try makeWakePipe(for: "the stop signals")
        wakeFD = fds.read
        writeFD = fds.write
        guard sflame_install_stop_handlers(writeFD) == 0 else {
            throw SamplingError(.systemCall, operation: "sigaction for SIGINT/SIGTERM/SIGHUP", errno: errno)
        }
    }

    deinit {
        // A request's pipe is the request's to close.
        guard request == nil else { return }
        sflame_restore_stop_handlers()
        close(wakeFD)
        close(writeFD)
    }

    /// The first stop signal received (SIGINT 2, SIGTERM 15, SIGHUP 1), or nil. With a
    /// `StopRequest`: the request's `signal` once it was made.
    public var received: Int32? {
        if let request { return request.isRequested ? request.signal : nil }
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

/// A request to end a recording made from another thread, without signals: a service ends a
/// recording whose client went away, or all of them when it shuts down.
///
/// Give it to a recorder (`Recorder.stopRequest`, `EventRecorder.stopRequest`); the recorder's
/// poll loop wakes on `wakeFD` and ends the recording as it would on `signal` (the profile so
/// far, every event closed). `requestStop()` is safe from any thread, any number of times.
public final class StopRequest: Sendable {
    /// The signal the recording reports as its end (`RecordingEnd.signal`). Default SIGTERM.
    public let signal: Int32
    /// The read end of the wake-up pipe; readable once the stop was requested.
    public let wakeFD: Int32
    private let writeFD: Int32
    private let requested = Atomic<Bool>(false)

    /// Opens the wake-up pipe (`pipe`, non-blocking, close-on-exec).
    ///
    /// Throws: `.systemCall` when no pipe can be made (the descriptor limit).
    public init(signal: Int32 = SIGTERM) throws(SamplingError) {
        let fds = try makeWakePipe(for: "a stop request")
        self.signal = signal
        wakeFD = fds.read
        writeFD = fds.write
    }

    deinit {
        close(wakeFD)
        close(writeFD)
    }

    /// True once `requestStop()` was called.
    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// Ends the recording that watches this request (the first call wakes its poll loop).
    public func requestStop() {
        guard !requested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }
}
