// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's tracing filesystem, where tracepoint ids and record formats are published.
///
/// Source: Documentation/trace/ftrace.rst ("The File System"): tracefs is mounted at
/// /sys/kernel/tracing, and under debugfs at /sys/kernel/debug/tracing on older systems.
public enum TraceFS {
    /// Where sflame mounts tracefs when it is not mounted anywhere (perf does the same).
    public static let mountPoint = "/sys/kernel/tracing"
    /// The places looked at, in order.
    public static let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// A located tracefs.
    public struct Location: Hashable, Sendable {
        /// The directory that holds `events/`.
        public var path: String
        /// Whether sflame mounted it just now.
        public var wasMounted: Bool
    }

    /// Finds tracefs, mounting it at `mountPoint` when it is mounted nowhere.
    ///
    /// The corresponding system calls are `access` and, when needed, `mount("tracefs")`.
    /// Throws: `.permissionDenied` when tracefs is readable by root only or cannot be mounted
    /// without privileges; `.unsupportedEvent` when the kernel has no tracefs.
    public static func locate(mountIfMissing: Bool = true) throws(SamplingError) -> Location {
        for path in candidates {
            if access("\(path)/events", F_OK) == 0 { return Location(path: path, wasMounted: false) }
            if errno == EACCES {
                throw SamplingError(
                    .permissionDenied, operation: "reading tracefs at \(path)", errno: EACCES,
                    explanation: "tracefs is readable by root only (mode 700). Run sflame as root, or remount it "
                        + "for a group you belong to (`mount -o remount,gid=GROUP,mode=750 \(path)`).")
            }
        }
        guard mountIfMissing else {
            throw SamplingError(
                .unsupportedEvent, operation: "finding tracefs",
                explanation: "tracefs is not mounted. Mount it: `mount -t tracefs nodev \(mountPoint)`.")
        }
        if mount("nodev", mountPoint, "tracefs", 0, nil) != 0 {
            let code = errno
            if code == EPERM || code == EACCES {
                throw SamplingError(
                    .permissionDenied, operation: "mount -t tracefs nodev \(mountPoint)", errno: code,
                    explanation: "tracefs is not mounted and mounting it needs root (CAP_SYS_ADMIN). Ask an "
                        + "administrator to run `mount -t tracefs nodev \(mountPoint)`, or run sflame as root.")
            }
            throw SamplingError(
                .unsupportedEvent, operation: "mount -t tracefs nodev \(mountPoint)", errno: code,
                explanation: code == ENODEV
                    ? "This kernel has no tracefs (CONFIG_TRACING is off), so the sched:sched_switch tracepoint is "
                        + "not available."
                    : "Mount it by hand and try again.")
        }
        return Location(path: mountPoint, wasMounted: true)
    }

    /// The format (id and raw record layout) of tracepoint `group:name`, from
    /// `events/GROUP/NAME/format`.
    ///
    /// Throws: `.unsupportedEvent` when the kernel has no such tracepoint, `.permissionDenied`
    /// when the file is not readable, `.systemCall` when it does not parse.
    public static func format(group: String, name: String, in location: Location) throws(SamplingError)
        -> TracepointFormat
    {
        let path = "\(location.path)/events/\(group)/\(name)/format"
        let text: String
        do {
            text = try ProcFS.readText(path)
        } catch let error where error.kind == .noSuchProcess {
            throw SamplingError(
                .unsupportedEvent, operation: "reading \(path)", errno: error.errno,
                explanation: "This kernel has no \(group):\(name) tracepoint (CONFIG_TRACEPOINTS).")
        } catch let error where error.kind == .permissionDenied {
            throw SamplingError(
                .permissionDenied, operation: "reading \(path)", errno: error.errno,
                explanation: "The tracepoint's format is readable by root only. Run sflame as root.")
        }
        do {
            return try TracepointFormat.parse(text)
        } catch {
            throw SamplingError(.systemCall, operation: "parsing \(path)", explanation: error.description)
        }
    }
}
