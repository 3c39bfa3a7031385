// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// Turns a failed PTRACE_SEIZE into an actionable `SamplingError` (STYLE.md §4: what failed,
/// why with the knob's current value, what to do).
///
/// Source: ptrace(2), "Ptrace access mode checking"; Documentation/admin-guide/LSM/Yama.rst.
public enum PtraceFailure {
    public static func seizeError(errno code: Int32, pid: Int32, tid: Int32, sysctl: Sysctl) -> SamplingError {
        let operation = "ptrace(PTRACE_SEIZE) of thread \(tid) of PID \(pid)"
        switch code {
        case 1, 13:  // EPERM, EACCES
            return SamplingError(
                .permissionDenied, operation: operation, errno: code,
                explanation: permissionAdvice(pid: pid, sysctl: sysctl))
        case 3:  // ESRCH
            return SamplingError(.noSuchProcess, operation: operation, errno: code, explanation: "It exited.")
        case 38:  // ENOSYS
            return SamplingError(
                .permissionDenied, operation: operation, errno: code,
                explanation: "ptrace is not available: a seccomp filter blocks it (\(SeccompStatus.describeSelf())). "
                    + "In a container, allow ptrace in the runtime's seccomp profile and grant CAP_SYS_PTRACE "
                    + "(docker run --cap-add SYS_PTRACE).")
        default:
            return SamplingError(.systemCall, operation: operation, errno: code)
        }
    }

    /// Why the kernel may refuse ptrace, with the current values, and what to do.
    public static func permissionAdvice(pid: Int32, sysctl: Sysctl) -> String {
        var parts: [String] = []
        if let tracer = tracerPID(of: pid), tracer != 0 {
            parts.append(
                "PID \(pid) is already traced by PID \(tracer) (TracerPid in /proc/\(pid)/status), a debugger or "
                    + "another tracer; only one may attach. Detach it first.")
        }
        let scope: String
        switch sysctl.ptraceScope {
        case nil:
            scope = "kernel.yama.ptrace_scope is not set (Yama is not enabled), so ordinary ptrace access checks apply"
        case 0?: scope = "kernel.yama.ptrace_scope is 0 (classic: same user, and the target must be dumpable)"
        case 1?:
            scope = "kernel.yama.ptrace_scope is 1 (restricted: only descendants of the tracer, unless CAP_SYS_PTRACE)"
        case 2?: scope = "kernel.yama.ptrace_scope is 2 (admin-only: CAP_SYS_PTRACE is required)"
        case let value?:
            scope = "kernel.yama.ptrace_scope is \(value) (no attaching at all; it cannot be lowered without a reboot)"
        }
        parts.append(
            scope + ". Tracing another user's process, or one that is not dumpable (setuid, setcap, "
                + "prctl(PR_SET_DUMPABLE, 0)), needs CAP_SYS_PTRACE: run sflame as root or grant it with "
                + "`setcap cap_sys_ptrace+ep $(which sflame)`. With ptrace_scope 1, `sysctl -w "
                + "kernel.yama.ptrace_scope=0` allows tracing your own processes, or launch the program under sflame "
                + "(`sflame record --sampler ptrace -- CMD`). In a container, the runtime must grant CAP_SYS_PTRACE "
                + "and its seccomp profile must allow ptrace (docker run --cap-add SYS_PTRACE); this process: "
                + SeccompStatus.describeSelf() + ".")
        return parts.joined(separator: " ")
    }

    /// TracerPid from /proc/PID/status, or nil when unreadable.
    public static func tracerPID(of pid: Int32) -> Int32? {
        guard let text = try? ProcFS.readText("\(ProcFS.root)/\(pid)/status") else { return nil }
        return ProcKeyValues.parse(text)["TracerPid"].flatMap { Int32($0.split(separator: " ").first ?? "") }
    }
}

/// The seccomp mode of sflame itself (/proc/self/status `Seccomp:`), for messages about
/// refused system calls. Source: proc(5), "Seccomp"; seccomp(2).
public enum SeccompStatus {
    /// 0 disabled, 1 strict, 2 filter; nil when unknown.
    public static var selfMode: Int? {
        guard let text = try? ProcFS.readText("\(ProcFS.root)/self/status") else { return nil }
        return ProcKeyValues.parse(text)["Seccomp"].flatMap { Int($0) }
    }

    /// "a seccomp filter is active (Seccomp: 2 in /proc/self/status)" or "no seccomp filter".
    public static func describeSelf() -> String {
        switch selfMode {
        case 2?: return "a seccomp filter is active (Seccomp: 2 in /proc/self/status)"
        case 1?: return "strict seccomp is active (Seccomp: 1 in /proc/self/status)"
        case 0?: return "no seccomp filter (Seccomp: 0)"
        default: return "seccomp status unknown"
        }
    }
}
