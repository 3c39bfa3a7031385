// SPDX-License-Identifier: Apache-2.0

internal import CElfutils
public import SFlameProfile

#if canImport(Glibc)
import Glibc
#endif

/// Reads the GNU build-id note (`NT_GNU_BUILD_ID`) of an ELF file or of an ELF image in memory,
/// without loading symbols or DWARF: what tells two files with one name apart.
///
/// Source: elfutils libdwelf.h (`dwelf_elf_gnu_build_id`), which finds the note through the
/// section headers, or through the `PT_NOTE` program headers when there are none (an image
/// copied from a process's memory holds the ELF header, the program headers and the notes, which
/// linkers place in the first loaded page, but not the section headers at the end of the file).
public enum ElfBuildID {
    /// The build-id of the ELF file at `path`; nil when it cannot be opened, is not ELF, or has
    /// no build-id note.
    public static func read(path: String) -> BuildID? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        _ = elf_version(UInt32(EV_CURRENT))
        guard let elf = elf_begin(fd, ELF_C_READ_MMAP, nil) else { return nil }
        defer { elf_end(elf) }
        return buildID(of: elf)
    }

    /// The build-id of an ELF image as loaded in memory: bytes starting at the ELF header (the
    /// process's mapping at file offset 0). Nil when the bytes are not ELF or hold no build-id.
    public static func read(image: [UInt8]) -> BuildID? {
        var copy = image
        return copy.withUnsafeMutableBytes { raw -> BuildID? in
            guard raw.count >= 64, let base = raw.baseAddress else { return nil }
            _ = elf_version(UInt32(EV_CURRENT))
            guard let elf = elf_memory(base.assumingMemoryBound(to: CChar.self), raw.count) else { return nil }
            defer { elf_end(elf) }
            return buildID(of: elf)
        }
    }

    private static func buildID(of elf: OpaquePointer) -> BuildID? {
        var bits: UnsafeRawPointer?
        let length = dwelf_elf_gnu_build_id(elf, &bits)
        guard length > 0, let bits else { return nil }
        return BuildID(bytes: Array(UnsafeRawBufferPointer(start: bits, count: length)))
    }
}
