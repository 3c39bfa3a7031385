// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

/// When and how `record` falls back from perf_event_open to the ptrace sampler.
///
/// perf_event_open is refused in containers (seccomp profiles return EPERM or ENOSYS), under
/// kernel.perf_event_paranoid ≥ 3 (some distributions), for another user's process without
/// CAP_PERFMON, and on kernels without CONFIG_PERF_EVENTS (ENOSYS). ptrace needs only the
/// ordinary ptrace access rights, so it often still works there.
enum PtraceFallback {
    /// Whether a refusal of the perf sampler (or of its tracefs for `--off-cpu`) is one the
    /// ptrace sampler may get around: EACCES, EPERM, ENOSYS.
    static func applies(to error: SamplingError) -> Bool {
        error.kind == .permissionDenied || error.errno == 38  // ENOSYS
    }

    /// The one-line notice: what was refused and why, and what happens instead.
    static func notice(for error: SamplingError, sysctl: Sysctl = .system) -> String {
        let why = error.errno.map { "\(ErrnoName.name($0))" } ?? "refused"
        let paranoid = sysctl.perfEventParanoid.map(String.init) ?? "unknown"
        return "\(error.operation) was refused (\(why); kernel.perf_event_paranoid = \(paranoid), "
            + "\(SeccompStatus.describeSelf())); falling back to the ptrace sampler (wall-clock: it stops each "
            + "thread briefly per sample)."
    }

    /// The error when the ptrace sampler failed too: both refusals, with both sets of advice.
    static func combined(perf: SamplingError, ptrace: RecordError) -> RecordError {
        RecordError(
            ptrace.kind == .permissionDenied || perf.kind == .permissionDenied ? .permissionDenied : ptrace.kind,
            "\(perf.description)\nThe ptrace sampler was tried instead and failed too: \(ptrace.message)")
    }
}
