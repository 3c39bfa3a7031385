// SPDX-License-Identifier: Apache-2.0
//
// A waitpid(2) status of a ptrace tracee → `TraceeStatus`. Examples (x86-64 Linux encoding):
//
//   0x0000_0300   exited with code 3                  ──► .exited(code: 3)
//   0x0000_0009   killed by SIGKILL                   ──► .killed(signal: 9)
//   0x0000_0a7f   stopped, SIGUSR1 about to arrive    ──► .signalDelivery(10)
//   0x0080_057f   PTRACE_EVENT_STOP with SIGTRAP      ──► .eventStop(signal: 5)   (interrupt, new thread)
//   0x0080_137f   PTRACE_EVENT_STOP with SIGSTOP      ──► .eventStop(signal: 19)  (group-stop)
//   0x0003_057f   PTRACE_EVENT_CLONE                  ──► .cloneEvent
//   0x0004_057f   PTRACE_EVENT_EXEC                   ──► .execEvent

/// What a traced thread reported through waitpid.
///
/// Source: ptrace(2), "Stopped states" and "Waiting"; wait(2) for WIFEXITED, WIFSIGNALED,
/// WIFSTOPPED; include/uapi/linux/ptrace.h for PTRACE_EVENT_*.
public enum TraceeStatus: Hashable, Sendable {
    /// The thread exited (`_exit`, `exit_group`, or the end of an exec by another thread).
    case exited(code: Int32)
    /// The thread was killed by a signal.
    case killed(signal: Int32)
    /// A signal is about to be delivered (signal-delivery-stop); resume with the signal to
    /// deliver it, with 0 to suppress it.
    case signalDelivery(Int32)
    /// PTRACE_EVENT_STOP: a PTRACE_INTERRUPT trap or a new thread's first stop (signal SIGTRAP),
    /// or a group-stop (the stop signal: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU).
    case eventStop(signal: Int32)
    /// PTRACE_EVENT_CLONE: the thread created a thread; PTRACE_GETEVENTMSG gives its tid.
    case cloneEvent
    /// PTRACE_EVENT_EXEC: the process exec'ed; PTRACE_GETEVENTMSG gives the former tid.
    case execEvent
    /// Another PTRACE_EVENT_* stop (not requested by sflame).
    case otherEvent(Int32)

    /// Decodes a status; nil for statuses that are none of the above (WIFCONTINUED).
    public init?(waitStatus s: Int32) {
        let low = s & 0x7f
        if low == 0 {
            self = .exited(code: (s >> 8) & 0xff)
        } else if s & 0xff == 0x7f {
            let signal = (s >> 8) & 0xff
            switch (s >> 16) & 0xff {
            case 0: self = .signalDelivery(signal)
            case 128: self = .eventStop(signal: signal)
            case 3: self = .cloneEvent
            case 4: self = .execEvent
            case let event: self = .otherEvent(event)
            }
        } else if low != 0x7f && s != 0xffff {
            self = .killed(signal: low)
        } else {
            return nil
        }
    }

    /// Whether a signal stops the process group by default (a group-stop follows).
    public static func isStopSignal(_ signal: Int32) -> Bool {
        signal == 19 || signal == 20 || signal == 21 || signal == 22  // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
    }
}

/// ptrace(2) request numbers and options. Source: include/uapi/linux/ptrace.h (ABI values).
enum PtraceRequest {
    static let cont: Int32 = 7  // PTRACE_CONT
    static let detach: Int32 = 17  // PTRACE_DETACH
    static let getEventMessage: Int32 = 0x4201  // PTRACE_GETEVENTMSG
    static let seize: Int32 = 0x4206  // PTRACE_SEIZE
    static let interrupt: Int32 = 0x4207  // PTRACE_INTERRUPT
    static let listen: Int32 = 0x4208  // PTRACE_LISTEN
    /// PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC: follow new threads, report exec as an event
    /// (not the legacy SIGTRAP). Never PTRACE_O_EXITKILL: the target must outlive sflame.
    static let seizeOptions: UInt = (1 << 3) | (1 << 4)
}
