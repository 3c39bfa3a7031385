// SPDX-License-Identifier: Apache-2.0

/// An executable mapping of a process, as the unwinders need it: the address range, the file
/// offset mapped at its start, and the module it comes from.
public struct ExecutableMapping: Hashable, Sendable {
    /// Runtime addresses of the mapping, `start..<end`.
    public var start: UInt64
    public var end: UInt64
    /// The file offset mapped at `start` (from /proc/PID/maps or PERF_RECORD_MMAP2).
    public var fileOffset: UInt64
    /// The path sflame opens to read the module (for a process in another mount namespace, its
    /// `/proc/PID/root/…` path), or ``ExecutableMapping/vdsoPath`` for the kernel's vDSO.
    public var path: String

    /// The pseudo path of the vDSO mapping, as /proc/PID/maps names it.
    public static let vdsoPath = "[vdso]"

    public init(start: UInt64, end: UInt64, fileOffset: UInt64, path: String) {
        self.start = start
        self.end = end
        self.fileOffset = fileOffset
        self.path = path
    }
}

/// One module placed in a process: its image and load bias.
final class LoadedModule {
    struct Key: Hashable {
        var path: String
        var bias: UInt64
    }

    let image: ModuleImage
    /// The path as reported by the mapping (what libdw opens).
    let path: String
    /// runtime address = SVMA + bias (wrapping).
    let bias: UInt64
    /// Runtime addresses spanned by all `PT_LOAD` segments.
    let range: Range<UInt64>
    /// `.eh_frame_hdr`'s binary-search table, parsed on first use (libunwind).
    lazy var ehFrameTable: EHFrameTable? = EHFrameTable(image: image)

    var key: Key { Key(path: path, bias: bias) }

    /// Places `image` so that the mapping's file offset lands at the mapping's start.
    /// Nil when no `PT_LOAD` segment holds the offset.
    init?(image: ModuleImage, mapping: ExecutableMapping) {
        guard let svma = image.fileAddress(fileOffset: mapping.fileOffset) else { return nil }
        self.image = image
        self.path = mapping.path
        self.bias = mapping.start &- svma
        let svmaRange = image.fileAddressRange
        self.range = (svmaRange.lowerBound &+ bias)..<(svmaRange.upperBound &+ bias)
        guard range.lowerBound <= mapping.start else { return nil }
    }

    /// Reads `count` bytes at a runtime address from the file.
    func read(address: UInt64, into destination: UnsafeMutableRawPointer, count: Int) -> Bool {
        image.read(fileAddress: address &- bias, into: destination, count: count)
    }
}

/// The modules of one process, sorted by address, for address → module lookups.
struct LoadedModules {
    private(set) var modules: [LoadedModule] = []
    private var keys: Set<LoadedModule.Key> = []

    func contains(_ key: LoadedModule.Key) -> Bool { keys.contains(key) }

    mutating func add(_ module: LoadedModule) {
        guard keys.insert(module.key).inserted else { return }
        let index = modules.firstIndex { $0.range.lowerBound > module.range.lowerBound } ?? modules.count
        modules.insert(module, at: index)
    }

    mutating func removeAll() {
        modules.removeAll()
        keys.removeAll()
    }

    /// The module whose segments span `address`. O(log n); where ranges overlap (a module
    /// mapped over another's gap), the one starting last wins.
    func module(containing address: UInt64) -> LoadedModule? {
        var low = 0
        var high = modules.count
        while low < high {
            let mid = (low + high) / 2
            if modules[mid].range.lowerBound <= address { low = mid + 1 } else { high = mid }
        }
        var i = low - 1
        while i >= 0 {
            if modules[i].range.contains(address) { return modules[i] }
            if low - i > 4 { break }
            i -= 1
        }
        return nil
    }
}
