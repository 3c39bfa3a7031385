// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

#if canImport(Glibc)
    import Glibc
#endif

/// The `Dwfl_Callbacks` every libdw unwinder of a session points at, and the debug-file search
/// path they use; libdwfl keeps both pointers for a session's life, so this box outlives every
/// `Dwfl` (each ``LibdwBackend`` holds it).
///
/// Modules are reported with their file path, so `find_elf` is only a fallback;
/// `dwfl_standard_find_debuginfo` finds separate debug files (for `.debug_frame`) by build-id,
/// `.gnu_debuglink`, and through debuginfod when `DEBUGINFOD_URLS` is set.
final class DebugInfoSearch {
    let callbacks: UnsafeMutablePointer<Dwfl_Callbacks>
    private let searchPath: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(extraRoots: [String]) {
        // libdwfl's syntax: the module's directory, its .debug subdirectory, extra roots, then
        // the system root. Entries with ':' cannot be expressed and are left out.
        let roots = extraRoots.filter { !$0.isEmpty && !$0.contains(":") }
        let path = ([":.debug"] + roots + ["/usr/lib/debug"]).joined(separator: ":")
        searchPath = .allocate(capacity: 1)
        searchPath.initialize(to: strdup(path))
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(
            to: Dwfl_Callbacks(
                find_elf: dwfl_build_id_find_elf, find_debuginfo: dwfl_standard_find_debuginfo,
                section_address: dwfl_offline_section_address, debuginfo_path: searchPath))
    }

    deinit {
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
        free(searchPath.pointee)
        searchPath.deinitialize(count: 1)
        searchPath.deallocate()
    }
}
