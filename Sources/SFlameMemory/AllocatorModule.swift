// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameSampling
import SFlameSymbolication

/// The module whose allocator a process uses, and where its allocator functions are.
public struct AllocatorModule: Hashable, Sendable {
    /// The module's path as the process maps it.
    public var path: String
    /// The path sflame opens and places probes in: `path`, or `/proc/PID/map_files/…` when the
    /// mapped file was deleted or replaced since (a library upgraded under a running service).
    public var probePath: String
    /// The functions found, in `AllocatorFunction` order; functions sharing an address (glibc's
    /// aligned_alloc and memalign) are listed once, under the first name.
    public var functions: [AllocatorFunctionSymbol]

    public init(path: String, probePath: String, functions: [AllocatorFunctionSymbol]) {
        self.path = path
        self.probePath = probePath
        self.functions = functions
    }

    /// Whether a file offset of this module lies inside one of its allocator functions.
    public func containsAllocatorCode(fileOffset: UInt64) -> Bool {
        functions.contains { $0.range.contains(fileOffset: fileOffset) }
    }
}

/// One allocator function of a module.
public struct AllocatorFunctionSymbol: Hashable, Sendable {
    public var function: AllocatorFunction
    public var range: SymbolFileRange

    public init(function: AllocatorFunction, range: SymbolFileRange) {
        self.function = function
        self.range = range
    }
}

/// Finds the allocator a process actually calls.
///
/// The dynamic linker binds `malloc` to the first module in its search order that defines it:
/// the executable (a static binary, or one with a bundled allocator), then preloaded and needed
/// libraries (jemalloc, tcmalloc, an address sanitizer), with the C library last. sflame looks in
/// that order through the process's file-backed executable mappings: the executable (the first
/// file mapping), every other library except the C library, then the C library.
public enum AllocatorLocator {
    /// The allocator module of a running process.
    ///
    /// Throws: `.noSuchProcess` when the process is gone; `.noAllocator` naming the modules
    /// looked at when none defines `malloc` (a static, stripped binary).
    public static func locate(pid: Int32, symbolizer: Symbolizer) throws(MemoryError) -> AllocatorModule {
        let maps: [ProcMapping]
        do {
            maps = try ProcFS.maps(pid: pid)
        } catch let error where error.kind == .permissionDenied {
            throw MemoryError(
                .permissionDenied,
                "Cannot read /proc/\(pid)/maps (\(error.errno.map(ErrnoName.name) ?? "EACCES")): profiling allocations "
                    + "needs ptrace access to the process (its user, or CAP_SYS_PTRACE) and, to place uprobes, root or "
                    + "CAP_PERFMON (Linux 5.8+; CAP_SYS_ADMIN before). Run sflame as root, or grant both: "
                    + "`setcap cap_perfmon,cap_sys_ptrace+ep $(which sflame)` (add cap_sys_admin where the "
                    + "uprobe PMU is still refused).")
        } catch {
            throw MemoryError(error)
        }
        var seen = Set<String>()
        var candidates: [(path: String, probePath: String)] = []
        for m in maps where m.isFileBacked && m.isExecutable && seen.insert(m.path).inserted {
            let probePath = m.isDeleted ? "/proc/\(pid)/map_files/\(hex(m.start))-\(hex(m.end))" : m.path
            candidates.append((m.path, probePath))
        }
        let name = ProcFS.processName(pid: pid) ?? "pid-\(pid)"
        return try choose(candidates: ordered(candidates), symbolizer: symbolizer, target: "PID \(pid) (\(name))")
    }

    /// The allocator module for a command about to be launched: the executable itself when it
    /// defines `malloc` (statically linked, or a bundled allocator), else — for a dynamically
    /// linked executable — the C library sflame itself uses, which the dynamic linker loads for
    /// the command too (a library that brings its own allocator, such as jemalloc, is only found
    /// in a running process: use `--pid`).
    public static func locate(command: [String], symbolizer: Symbolizer) throws(MemoryError) -> AllocatorModule {
        var candidates: [(path: String, probePath: String)] = []
        guard let name = command.first, let path = ExecutableLookup.resolve(name) else {
            throw MemoryError(.launchFailed, "Cannot run '\(command.first ?? "")': no such executable in PATH.")
        }
        candidates.append((path, path))
        let isDynamic = (try? symbolizer.hasProgramInterpreter(modulePath: path)) ?? true
        if isDynamic, let libc = ExecutableLookup.ownCLibrary() { candidates.append((libc, libc)) }
        return try choose(candidates: candidates, symbolizer: symbolizer, target: "'\(command.first ?? "")'")
    }

    /// The module among `paths` (a process's file-backed executable mappings, in address order)
    /// whose `malloc` the dynamic linker binds, or nil when none defines it.
    public static func allocatorPath(among paths: [String], symbolizer: Symbolizer) -> String? {
        ordered(paths.map { ($0, $0) }).first { candidate in
            guard let malloc = try? symbolizer.symbolFileOffset(name: "malloc", modulePath: candidate.probePath) else {
                return false
            }
            return !malloc.isIndirect
        }?.path
    }

    /// Executable first, other libraries next, the C library last.
    static func ordered(_ candidates: [(path: String, probePath: String)]) -> [(path: String, probePath: String)] {
        func isCLibrary(_ path: String) -> Bool {
            let base = path.split(separator: "/").last ?? ""
            return base.hasPrefix("libc.so") || base.hasPrefix("libc-")
        }
        guard let executable = candidates.first else { return [] }
        let rest = candidates.dropFirst()
        return [executable] + rest.filter { !isCLibrary($0.path) } + rest.filter { isCLibrary($0.path) }
    }

    private static func choose(
        candidates: [(path: String, probePath: String)], symbolizer: Symbolizer, target: String
    ) throws(MemoryError) -> AllocatorModule {
        for candidate in candidates {
            guard let malloc = try? symbolizer.symbolFileOffset(name: "malloc", modulePath: candidate.probePath),
                !malloc.isIndirect
            else { continue }
            var functions: [AllocatorFunctionSymbol] = []
            var offsets = Set<UInt64>()
            for function in AllocatorFunction.allCases {
                guard
                    let range = try? symbolizer.symbolFileOffset(
                        name: function.symbolName, modulePath: candidate.probePath),
                    !range.isIndirect, offsets.insert(range.fileOffset).inserted
                else { continue }
                functions.append(AllocatorFunctionSymbol(function: function, range: range))
            }
            return AllocatorModule(path: candidate.path, probePath: candidate.probePath, functions: functions)
        }
        let looked = candidates.isEmpty ? "no file-backed code" : candidates.map(\.path).joined(separator: ", ")
        throw MemoryError(
            .noAllocator,
            "No allocator to probe in \(target): no module it maps defines a malloc symbol (looked at \(looked)). "
                + "A statically linked, stripped binary has no symbols to place probes on: rebuild it with symbols "
                + "(without -s / strip), or profile where memory is first touched with `sflame mem --page-faults`, "
                + "which works with any allocator.")
    }

    private static func hex(_ v: UInt64) -> String { String(v, radix: 16) }
}
