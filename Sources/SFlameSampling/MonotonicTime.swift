// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
    import Glibc
#endif

/// Readings of the system clocks. The corresponding call is `clock_gettime`.
public enum MonotonicTime {
    /// CLOCK_MONOTONIC in nanoseconds: the clock of perf sample timestamps (sflame opens events
    /// with `use_clockid`), and of `sflame mem` timelines.
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// CLOCK_MONOTONIC in seconds.
    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }

    /// CPU time (user + system) the calling thread has used, in nanoseconds
    /// (CLOCK_THREAD_CPUTIME_ID, clock_gettime(2)); kernel work done on its behalf, such as the
    /// page-table walks of reading /proc/PID/smaps, included.
    public static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CLOCK_REALTIME in nanoseconds since the UNIX epoch, for the start of a recording.
    public static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

extension StopSignals {
    /// Blocks until a stop signal arrives or `timeoutMilliseconds` pass, whichever is first.
    /// The corresponding system call is `poll` on the wake-up pipe.
    ///
    /// - Returns: true when a stop signal has arrived.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, max(0, timeoutMilliseconds))
        return received != nil
    }
}
