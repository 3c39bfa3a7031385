// SPDX-License-Identifier: Apache-2.0
import Glibc  // sflame is Linux-only (perf_event_open, ptrace)
import SFlameSampling

/// A failed file operation of the CLI: what was done to which path, and the errno it got.
///
/// The message answers what failed, why (errno name and text), and what to do where that is
/// clear: `cannot write 'out.svg': rename failed: Permission denied (EACCES); check that the
/// directory is writable`.
struct FileError: Error, CustomStringConvertible, Equatable {
    /// What was attempted, as a verb phrase: "read", "write".
    var operation: String
    /// The path the user named.
    var path: String
    /// The step that failed ("open", "rename", …), when it adds information.
    var step: String?
    /// The errno value, captured right after the failing call.
    var errno: Int32

    var description: String {
        var text = "cannot \(operation) '\(path)': "
        if let step { text += "\(step) failed: " }
        text += "\(FileError.errnoText(errno)) (\(FileError.errnoName(errno)))"
        if let hint = FileError.hint(errno) { text += "; \(hint)" }
        return text
    }

    /// strerror(3) text for `code`.
    static func errnoText(_ code: Int32) -> String { ErrnoName.text(code) }

    /// The symbolic name of an errno value.
    static func errnoName(_ code: Int32) -> String { ErrnoName.name(code) }

    private static func hint(_ code: Int32) -> String? {
        switch code {
        case ENOENT: "check the path"
        case EACCES, EPERM: "check the permissions of the file and its directory"
        case ENOSPC, EDQUOT, EFBIG: "free some space, or write somewhere else"
        case EROFS: "the file system is read-only; write somewhere else"
        default: nil
        }
    }
}
