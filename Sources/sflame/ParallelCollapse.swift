// SPDX-License-Identifier: Apache-2.0
//
// Folds a large `perf script` file on every core: the file is mapped, cut at sample
// boundaries into one part per core, each part is folded by its own `PerfScriptCollapser`,
// and the parts are merged. The result is the same as folding the file whole (SFlameProfile's
// tests check that cutting anywhere gives the same stacks):
//
//   perf.txt (400 MB) ──► part 1 (samples 1…k) ──► collapser 1 ─┐
//                     └─► part 2 (samples k+1…) ──► collapser 2 ─┴─► merged stacks
import Dispatch
import Foundation
import Glibc
import SFlameProfile

enum ParallelCollapse {
    /// Files smaller than this are folded on one thread: splitting would not pay.
    static let minimumBytes = 16 << 20

    /// Folds the `perf script` file at `path` in parallel, or returns nil when it is not one
    /// (another format, a pipe, a small file, one core), so the caller reads it the usual way.
    ///
    /// - Throws: `FileError` when the file cannot be opened or mapped.
    static func collapse(_ path: String, options: PerfScriptFoldOptions) throws -> DecodedProfile? {
        let cores = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard cores > 1 else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(operation: "read", path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(operation: "read", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= minimumBytes else { return nil }
        let size = Int(info.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw FileError(operation: "read", path: path, step: "mmap", errno: errno)
        }
        defer { munmap(mapped, size) }
        let bytes = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size)
        guard ProfileFormat.detect(bytes.prefix(ProfileFormat.detectionPrefix)) == .perfScript else { return nil }

        var bounds = [0]
        for k in 1..<cores {
            let cut = PerfScriptSplit.sampleStart(in: bytes, from: size / cores * k)
            if cut > bounds.last! && cut < size { bounds.append(cut) }
        }
        bounds.append(size)
        let parts = bounds
        let results = PartResults(count: bounds.count - 1)
        nonisolated(unsafe) let base = bytes
        DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { part in
            var collapser = PerfScriptCollapser(options: options)
            let chunk = 1 << 20
            var offset = parts[part]
            while offset < parts[part + 1] {
                let count = min(chunk, parts[part + 1] - offset)
                collapser.consume(UnsafeBufferPointer(rebasing: base[offset..<(offset + count)]))
                // Parsed: give the pages back so the mapping does not stay resident (whole
                // pages only; a page shared with the next part is read again from the page cache
                // if that part still needs it).
                let page = 4096
                let from = offset / page * page
                let to = (offset + count) / page * page
                if to > from {
                    _ = madvise(UnsafeMutableRawPointer(mutating: base.baseAddress! + from), to - from, MADV_DONTNEED)
                }
                offset += count
            }
            collapser.finish()
            results.set(part, collapser)
        }
        guard let merged = PerfScriptCollapser.merged(results.all) else { return nil }
        guard merged.statistics.keptSamples > 0 else {
            throw ProfileError(.emptyInput, ProfileDecoder.noSamples(merged.statistics), source: path)
        }
        var decoded = DecodedProfile(format: .perfScript, content: .stacks(merged.stacks))
        decoded.perfScript = merged.statistics
        decoded.warnings = merged.statistics.warnings
        return decoded
    }
}

/// One result slot per part, each written by exactly one iteration of `concurrentPerform`.
private final class PartResults: @unchecked Sendable {
    private var slots: [PerfScriptCollapser?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: PerfScriptCollapser) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    var all: [PerfScriptCollapser] { slots.compactMap { $0 } }
}
