// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
    import Glibc
#endif

/// Finds a command the way execvp(3) does: a name with a slash is a path; otherwise the first
/// executable file of that name in the directories of `PATH`.
public enum ExecutableLookup {
    /// The path execvp would run, or nil when there is none. The corresponding call is `access`.
    public static func resolve(_ name: String, path: String? = nil) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let searchPath = path ?? (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                return candidate
            }
        }
        return nil
    }

    /// The C library sflame itself runs with (from /proc/self/maps), which a command launched by
    /// sflame on the same system loads too unless it brings its own.
    public static func ownCLibrary() -> String? {
        guard let maps = try? ProcFS.maps(pid: getpid()) else { return nil }
        return maps.first { m in
            let base = m.path.split(separator: "/").last ?? ""
            return m.isFileBacked && (base.hasPrefix("libc.so") || base.hasPrefix("libc-"))
        }?.path
    }
}
