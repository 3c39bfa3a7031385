// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// The memory files of /proc/PID, read for `sflame mem`.
///
/// Source: proc(5): /proc/pid/status, /proc/pid/smaps_rollup (Linux 4.14+), /proc/pid/smaps.
/// Reading smaps or smaps_rollup walks the process's page tables in the kernel; its cost grows
/// with the mapped memory, so callers read smaps less often than status.
extension ProcFS {
    /// /proc/PID/status, parsed.
    ///
    /// Throws: `.noSuchProcess` once the process is gone, `.permissionDenied` (see `readText`).
    public static func status(pid: ProcessIDValue) throws(SamplingError) -> ProcKeyValues {
        ProcKeyValues.parse(bytes: try readBytes("\(root)/\(pid)/status"))
    }

    /// /proc/PID/smaps_rollup, parsed; nil when this kernel has no such file (before 4.14) while
    /// the process exists.
    ///
    /// Throws: `.noSuchProcess` once the process is gone, `.permissionDenied`.
    public static func smapsRollup(pid: ProcessIDValue) throws(SamplingError) -> ProcKeyValues? {
        do {
            return ProcKeyValues.parse(bytes: try readBytes("\(root)/\(pid)/smaps_rollup"))
        } catch let error where error.kind == .noSuchProcess && exists(pid) {
            return nil
        }
    }

    /// /proc/PID/smaps, parsed: one entry per mapping.
    ///
    /// Throws: `.noSuchProcess` once the process is gone, `.permissionDenied`, `.systemCall` when
    /// the text does not parse.
    public static func smaps(pid: ProcessIDValue) throws(SamplingError) -> [ProcSmapsEntry] {
        let path = "\(root)/\(pid)/smaps"
        let bytes = try readBytes(path)
        do {
            return try ProcSmaps.parse(bytes: bytes)
        } catch {
            throw SamplingError(.systemCall, operation: "parsing \(path)", explanation: error.description)
        }
    }
}
