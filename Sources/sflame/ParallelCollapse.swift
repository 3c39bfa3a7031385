// SPDX-License-Identifier: Apache-2.0
//
// Folds a large `perf script` file on every core: the file is cut at sample boundaries into
// one part per core, each part is read (64 KiB at a time) and folded by its own
// `PerfScriptCollapser`, and the parts are merged. The result is the same as folding the file whole (SFlameProfile's
// tests check that cutting anywhere gives the same stacks):
//
//   perf.txt (400 MB) ──► part 1 (samples 1…k) ──► collapser 1 ─┐
//                     └─► part 2 (samples k+1…) ──► collapser 2 ─┴─► merged stacks
import Dispatch
import Glibc
import SFlameProfile

enum ParallelCollapse {
    /// Files smaller than this are folded on one thread: splitting would not pay.
    static let minimumBytes = 16 << 20
    /// Bytes read at a time by each part: small enough that the buffer, which the kernel's
    /// copy and the parser both pass through, leaves most of a 512 KiB L2 cache to the frame and
    /// stack tables (256 KiB took about 8 % more CPU time on the 102 MB benchmark input).
    static let readSize = 64 << 10

    /// Folds the `perf script` file at `path` in parallel, or returns nil when it is not one
    /// (another format, a pipe, a small file, one core), so the caller reads it the usual way.
    ///
    /// - Throws: `FileError` when the file cannot be opened or mapped.
    static func collapse(_ path: String, options: PerfScriptFoldOptions, skipBadLines: Bool) throws -> DecodedProfile? {
        // Online CPUs (sysconf: Foundation's ProcessInfo would be the only Foundation use on
        // this path, and initialising it costs start-up time and resident pages).
        let cores = min(max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1), 8)
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
        _ = madvise(mapped, size, MADV_RANDOM)  // no read-ahead into the mapping
        let bytes = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size)
        // An array (a copy made here, where the code is specialised; the generic `detect` would
        // copy the bytes one by one through the Collection protocol).
        let prefix = Array(UnsafeBufferPointer(rebasing: bytes.prefix(ProfileFormat.detectionPrefix)))
        // Not perf script text, or text with a control byte (the usual reader reports it).
        guard ProfileFormat.detect(prefix) == .perfScript, ProfileFormat.firstControlByte(prefix[...]) == nil else {
            return nil
        }

        var bounds = [0]
        for k in 1..<cores {
            let cut = PerfScriptSplit.sampleStart(in: bytes, from: size / cores * k)
            if cut > bounds.last! && cut < size { bounds.append(cut) }
        }
        bounds.append(size)
        let parts = bounds
        let results = PartResults(count: bounds.count - 1)
        // The parts are read with pread(2) into a small buffer each, not through the mapping:
        // the input then adds nothing to the peak RSS but those buffers (the mapping above only
        // served to recognise the format and find the cuts, touching a few pages).
        DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { part in
            var collapser = PerfScriptCollapser(options: options)
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: readSize)
            defer { buffer.deallocate() }
            var offset = parts[part]
            while offset < parts[part + 1] {
                let n = pread(fd, buffer.baseAddress, min(readSize, parts[part + 1] - offset), off_t(offset))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    // An error, or the file shrank while being read.
                    results.fail(part, n < 0 ? errno : EIO)
                    return
                }
                collapser.consume(UnsafeBufferPointer(rebasing: buffer[0..<n]))
                offset += n
            }
            collapser.finish()
            results.set(part, collapser)
        }
        if let failure = results.failure {
            throw FileError(operation: "read", path: path, errno: failure)
        }
        guard let merged = PerfScriptCollapser.merged(results.all) else { return nil }
        let skipped = try ProfileDecoder.checkUnrecognizedLines(merged.statistics, source: path, skip: skipBadLines)
        guard merged.statistics.keptSamples > 0 else {
            throw ProfileError(.emptyInput, ProfileDecoder.noSamples(merged.statistics), source: path)
        }
        var decoded = DecodedProfile(format: .perfScript, content: .stacks(merged.stacks))
        decoded.perfScript = merged.statistics
        decoded.weightUnit = merged.statistics.weightUnit(options.weight)
        decoded.warnings = merged.statistics.warnings
        decoded.skippedLines = skipped
        return decoded
    }
}

/// One result slot per part, each written by exactly one iteration of `concurrentPerform`
/// (distinct slots of one buffer: no lock needed).
private final class PartResults: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<PerfScriptCollapser?>
    private let failures: UnsafeMutableBufferPointer<Int32>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
        failures = .allocate(capacity: count)
        failures.initialize(repeating: 0)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
        failures.deallocate()
    }

    func set(_ index: Int, _ value: PerfScriptCollapser) { slots[index] = value }

    /// Records that part `index` could not be read (errno `code`).
    func fail(_ index: Int, _ code: Int32) { failures[index] = code }

    var all: [PerfScriptCollapser] { slots.compactMap { $0 } }

    /// The errno of the first part that failed to read, if any.
    var failure: Int32? { failures.first { $0 != 0 } }
}
