// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameSampling. Every message answers what failed, why (errno and the
/// current value of the relevant knob) and what to do (STYLE.md §4).
public struct SamplingError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The process does not exist (ESRCH, or no /proc/PID).
        case noSuchProcess
        /// The target cannot be sampled: a kernel thread, or a zombie.
        case unsupportedTarget
        /// The kernel refused for lack of privilege (EACCES, EPERM).
        case permissionDenied
        /// The event is not supported here (ENOENT, EOPNOTSUPP, ENODEV for hardware events).
        case unsupportedEvent
        /// Out of file descriptors (EMFILE, ENFILE).
        case tooManyOpenFiles
        /// The command to launch could not be started.
        case launchFailed
        /// Any other failed system call.
        case systemCall
    }

    public var kind: Kind
    /// The operation that failed, e.g. "perf_event_open(cpu-clock, tid 4242, cpu 0)".
    public var operation: String
    /// errno captured right after the call, when there was one.
    public var errno: Int32?
    /// Why it failed and what to do, in full sentences.
    public var explanation: String

    public init(_ kind: Kind, operation: String, errno: Int32? = nil, explanation: String = "") {
        self.kind = kind
        self.operation = operation
        self.errno = errno
        self.explanation = explanation
    }

    public var description: String {
        var text = operation
        if let errno { text += " failed: \(ErrnoName.name(errno)) (\(ErrnoName.text(errno)))" }
        if !explanation.isEmpty { text += (errno == nil ? ": " : ". ") + explanation }
        return text
    }
}

/// errno names and texts for messages.
public enum ErrnoName {
    /// The symbolic name (`EACCES`) of an errno value, or `errno N`.
    public static func name(_ code: Int32) -> String {
        switch code {
        case 1: return "EPERM"
        case 2: return "ENOENT"
        case 3: return "ESRCH"
        case 4: return "EINTR"
        case 5: return "EIO"
        case 7: return "E2BIG"
        case 8: return "ENOEXEC"
        case 9: return "EBADF"
        case 12: return "ENOMEM"
        case 13: return "EACCES"
        case 14: return "EFAULT"
        case 16: return "EBUSY"
        case 17: return "EEXIST"
        case 19: return "ENODEV"
        case 20: return "ENOTDIR"
        case 21: return "EISDIR"
        case 22: return "EINVAL"
        case 23: return "ENFILE"
        case 24: return "EMFILE"
        case 27: return "EFBIG"
        case 28: return "ENOSPC"
        case 30: return "EROFS"
        case 18: return "EXDEV"
        case 36: return "ENAMETOOLONG"
        case 122: return "EDQUOT"
        case 38: return "ENOSYS"
        case 75: return "EOVERFLOW"
        case 95: return "EOPNOTSUPP"
        default: return "errno \(code)"
        }
    }

    /// strerror(3) text.
    public static func text(_ code: Int32) -> String { SystemErrorText.text(code) }
}
