// SPDX-License-Identifier: Apache-2.0

/// Turns a perf_event_open errno into an actionable `SamplingError`, one errno at a time, in
/// the manner of perf's `evsel__open_strerror` (tools/perf/util/evsel.c).
public enum PerfEventOpenFailure {
    public static func error(
        errno code: Int32, event: EventSource, tid: Int32, cpu: Int32, excludeKernel: Bool, sysctl: Sysctl
    ) -> SamplingError {
        let operation = "perf_event_open(\(event), tid \(tid), cpu \(cpu))"
        if case .uprobe(let probe) = event,
            let error = uprobeError(errno: code, probe: probe, operation: operation, sysctl: sysctl)
        {
            return error
        }
        switch code {
        case 1, 13:  // EPERM, EACCES
            return SamplingError(
                .permissionDenied, operation: operation, errno: code,
                explanation: permissionAdvice(excludeKernel: excludeKernel, sysctl: sysctl))
        case 3:  // ESRCH
            return SamplingError(
                .noSuchProcess, operation: operation, errno: code, explanation: "Thread \(tid) does not exist (any more).")
        case 2, 19, 95:  // ENOENT, ENODEV, EOPNOTSUPP
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: code,
                explanation: "The event \(event) is not supported on this machine (common for hardware counters in "
                    + "VMs and containers). Use the software event cpu-clock.")
        case 23, 24:  // ENFILE, EMFILE
            return SamplingError(
                .tooManyOpenFiles, operation: operation, errno: code,
                explanation: "sflame needs one descriptor per thread and CPU. Raise the limit (ulimit -n, currently "
                    + "\(OpenFileLimit.current.map(String.init) ?? "unknown")) or profile fewer threads.")
        case 38:  // ENOSYS
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: code,
                explanation: "This kernel has no perf_event_open (CONFIG_PERF_EVENTS), or a seccomp filter blocks it. "
                    + "Use --sampler ptrace.")
        case 22:  // EINVAL
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: code,
                explanation: "The kernel rejected the event's settings (frequency above "
                    + "kernel.perf_event_max_sample_rate, or an option this kernel lacks).")
        case 75:  // EOVERFLOW
            return SamplingError(
                .systemCall, operation: operation, errno: code,
                explanation: "The callchain depth exceeds kernel.perf_event_max_stack (currently "
                    + "\(sysctl.perfEventMaxStack.map(String.init) ?? "unknown")).")
        default:
            return SamplingError(.systemCall, operation: operation, errno: code)
        }
    }

    /// The messages that differ for probes: who may create them, and a path or offset the kernel
    /// cannot use. Nil for the errnos that mean the same as for any event.
    static func uprobeError(errno code: Int32, probe: UprobeEvent, operation: String, sysctl: Sysctl)
        -> SamplingError?
    {
        switch code {
        case 1, 13:  // EPERM, EACCES
            let paranoid = sysctl.perfEventParanoid.map(String.init) ?? "unknown"
            return SamplingError(
                .permissionDenied, operation: operation, errno: code,
                explanation: "Probing allocator functions (uprobes) needs root, or CAP_PERFMON (Linux 5.8+; "
                    + "CAP_SYS_ADMIN before) together with CAP_SYS_PTRACE to reach another user's process, whatever "
                    + "kernel.perf_event_paranoid says (currently \(paranoid)). Run sflame as root, or grant the "
                    + "capabilities: `setcap cap_perfmon,cap_sys_ptrace+ep $(which sflame)` (some kernels still refuse the uprobe PMU without "
                    + "CAP_SYS_ADMIN: add cap_sys_admin then). The /proc memory "
                    + "timeline (`sflame mem` without --alloc/--leaks) needs no such privilege.")
        case 2:  // ENOENT: the path does not resolve
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: code,
                explanation: "The kernel could not open \(probe.path) to place the probe (the file was deleted or "
                    + "replaced since the process mapped it?).")
        case 22:  // EINVAL: offset outside the file or not an instruction the kernel can probe
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: code,
                explanation: "The kernel refused a probe at file offset 0x\(String(probe.fileOffset, radix: 16)) of "
                    + "\(probe.path) (\(probe.label)).")
        default:
            return nil
        }
    }

    /// What kernel.perf_event_paranoid allows, and what to change.
    public static func permissionAdvice(excludeKernel: Bool, sysctl: Sysctl) -> String {
        let paranoid = sysctl.perfEventParanoid.map(String.init) ?? "unknown"
        var text = "kernel.perf_event_paranoid is \(paranoid). At 2, unprivileged users may sample user space of "
            + "their own processes only; kernel stacks need 1 or lower; system-wide recording needs 0 or lower; 3 and "
            + "above (a distribution patch) forbids it entirely. Run sflame as root, or grant CAP_PERFMON (Linux 5.8+; "
            + "CAP_SYS_ADMIN before) with `setcap cap_perfmon,cap_sys_ptrace+ep $(which sflame)`, or lower the "
            + "setting: `sysctl -w kernel.perf_event_paranoid=1`. Profiling another user's process also needs "
            + "CAP_SYS_PTRACE (ptrace access mode checks)."
        if !excludeKernel { text += " Without privileges, add --no-kernel to sample user space only." }
        return text
    }
}

/// The process's RLIMIT_NOFILE.
public enum OpenFileLimit {
    /// The soft limit, or nil.
    public static var current: UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// Raises the soft limit to the hard limit (perf record does the same), returning the new
    /// soft limit.
    @discardableResult
    public static func raiseToHardLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return current
    }
}

#if canImport(Glibc)
import Glibc
#endif
