// SPDX-License-Identifier: Apache-2.0
//
// The scheduler state of a sampled thread, for wall-clock and off-CPU profiles. Waiting states
// become a synthetic leaf frame in the stack, so a flame graph shows where threads wait and why:
//
//   sleepy;main;run_cycles;sleep_phase;[sleeping]      45000000    (label thread_state=sleeping)
//   sleepy;main;run_cycles;burn_phase;burn_cpu          5000000    (label thread_state=running)
//
// Running threads get no marker frame, so on-CPU stacks keep their real leaf.

/// What a thread was doing when it was sampled (wall-clock) or switched out (off-CPU).
///
/// Source: proc(5), /proc/pid/stat field 3 ("R Running, S Sleeping in an interruptible wait,
/// D Waiting in uninterruptible disk sleep, …"); the `prev_state` of the `sched:sched_switch`
/// tracepoint uses the same letters.
public enum ThreadState: String, Hashable, Sendable, CaseIterable {
    /// On a CPU, or ready to run (R in /proc: the two are not told apart there).
    case running
    /// Off the CPU although ready to run: preempted, waiting for a CPU (sched_switch `R`/`R+`).
    case runnable
    /// Interruptible sleep (S): waiting for an event, a timer, a lock, I/O readiness.
    case sleeping
    /// Uninterruptible sleep (D): usually waiting for disk or other I/O.
    case disk
    /// Stopped by a signal (T: SIGSTOP, SIGTSTP…).
    case stopped
    /// Stopped by a tracer (t).
    case traced
    /// Parked kernel thread (P).
    case parked
    /// Idle kernel thread (I).
    case idle
    /// Exiting or dead (X, Z).
    case exiting
    /// Off the CPU in an unknown state (the tracepoint's `prev_state` could not be read).
    case unknown

    /// The state for a /proc/PID/stat (or sched_switch `prev_state`) letter; nil for letters
    /// proc(5) does not list.
    public init?(stateLetter: Character) {
        switch stateLetter {
        case "R": self = .running
        case "S": self = .sleeping
        case "D": self = .disk
        case "T": self = .stopped
        case "t": self = .traced
        case "P": self = .parked
        case "I": self = .idle
        case "X", "x", "Z": self = .exiting
        case "W", "K": self = .sleeping  // waking (2.6.33–3.13), wakekill (2.6.33–3.13)
        default: return nil
        }
    }

    /// The `thread_state` label value: the case name (`sleeping`, `disk`, …).
    public var labelValue: String { rawValue }

    /// Whether the thread was waiting rather than running.
    public var isWaiting: Bool { self != .running }

    /// The synthetic leaf frame that marks a waiting stack, e.g. `[sleeping]`; nil for
    /// `.running`. Unknown off-CPU states are `[off-cpu]`.
    public var frameName: String? {
        switch self {
        case .running: return nil
        case .unknown: return "[off-cpu]"
        default: return "[\(rawValue)]"
        }
    }
}
