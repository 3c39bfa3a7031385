// SPDX-License-Identifier: Apache-2.0
internal import CShims

#if canImport(Glibc)
import Glibc
#endif

/// A launched command held before exec, so events can be attached with `enable_on_exec`
/// and profiling starts at its first instruction (perf record's workload protocol).
public final class SuspendedChild {
    public let pid: Int32
    private var goFD: Int32
    private var errorFD: Int32
    private var exitStatus: ChildExitStatus?

    /// Forks the child, which waits for `resume()` before exec'ing `arguments[0]` (looked up
    /// in PATH). The corresponding calls are `fork` and (in the child) `execvp`.
    public init(arguments: [String]) throws(SamplingError) {
        precondition(!arguments.isEmpty, "a command needs at least its name")
        var cStrings = arguments.map { strdup($0) }
        cStrings.append(nil)
        defer { for p in cStrings { free(p) } }
        var go: Int32 = -1
        var err: Int32 = -1
        let pid = cStrings.withUnsafeMutableBufferPointer { argv in
            sflame_spawn_suspended(argv[0], argv.baseAddress, &go, &err)
        }
        guard pid > 0 else {
            throw SamplingError(.launchFailed, operation: "fork for '\(arguments[0])'", errno: errno)
        }
        self.pid = pid
        self.goFD = go
        self.errorFD = err
    }

    deinit {
        if goFD >= 0 { close(goFD) }  // the child exits 127 without exec'ing if never resumed
        if errorFD >= 0 { close(errorFD) }
    }

    /// Lets the child exec. Throws `.launchFailed` with the exec errno when the command
    /// cannot be run (not found, not executable).
    public func resume(commandName: String) throws(SamplingError) {
        var byte: UInt8 = 1
        _ = write(goFD, &byte, 1)
        close(goFD)
        goFD = -1
        var code: Int32 = 0
        var got: Int
        repeat { got = read(errorFD, &code, MemoryLayout<Int32>.size) } while got < 0 && errno == EINTR
        close(errorFD)
        errorFD = -1
        if got == MemoryLayout<Int32>.size {
            _ = wait(blocking: true)
            throw SamplingError(
                .launchFailed, operation: "exec of '\(commandName)'", errno: code,
                explanation: code == ENOENT ? "No such command in PATH." : "")
        }
    }

    /// Records the exit status when someone else reaped the child: the ptrace sampler, which
    /// traces the launched command and so receives its exit through its own waitpid.
    public func noteExit(_ status: ChildExitStatus) {
        if exitStatus == nil { exitStatus = status }
    }

    /// Waits for the child to exit after a recording ended, polling every 20 ms, unless a stop
    /// signal (SIGINT, SIGTERM, SIGHUP; see `StopSignals`) arrives first; never signals it.
    ///
    /// - Returns: the exit status, or nil when a stop signal ended the wait.
    public func waitForExitUnlessStopped() -> ChildExitStatus? {
        let signals = try? StopSignals()
        while true {
            if let status = wait(blocking: false) { return status }
            if signals?.received != nil { return nil }
            usleep(20_000)
        }
    }

    /// Reaps the child if it has exited. The corresponding call is `waitpid`.
    ///
    /// - Parameter blocking: wait until it exits.
    /// - Returns: the exit status, or nil while it runs.
    public func wait(blocking: Bool) -> ChildExitStatus? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let r = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        if r == pid {
            if sflame_wifexited(status) != 0 {
                exitStatus = .exited(sflame_wexitstatus(status))
            } else if sflame_wifsignaled(status) != 0 {
                exitStatus = .signaled(sflame_wtermsig(status))
            }
        } else if r < 0 && errno == ECHILD {
            exitStatus = .exited(0)
        }
        return exitStatus
    }
}

/// How a launched command ended.
public enum ChildExitStatus: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    /// The shell convention: the exit code, or 128 + signal.
    public var shellCode: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }
}
