// SPDX-License-Identifier: Apache-2.0

/// The `PT_LOAD` program headers of one ELF file: the map between file offsets and the file's
/// own virtual addresses (SVMAs).
///
/// A sampled runtime address becomes a file offset as `address - mapping.start +
/// mapping.fileOffset` (from /proc/PID/maps or PERF_RECORD_MMAP2); the segment holding that
/// offset turns it into an SVMA: `offset - p_offset + p_vaddr`.
///
/// Source: System V ABI, "Program Header"; elf(5), `PT_LOAD`.
struct LoadSegments: Hashable, Sendable {
    struct Segment: Hashable, Sendable {
        /// `p_offset`: where the segment's bytes start in the file.
        var fileOffset: UInt64
        /// `p_vaddr`: the SVMA of the first byte.
        var fileAddress: UInt64
        /// `p_filesz`: bytes backed by the file (the rest up to `p_memsz` is zero-filled).
        var fileSize: UInt64
        /// `p_flags & PF_X`.
        var isExecutable: Bool
    }

    /// Sorted by file offset.
    let segments: [Segment]

    init(_ segments: [Segment]) {
        self.segments = segments.sorted { $0.fileOffset < $1.fileOffset }
    }

    /// The SVMA of a file offset, or nil when no segment's file-backed bytes hold it.
    /// Executable segments win when (unusually) two segments share the offset.
    func fileAddress(fileOffset: UInt64) -> UInt64? {
        var match: Segment?
        for segment in segments
        where fileOffset >= segment.fileOffset
            && fileOffset - segment.fileOffset < segment.fileSize
        {
            if match == nil || segment.isExecutable { match = segment }
        }
        guard let match else { return nil }
        return fileOffset - match.fileOffset + match.fileAddress
    }

    /// The segment whose file-backed bytes hold an SVMA.
    func segment(containing fileAddress: UInt64) -> Segment? {
        segments.first { fileAddress >= $0.fileAddress && fileAddress - $0.fileAddress < $0.fileSize }
    }

    /// The file offset that holds an SVMA and how many file-backed bytes of its segment follow
    /// it (at least 1), or nil when the address is not file-backed (`.bss`, or outside every
    /// segment).
    func fileLocation(fileAddress: UInt64) -> (offset: UInt64, bytesToSegmentEnd: UInt64)? {
        guard let segment = segment(containing: fileAddress) else { return nil }
        let delta = fileAddress - segment.fileAddress
        return (segment.fileOffset + delta, segment.fileSize - delta)
    }
}
