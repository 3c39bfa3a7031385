// SPDX-License-Identifier: Apache-2.0
//
// /proc/PID/stat and /proc/PID/task/TID/stat → `ProcStat`. Example:
//
//   4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 …
//   ──► pid 4242, comm "my (odd) name", state S, ppid 1, flags 0x400100

/// The fields of /proc/PID/stat that sflame uses.
///
/// Source: proc(5), /proc/pid/stat (field numbers are 1-based there).
public struct ProcStat: Hashable, Sendable {
    public var pid: Int32
    /// The command name between the parentheses (may itself contain spaces and parentheses).
    public var comm: String
    /// One of R S D Z T t W X x K P I.
    public var state: Character
    public var parentPID: Int32
    /// The kernel's PF_* flags (field 9).
    public var flags: UInt64
    /// User and system CPU time in clock ticks (fields 14, 15).
    public var userTicks: UInt64
    public var systemTicks: UInt64
    public var threadCount: Int
    /// Start time after boot, in clock ticks (field 22).
    public var startTicks: UInt64
    /// The address of the start (top) of the main thread's stack (field 28, `startstack`); nil
    /// when the field is missing or hidden (0).
    public var startStack: UInt64? = nil

    /// PF_KTHREAD (include/linux/sched.h): a kernel thread, which has no user space to sample.
    public static let kernelThreadFlag: UInt64 = 0x0020_0000

    public var isKernelThread: Bool { flags & Self.kernelThreadFlag != 0 }
    public var isZombie: Bool { state == "Z" || state == "X" || state == "x" }
    /// Stopped by a signal (T) or by a tracer (t).
    public var isStopped: Bool { state == "T" || state == "t" }

    /// Parses the single line of a stat file.
    ///
    /// Throws: `KernelFormatsError(.malformedLine)`.
    public static func parse(_ text: String) throws(KernelFormatsError) -> ProcStat {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close,
            let pid = Int32(text[..<open].trimmingSpaces)
        else { throw KernelFormatsError(.malformedLine, "not a /proc/PID/stat line: '\(text.prefix(80))'", line: 1) }
        let comm = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field n is rest[n - 3].
        func field(_ n: Int) -> Substring? { n - 3 < rest.count ? rest[n - 3] : nil }
        guard let state = field(3)?.first, let ppid = field(4).flatMap({ Int32($0) }),
            let flags = field(9).flatMap({ UInt64($0) }), let utime = field(14).flatMap({ UInt64($0) }),
            let stime = field(15).flatMap({ UInt64($0) }), let threads = field(20).flatMap({ Int($0) }),
            let start = field(22).flatMap({ UInt64($0) })
        else { throw KernelFormatsError(.malformedLine, "too few fields in /proc/PID/stat: '\(text.prefix(80))'", line: 1) }
        var stat = ProcStat(
            pid: pid, comm: comm, state: state, parentPID: ppid, flags: flags, userTicks: utime, systemTicks: stime,
            threadCount: threads, startTicks: start)
        if let startStack = field(28).flatMap({ UInt64($0) }), startStack != 0 { stat.startStack = startStack }
        return stat
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" || s.first == "\n" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\n" { s = s.dropLast() }
        return s
    }
}
