// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#endif

/// A uprobe defined once in tracefs, the way `perf probe` places them: a line
/// `p:GROUP/NAME PATH:0xOFFSET` (`r:` for a return probe) written to `uprobe_events` creates the
/// trace event `GROUP:NAME`, and perf events opened as PERF_TYPE_TRACEPOINT on its id (one per
/// thread) all share the one probe. Closing such events is cheap; through the uprobe PMU instead,
/// every perf event creates and, when closed, removes a probe of its own, each removal waiting for
/// an RCU grace period (about 0.1 s, one at a time).
///
/// One owner per definition: `deinit` deletes it (`-:GROUP/NAME`), so the perf events on it must
/// be closed first (the kernel refuses to delete a definition in use, EBUSY). A definition without
/// perf events places no breakpoint in any process: one left behind by an sflame that was killed
/// does not affect the target, and `removeStale(in:)` deletes it at the next start.
///
/// Source: Documentation/trace/uprobetracer.rst (the `uprobe_events` syntax, `events/GROUP/NAME/id`,
/// `-:GROUP/NAME`); Documentation/trace/ftrace.rst (`error_log`); kernel/trace/trace_uprobe.c
/// (`probes_open` clears every definition when `uprobe_events` is opened with O_TRUNC).
public final class UprobeDefinition {
    /// The tracefs directory (holding `uprobe_events` and `events/`).
    public let tracefs: String
    /// The event group: `sflame_PID` with sflame's own pid.
    public let group: String
    /// The event name within the group, such as `malloc` or `malloc_ret`.
    public let name: String
    /// The probe as perf events open it: `.tracefs(id:)` placement.
    public let event: UprobeEvent

    private init(tracefs: String, group: String, name: String, event: UprobeEvent) {
        self.tracefs = tracefs
        self.group = group
        self.name = name
        self.event = event
    }

    deinit {
        // Best effort: fails with EBUSY while perf events on it are still open (they hold it).
        _ = try? Self.append(Self.deletionText(group: group, name: name), tracefs: tracefs)
    }

    /// The tracefs file that takes probe definitions.
    public static func uprobeEventsPath(in tracefs: String) -> String { "\(tracefs)/uprobe_events" }

    /// The event group of the definitions of the sflame process `pid`: `sflame_PID`.
    public static func group(pid: Int32) -> String { "sflame_\(pid)" }

