// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
    import Glibc
#endif

/// An ELF module file mapped read-only into sflame: the bytes the unwinders read for addresses
/// outside the stack copy, and the program headers that place them.
///
/// Only what unwinding needs is parsed, straight from the ELF64 headers (System V ABI, "ELF
/// Header" and "Program Header"; elf(5)): the `PT_LOAD` segments (file offset ↔ SVMA), the
/// `PT_GNU_EH_FRAME` segment (`.eh_frame_hdr`, libunwind's FDE index) and `PT_INTERP`.
/// Symbols and DWARF stay with libdw. The mapping is released in deinit.
public final class ModuleImage {
    /// One `PT_LOAD` program header.
    struct Segment: Hashable {
        var fileOffset: UInt64
        var fileAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
        var isExecutable: Bool
    }

    /// The path the image was read from (or a pseudo name such as `[vdso]`).
    public let path: String
    /// `e_type == ET_EXEC`: a fixed-address executable (load bias 0).
    public let isFixedAddress: Bool
    /// The `PT_INTERP` path (the dynamic loader of an executable), if any.
    public let interpreter: String?
    let segments: [Segment]
    /// SVMA and size of `.eh_frame_hdr` (`PT_GNU_EH_FRAME`).
    let ehFrameHeader: (fileAddress: UInt64, size: UInt64)?
    /// The whole file.
    let bytes: UnsafeRawBufferPointer
    private let unmap: (() -> Void)?

    /// Maps `path` read-only and parses its program headers.
    ///
    /// Throws: ``UnwindError/Kind/cannotOpen`` when open, fstat or mmap fail;
    /// ``UnwindError/Kind/notELF`` for anything but an ELF64 little-endian file.
    public convenience init(path: String) throws(UnwindError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw UnwindError(.cannotOpen, path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw UnwindError(.cannotOpen, path: path, message: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size >= 64 else { throw UnwindError(.notELF, path: path, message: "too short for an ELF header") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw UnwindError(.cannotOpen, path: path, message: "mmap: " + String(cString: strerror(errno)))
        }
        let bytes = UnsafeRawBufferPointer(start: base, count: size)
        try self.init(path: path, bytes: bytes, unmap: { munmap(base, size) })
    }

    /// An image over bytes that sflame owns (the vDSO copy). `release` runs in deinit.
    init(path: String, bytes: UnsafeRawBufferPointer, unmap release: (() -> Void)?) throws(UnwindError) {
        self.path = path
        self.bytes = bytes
        self.unmap = release
        do {
            let headers = try Self.parse(bytes, path: path)
            isFixedAddress = headers.isFixedAddress
            interpreter = headers.interpreter
            segments = headers.segments
            ehFrameHeader = headers.ehFrameHeader
        } catch {
            release?()
            throw error
        }
    }

    deinit { unmap?() }

    /// The SVMA of a file offset, preferring an executable segment, or nil when no segment's
    /// file bytes hold it.
    func fileAddress(fileOffset: UInt64) -> UInt64? {
        var match: Segment?
        for s in segments where fileOffset >= s.fileOffset && fileOffset - s.fileOffset < max(s.fileSize, 1) {
            if match == nil || s.isExecutable { match = s }
        }
        return match.map { fileOffset - $0.fileOffset + $0.fileAddress }
    }

    /// The SVMA range the loaded image spans: from the first segment's page to the end of the last.
    var fileAddressRange: Range<UInt64> {
        let low = segments.map { $0.fileAddress & ~0xfff }.min() ?? 0
        let high = segments.map { $0.fileAddress + $0.memorySize }.max() ?? low
        return low..<max(high, low)
    }

    /// Copies up to `count` bytes at an SVMA into `destination`; the rest is zero-filled. Returns
    /// false when the first byte is not file-backed (`.bss`, or outside every segment).
    func read(fileAddress: UInt64, into destination: UnsafeMutableRawPointer, count: Int) -> Bool {
        for s in segments where fileAddress >= s.fileAddress && fileAddress - s.fileAddress < s.fileSize {
            let offset = s.fileOffset + (fileAddress - s.fileAddress)
            let available = min(
                UInt64(count), s.fileSize - (fileAddress - s.fileAddress),
                UInt64(bytes.count) - min(offset, UInt64(bytes.count)))
            guard available > 0 else { return false }
            destination.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            destination.copyMemory(from: bytes.baseAddress! + Int(offset), byteCount: Int(available))
            return true
        }
        return false
    }

    // MARK: ELF64 parsing

    private struct Headers {
        var isFixedAddress: Bool
        var interpreter: String?
        var segments: [Segment]
        var ehFrameHeader: (fileAddress: UInt64, size: UInt64)?
    }

    private static let ptLoad: UInt32 = 1
    private static let ptInterp: UInt32 = 3
    private static let ptGNUEHFrame: UInt32 = 0x6474_e550
    private static let pfX: UInt32 = 1

    private static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(UnwindError) -> Headers {
        func fail(_ why: String) -> UnwindError { UnwindError(.notELF, path: path, message: why) }
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw fail("not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw fail("not a 64-bit little-endian ELF file") }
        func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let type = u16(16)
        let phoff = u64(32)
        let phentsize = Int(u16(54))
        let phnum = Int(u16(56))
        guard phentsize >= 56, phoff < UInt64(bytes.count),
            UInt64(bytes.count) - phoff >= UInt64(phentsize * phnum)
        else { throw fail("program headers out of range") }
        var headers = Headers(isFixedAddress: type == 2, interpreter: nil, segments: [], ehFrameHeader: nil)
        for i in 0..<phnum {
            let o = Int(phoff) + i * phentsize
            let pType = u32(o)
            let flags = u32(o + 4)
            let offset = u64(o + 8)
            let vaddr = u64(o + 16)
            let filesz = u64(o + 32)
            let memsz = u64(o + 40)
            switch pType {
            case ptLoad:
                headers.segments.append(
                    Segment(
                        fileOffset: offset, fileAddress: vaddr, fileSize: filesz, memorySize: memsz,
                        isExecutable: flags & pfX != 0))
            case ptGNUEHFrame:
                headers.ehFrameHeader = (vaddr, memsz)
            case ptInterp where offset < UInt64(bytes.count) && filesz <= UInt64(bytes.count) - offset:
                let field = UnsafeRawBufferPointer(rebasing: bytes[Int(offset)..<Int(offset + filesz)])
                let end = field.firstIndex(of: 0) ?? field.count
                headers.interpreter = String(decoding: UnsafeRawBufferPointer(rebasing: field[0..<end]), as: UTF8.self)
            default:
                break
            }
        }
        guard !headers.segments.isEmpty else { throw fail("no loadable segments") }
        return headers
    }
}
