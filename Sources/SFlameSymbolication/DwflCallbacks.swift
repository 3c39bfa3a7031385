// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

#if canImport(Glibc)
import Glibc
#endif

/// Owns the `Dwfl_Callbacks` structure and the debuginfo search-path string that every `Dwfl`
/// session of one ``Symbolizer`` points at. libdwfl keeps both pointers for the session's whole
/// life, so each ``ElfModule`` holds a strong reference to this box.
///
/// The callbacks are libdwfl's own offline ones: `dwfl_build_id_find_elf` (the main file is
/// reported directly, so it is only a fallback), `dwfl_standard_find_debuginfo` (build-id paths,
/// `.gnu_debuglink`, and the debuginfod client when `DEBUGINFOD_URLS` is set) and
/// `dwfl_offline_section_address`.
final class DwflCallbacks {
    /// Points at a `Dwfl_Callbacks` that lives until deinit.
    let pointer: UnsafeMutablePointer<Dwfl_Callbacks>
    /// `char **` read by libdwfl as `*debuginfo_path`; both levels are owned here.
    private let searchPath: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    /// The search path in libdwfl's syntax, e.g. `:.debug:/srv/debug:/usr/lib/debug`.
    let searchPathString: String

    init(debugInfoPaths: [String]) {
        searchPathString = Self.searchPath(extraRoots: debugInfoPaths)
        searchPath = .allocate(capacity: 1)
        searchPath.initialize(to: strdup(searchPathString))
        pointer = .allocate(capacity: 1)
        pointer.initialize(
            to: Dwfl_Callbacks(
                find_elf: dwfl_build_id_find_elf,
                find_debuginfo: dwfl_standard_find_debuginfo,
                section_address: dwfl_offline_section_address,
                debuginfo_path: searchPath
            ))
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
        free(searchPath.pointee)
        searchPath.deinitialize(count: 1)
        searchPath.deallocate()
    }

    /// libdwfl's default path (`:.debug:/usr/lib/debug`: the module's directory, its `.debug`
    /// subdirectory, then the system root) with the caller's roots inserted before the system
    /// root, so a directory the user names wins over an installed package's debug file.
    /// Empty entries and entries with `:` (the separator) are left out.
    static func searchPath(extraRoots: [String]) -> String {
        let extras = extraRoots.filter { !$0.isEmpty && !$0.contains(":") }
        return ([":.debug"] + extras + ["/usr/lib/debug"]).joined(separator: ":")
    }
}
