// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameSampling
import SFlameSymbolication
import SFlameUnwind

/// Turns the requested ``CallGraph`` into event settings: decides `.auto`, asks for user
/// registers and stack copies in DWARF mode, and sizes the ring buffers for them.
struct CallGraphSetup {
    /// The decision for a recording.
    struct Decision: Hashable {
        /// Unwind stack copies with CFI (else the kernel's frame-pointer callchain).
        var usesDwarf: Bool
        var stackBytes: UInt32
        /// One line for the user about the decision, nil when nothing needs saying.
        var notice: String?
    }

    /// A module "has frame pointers" when most of its sampled function entries set them up
    /// (``ModuleInfo/framePointerShare``); unknown counts as not.
    static let framePointerThreshold = 0.5

    /// Decides the call graph. `.auto` inspects the modules each target process has mapped now
    /// (for a command: its executable and dynamic loader) and picks DWARF as soon as one lacks
    /// frame pointers; most distribution libraries do (Debian's libc has none).
    static func decide(
        _ callGraph: CallGraph, unwinder: DwarfUnwinder, target: RecordOptions.Target, commandPath: String?,
        symbolizer: Symbolizer
    ) -> Decision {
        switch callGraph {
        case .framePointers:
            return Decision(usesDwarf: false, stackBytes: 0, notice: nil)
        case .dwarf(let bytes):
            return Decision(
                usesDwarf: true, stackBytes: bytes,
                notice: "call graph: DWARF (\(unwinder.rawValue)), \(bytes)-byte stack copies.")
        case .auto(let bytes):
            let paths = modulePaths(target: target, commandPath: commandPath)
            for path in paths {
                let share = symbolizer.framePointerShare(path: path)
                guard let share, share >= framePointerThreshold else {
                    let why =
                        share == nil ? "may lack frame pointers (it could not be checked)" : "has no frame pointers"
                    return Decision(
                        usesDwarf: true, stackBytes: bytes,
                        notice: "call graph: DWARF (\(unwinder.rawValue)), \(bytes)-byte stack copies: \(path) \(why); "
                            + "-g fp forces frame pointers.")
                }
            }
            if paths.isEmpty {
                return Decision(
                    usesDwarf: true, stackBytes: bytes,
                    notice:
                        "call graph: DWARF (\(unwinder.rawValue)), \(bytes)-byte stack copies: the target's modules "
                        + "could not be inspected for frame pointers; -g fp forces frame pointers.")
            }
            return Decision(
                usesDwarf: false, stackBytes: 0,
                notice: "call graph: frame pointers (every module of the target has them).")
        }
    }

    /// Executable file-backed modules to inspect, in mapping order (the executable first).
    private static func modulePaths(target: RecordOptions.Target, commandPath: String?) -> [String] {
        switch target {
        case .processes(let pids):
            var seen: Set<String> = []
            var paths: [String] = []
            for pid in pids {
                for m in (try? ProcFS.maps(pid: pid)) ?? [] where m.isExecutable && m.isFileBacked {
                    if seen.insert(m.path).inserted { paths.append(m.path) }
                }
            }
            return paths
        case .command(let arguments):
            guard let executable = commandPath ?? arguments.first.flatMap({ $0.contains("/") ? $0 : nil }) else {
                return []
            }
            var paths = [executable]
            if let interpreter = (try? ModuleImage(path: executable))?.interpreter { paths.append(interpreter) }
            return paths
        }
    }

    /// Applies a DWARF decision to the event configuration: user registers, stack copies, and
    /// the kernel callchain without its user part.
    static func configure(_ configuration: inout PerfEventConfiguration, stackBytes: UInt32) {
        configuration.sampleType.formUnion([.regsUser, .stackUser])
        configuration.userRegisterMask = UserRegisters.perfSampleMask
        configuration.userStackBytes = stackBytes
        configuration.excludeUserCallchain = true
    }

    /// Data pages per CPU ring buffer for DWARF samples: room for half a second of samples at
    /// `frequencyHz` on one CPU (a CPU yields at most that many cpu-clock samples per second,
    /// however many threads share it), a power of two between `minimum` and 8192 pages.
    static func dwarfBufferPages(stackBytes: UInt32, frequencyHz: UInt64, minimum: Int) -> Int {
        let sampleBytes = UInt64(stackBytes) + UInt64(UserRegisters.count) * 8 + 256
        let wanted = sampleBytes * max(frequencyHz, 1) / 2 / 4096
        var pages = max(minimum, 1)
        while pages < 8192 && UInt64(pages) < wanted { pages *= 2 }
        return pages
    }

    /// The top of a thread's stack: /proc/PID/stat `startstack` for the main thread, else the end
    /// of the mapping that holds the stack pointer; nil when unknown. Cached per thread.
    static func stackTopReader() -> (Int32, Int32, UInt64) -> UInt64? {
        final class Cache { var tops: [Int32: UInt64?] = [:] }
        let cache = Cache()
        return { pid, tid, stackPointer in
            if let known = cache.tops[tid] { return known }
            var top: UInt64?
            if pid == tid, let start = (try? ProcFS.stat(pid: pid))?.startStack, start > stackPointer {
                top = start
            } else if let maps = try? ProcFS.maps(pid: pid) {
                top = maps.first { $0.start <= stackPointer && stackPointer < $0.end }?.end
            }
            cache.tops[tid] = top
            return top
        }
    }
}
