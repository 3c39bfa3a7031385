// SPDX-License-Identifier: Apache-2.0
import SFlameSampling
import SFlameSymbolication

/// The perf map files (`/tmp/perf-PID.map`) of the recorded processes, read once each when the
/// first JIT frame of the process is symbolized, after the recording: JITs append to them as
/// they compile, so the end of the recording sees every function the samples can hit.
///
/// For a process in a container, the map is looked up in the container's /tmp under the PID the
/// process knows itself by (NSpid), through its held root (``ModuleFiles``), then in sflame's /tmp.
final class PerfMaps {
    struct Map {
        /// The file it was read from, as the process wrote it (`/tmp/perf-4242.map`).
        var path: String
        var table: PerfMapTable
    }

    private let moduleFiles: ModuleFiles?
    private var maps: [Int32: Map?] = [:]

    init(moduleFiles: ModuleFiles?) {
        self.moduleFiles = moduleFiles
    }

    /// The process's map, nil when it has none (or an empty one).
    func map(of pid: Int32) -> Map? {
        if let known = maps[pid] { return known }
        var found: Map?
        let candidates = moduleFiles?.perfMapPaths(of: pid) ?? ["/tmp/perf-\(pid).map"]
        for path in candidates {
            guard let text = try? ProcFS.readText(path) else { continue }
            let table = PerfMapTable(text: text)
            if table.isEmpty { continue }
            let shown = "/tmp/perf-\(moduleFiles?.namespacePID(of: pid) ?? pid).map"
            found = Map(path: shown, table: table)
            break
        }
        maps[pid] = found
        return found
    }
}

extension AddressSpace {
    /// Executable memory without a file that a JIT fills: anonymous (`//anon` in MMAP2 records,
    /// no name in /proc/PID/maps), named anonymous (`[anon:…]`, Linux 5.17+), or a memfd
    /// (`/memfd:…`, as used for double-mapped JIT code). Not `[vdso]`, `[vsyscall]`, `[uprobes]`.
    static func isGeneratedCode(mappingName name: String) -> Bool {
        name.isEmpty || name == "//anon" || name.hasPrefix("[anon:") || name.hasPrefix("/memfd:")
    }
}
