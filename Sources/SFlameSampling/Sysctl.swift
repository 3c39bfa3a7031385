// SPDX-License-Identifier: Apache-2.0

/// Reads the sysctl knobs that decide what sflame may do, for error messages and checks.
///
/// Source: Documentation/admin-guide/sysctl/kernel.rst (perf_event_paranoid,
/// perf_event_max_stack, perf_event_mlock_kb, kptr_restrict) and
/// Documentation/admin-guide/LSM/Yama.rst (ptrace_scope).
public struct Sysctl: Sendable {
    /// Reads a value: `read("kernel.perf_event_paranoid")` reads
    /// /proc/sys/kernel/perf_event_paranoid. Nil when the knob does not exist.
    public var read: @Sendable (String) -> String?

    public init(read: @escaping @Sendable (String) -> String?) { self.read = read }

    /// The live system's values.
    public static let system = Sysctl { name in
        let path = "/proc/sys/" + name.replacingDots()
        guard let text = try? ProcFS.readText(path) else { return nil }
        return text.trimmingCharacters()
    }

    public var perfEventParanoid: Int? { read("kernel.perf_event_paranoid").flatMap { Int($0) } }
    public var perfEventMaxStack: Int? { read("kernel.perf_event_max_stack").flatMap { Int($0) } }
    public var perfEventMlockKB: Int? { read("kernel.perf_event_mlock_kb").flatMap { Int($0) } }
    public var ptraceScope: Int? { read("kernel.yama.ptrace_scope").flatMap { Int($0) } }
    public var kptrRestrict: Int? { read("kernel.kptr_restrict").flatMap { Int($0) } }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while let c = s.last, c == "\n" || c == " " { s = s.dropLast() }
        while let c = s.first, c == " " { s = s.dropFirst() }
        return String(s)
    }
}
