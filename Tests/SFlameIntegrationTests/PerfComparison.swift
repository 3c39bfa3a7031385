// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameTestSupport
import Testing

/// Stacks from `perf script` and from sflame's folded output, brought to one comparable form.
///
/// Normalization (both sides), and why:
/// - user frames only: kernel frames (perf's `[kernel.kallsyms]`, sflame's `_[k]`) come from the
///   same kernel callchain in both tools and are not what DWARF unwinding produces;
/// - inline frames stay, without their markers (sflame's `_[i]`, perf's ` (inlined)`);
/// - symbol versions are dropped (`__libc_start_main@@GLIBC_2.34`): perf prints names without them;
/// - glibc's start routine has several names at one address (`__libc_start_main`,
///   `__libc_start_main_impl`, `__libc_start_main_alias_2`); which alias a tool picks is arbitrary,
///   so they count as one;
/// - frames without a symbol are `[unknown]` (sflame names the module: `[libfoo.so]`);
/// - sflame's process-name root and its `[truncated]` marker are dropped (perf has neither).
enum StackComparison {
    typealias Stack = [String]

    static func normalize(_ frame: String) -> String {
        var name = frame
        if name.hasSuffix(" (inlined)") { name.removeLast(" (inlined)".count) }
        if name.hasSuffix("_[i]") { name.removeLast(4) }
        if let at = name.firstIndex(of: "@"), at != name.startIndex { name = String(name[..<at]) }
        if name.hasPrefix("[") { return "[unknown]" }
        if ["__libc_start_main_impl", "__libc_start_main_alias_2"].contains(name) { return "__libc_start_main" }
        return name
    }

    /// `perf script -F comm,tid,ip,sym,dso` output → root-first user stacks with weights.
    static func perfScriptStacks(_ text: String) -> [Stack: Int] {
        var stacks: [Stack: Int] = [:]
        var current: [String]?
        func flush() {
            if let frames = current { stacks[frames.reversed(), default: 0] += 1 }
            current = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                flush()
                continue
            }
            guard line.first == "\t" || line.first == " " else {
                flush()
                current = []
                continue
            }
            // "<ip> <symbol> (<dso>)", the symbol possibly with spaces, the dso in parentheses.
            let body = line.trimmingCharacters(in: .whitespaces)
            guard let space = body.firstIndex(of: " ") else { continue }
            var symbol = String(body[body.index(after: space)...])
            if !symbol.hasSuffix(" (inlined)"), let open = symbol.range(of: " (", options: .backwards) {
                let dso = symbol[open.upperBound...]
                if dso.contains("kernel.kallsyms") { continue }
                symbol = String(symbol[..<open.lowerBound])
            }
            if let plus = symbol.range(of: "+0x", options: .backwards) { symbol = String(symbol[..<plus.lowerBound]) }
            current?.append(normalize(symbol))
        }
        flush()
        return stacks
    }

    /// sflame folded stacks → root-first user stacks with weights.
    static func foldedStacks(_ folded: FoldedStacks) -> [Stack: Int] {
        var stacks: [Stack: Int] = [:]
        for s in folded.stacks {
            let frames = s.frames.dropFirst().filter { !$0.hasSuffix("_[k]") && $0 != "[truncated]" }.map(normalize)
            stacks[frames, default: 0] += s.weight
        }
        return stacks
    }

    /// Share (0…1) of `a`'s weight whose stack also occurs in `b`, frame for frame.
    static func share(of a: [Stack: Int], foundIn b: [Stack: Int]) -> Double {
        let total = a.values.reduce(0, +)
        guard total > 0 else { return 0 }
        return Double(a.filter { b[$0.key] != nil }.values.reduce(0, +)) / Double(total)
    }

    /// Share (0…1) of the samples that agree one for one: the multiset intersection over the larger total.
    static func multisetAgreement(_ a: [Stack: Int], _ b: [Stack: Int]) -> Double {
        let total = max(a.values.reduce(0, +), b.values.reduce(0, +))
        guard total > 0 else { return 0 }
        return Double(a.reduce(0) { $0 + min($1.value, b[$1.key] ?? 0) }) / Double(total)
    }

    /// The most common stacks of `a` missing from `b`, for failure messages.
    static func missing(_ a: [Stack: Int], from b: [Stack: Int]) -> String {
        a.filter { b[$0.key] == nil }.sorted { $0.value > $1.value }.prefix(3)
            .map { "\($0.value)× \($0.key.joined(separator: ";"))" }.joined(separator: "\n")
    }
}

/// perf, run beside sflame on the same target.
enum Perf {
    static let path = "/usr/bin/perf"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// `perf script` of a recording: user stacks, normalized.
    static func scriptStacks(_ file: String) throws -> [StackComparison.Stack: Int] {
        let result = ProcessRunner.run(path, ["script", "-i", file, "-F", "comm,tid,ip,sym,dso"])
        guard result.status == 0 else { throw SampleError("perf script failed: \(result.standardError)") }
        return StackComparison.perfScriptStacks(result.standardOutput)
    }
}

/// A child started with posix_spawn with every signal unblocked and at its default disposition.
///
/// Foundation's `Process` hands the test runner's blocked signal mask to its children; perf then
/// never sees the SIGCHLD of its `sleep` workload and records far longer than asked.
final class UnblockedProcess {
    let pid: pid_t

    /// Starts `arguments[0]` (an absolute path) with stdout and stderr on /dev/null.
    init(_ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else { throw SampleError("posix_spawn \(arguments[0]) failed: errno \(status)") }
        pid = child
    }

    /// Waits for the child to exit; returns its exit status (or 128 + signal).
    @discardableResult
    func waitUntilExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