    /// A valid tracefs event name for a probe: letters, digits and underscores, not starting with
    /// a digit; `_ret` appended for a return probe (`posix_memalign` → `posix_memalign_ret`).
    public static func eventName(label: String, isReturn: Bool) -> String {
        var name = String(
            label.unicodeScalars.map { scalar -> Character in
                let v = scalar.value
                let valid =
                    (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
                return valid ? Character(scalar) : "_"
            })
        if name.isEmpty || name.first!.isNumber { name = "p_" + name }
        // The kernel's limit is MAX_EVENT_NAME_LEN (64) including the terminator.
        if name.count > 50 { name = String(name.prefix(50)) }
        return isReturn ? name + "_ret" : name
    }

    /// The `uprobe_events` line defining a probe: `p:GROUP/NAME PATH:0xOFFSET`, or `r:…` for a
    /// return probe.
    public static func definitionText(group: String, name: String, path: String, fileOffset: UInt64, isReturn: Bool)
        -> String
    {
        "\(isReturn ? "r" : "p"):\(group)/\(name) \(path):0x\(String(fileOffset, radix: 16))"
    }

    /// The `uprobe_events` line deleting a definition: `-:GROUP/NAME`.
    public static func deletionText(group: String, name: String) -> String { "-:\(group)/\(name)" }

    /// Whether the kernel can take `path` in a definition: the syntax splits on white space.
    public static func canDefine(path: String) -> Bool {
        !path.isEmpty && !path.contains { $0 == " " || $0 == "\t" || $0 == "\n" }
    }

    /// The tracefs directory when sflame may define probes there: tracefs found (mounted if it was
    /// not) and `uprobe_events` writable. Throws the reason otherwise (not root, no tracefs, a
    /// kernel without CONFIG_UPROBE_EVENTS).
    public static func locateWritableTraceFS() throws(SamplingError) -> String {
        let location = try TraceFS.locate(mountIfMissing: true)
        let path = uprobeEventsPath(in: location.path)
        if access(path, W_OK) != 0 {
            let code = errno
            throw SamplingError(
                code == ENOENT ? .unsupportedEvent : .permissionDenied, operation: "opening \(path) for writing",
                errno: code,
                explanation: code == ENOENT
                    ? "This kernel has no uprobe events in tracefs (CONFIG_UPROBE_EVENTS)."
                    : "Defining probes in tracefs needs root.")
        }
        return location.path
    }

    /// Defines `probe` (its path, offset and return flag; its placement is ignored) as
    /// `group/name`, and reads the new event's id. When `name` is taken in `group` (another
    /// profile in this process), `name_2`, `name_3`, … are tried.
    ///
    /// Throws: `.permissionDenied` (EACCES/EPERM, with what to do), `.unsupportedEvent` when the
    /// kernel rejects the definition (ENOENT: the file does not exist; EINVAL: an offset it cannot
    /// probe), with the kernel's explanation from tracefs `error_log`.
    public static func define(_ probe: UprobeEvent, group: String, name: String, in tracefs: String)
        throws(SamplingError) -> UprobeDefinition
    {
        var candidate = name
        var attempt = 1
        while true {
            let text = definitionText(
                group: group, name: candidate, path: probe.path, fileOffset: probe.fileOffset, isReturn: probe.isReturn)
            do {
                try append(text, tracefs: tracefs)
                break
            } catch let error where error.errno == EEXIST && attempt < 20 {
                attempt += 1
                candidate = "\(name)_\(attempt)"
            } catch {
                throw definitionError(error, text: text, probe: probe, tracefs: tracefs)
            }
        }
        let idPath = "\(tracefs)/events/\(group)/\(candidate)/id"
        guard let text = try? ProcFS.readText(idPath), let id = UInt64(text.trimmingSpaces) else {
            _ = try? append(deletionText(group: group, name: candidate), tracefs: tracefs)
            throw SamplingError(
                .systemCall, operation: "reading \(idPath)",
                explanation: "The probe was defined but its event id could not be read.")
        }
        var event = probe
        event.placement = .tracefs(id: id)
        return UprobeDefinition(tracefs: tracefs, group: group, name: candidate, event: event)
    }

    /// The groups and names of the definitions in `uprobe_events` text that an sflame which no
    /// longer runs left behind: group `sflame_PID` where `isRunning(PID)` is false.
    public static func staleDefinitions(inUprobeEvents text: String, isRunning: (Int32) -> Bool)
        -> [(group: String, name: String)]
    {
        var stale: [(group: String, name: String)] = []
        for line in text.split(separator: "\n") {
            // `p:GROUP/NAME PATH:0xOFFSET` (`r:` for return probes).
            guard let head = line.split(separator: " ").first, let colon = head.firstIndex(of: ":") else { continue }
            let qualified = head[head.index(after: colon)...]
            guard let slash = qualified.firstIndex(of: "/") else { continue }
            let group = String(qualified[..<slash])
            let name = String(qualified[qualified.index(after: slash)...])
            guard group.hasPrefix("sflame_"), let pid = Int32(group.dropFirst("sflame_".count)), pid > 0, !name.isEmpty
            else { continue }
            if !isRunning(pid) { stale.append((group, name)) }
        }
        return stale
    }

    /// Deletes the definitions of sflame processes that no longer run (SIGKILLed while recording).
    /// Returns how many were deleted; failures are ignored (another sflame may be deleting them too).
    @discardableResult
    public static func removeStale(in tracefs: String) -> Int {
        guard let text = try? ProcFS.readText(uprobeEventsPath(in: tracefs)) else { return 0 }
        let own = getpid()
        var removed = 0
        let stale = staleDefinitions(inUprobeEvents: text) { $0 == own || kill($0, 0) == 0 || errno == EPERM }
        for (group, name) in stale {
            if (try? append(deletionText(group: group, name: name), tracefs: tracefs)) != nil { removed += 1 }
        }
        return removed
    }

    // MARK: Internals

    /// Appends one line to `uprobe_events`. Never O_TRUNC: that would delete every definition on
    /// the machine.
    private static func append(_ line: String, tracefs: String) throws(SamplingError) {
        let path = uprobeEventsPath(in: tracefs)
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw SamplingError(.systemCall, operation: "opening \(path)", errno: errno) }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written != bytes.count {
            let code = written < 0 ? errno : EIO
            throw SamplingError(.systemCall, operation: "writing '\(line)' to \(path)", errno: code)
        }
    }

    private static func definitionError(_ error: SamplingError, text: String, probe: UprobeEvent, tracefs: String)
        -> SamplingError
    {
        let operation = "defining the probe '\(text)' in \(uprobeEventsPath(in: tracefs))"
        let kernelSays = lastErrorLogEntry(tracefs: tracefs, command: text).map { " The kernel says: \($0)." } ?? ""
        switch error.errno ?? 0 {
        case EACCES, EPERM:
            return SamplingError(
                .permissionDenied, operation: operation, errno: error.errno,
                explanation: "Defining probes in tracefs needs root (and a kernel not in lockdown mode). Run sflame "
                    + "as root.\(kernelSays)")
        case ENOENT:
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: error.errno,
                explanation: "The kernel could not open \(probe.path) to place the probe (the file was deleted or "
                    + "replaced since the process mapped it?).\(kernelSays)")
        case EINVAL:
            return SamplingError(
                .unsupportedEvent, operation: operation, errno: error.errno,
                explanation: "The kernel refused a probe at file offset 0x\(String(probe.fileOffset, radix: 16)) of "
                    + "\(probe.path) (\(probe.label)).\(kernelSays)")
        default:
            return SamplingError(
                error.kind, operation: operation, errno: error.errno, explanation: String(kernelSays.dropFirst()))
        }
    }

    /// The kernel's explanation of a rejected definition, from tracefs `error_log`: its last entry
    /// about `command`, on one line (`trace_uprobe: error: Failed to find the given file`).
    static func lastErrorLogEntry(tracefs: String, command: String) -> String? {
        guard let log = try? ProcFS.readText("\(tracefs)/error_log") else { return nil }
        return lastErrorLogEntry(log: log, command: command)
    }

    /// `error_log` entries: `[SECONDS] trace_uprobe: error: TEXT`, then `  Command: COMMAND` and a
    /// caret line.
    static func lastErrorLogEntry(log: String, command: String) -> String? {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true)
        var i = lines.count - 1
        while i >= 1 {
            if lines[i].trimmingSpaces == "Command: \(command)", lines[i - 1].hasPrefix("[") {
                let header = lines[i - 1]
                guard let close = header.firstIndex(of: "]") else { return nil }
                return String(header[header.index(after: close)...].trimmingSpaces)
            }
            i -= 1
        }
        return nil
    }
}
