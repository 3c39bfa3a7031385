// SPDX-License-Identifier: Apache-2.0

/// The binary-search table of a module's `.eh_frame_hdr`: sorted (initial location, FDE address)
/// pairs, both 4-byte signed offsets from the header's start. libunwind's
/// `dwarf_search_unwind_table` searches it in the target's address space, reading it through
/// the memory accessor.
///
/// Layout (LSB "Exception Frame Header"): u8 version = 1, u8 eh_frame_ptr_enc, u8
/// fde_count_enc, u8 table_enc, the encoded eh_frame_ptr, the encoded fde_count, then the
/// table. Only the table encoding `DW_EH_PE_datarel | DW_EH_PE_sdata4` (0x3b), the one every
/// linker writes and the one libunwind supports, yields a table.
struct EHFrameTable: Hashable {
    /// SVMA of `.eh_frame_hdr` (the base of the table's offsets).
    var headerAddress: UInt64
    /// SVMA of the first table entry.
    var tableAddress: UInt64
    var entryCount: UInt64

    init?(image: ModuleImage) {
        guard let header = image.ehFrameHeader, header.size >= 4 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 24)
        let ok = bytes.withUnsafeMutableBytes {
            image.read(fileAddress: header.fileAddress, into: $0.baseAddress!, count: 24)
        }
        guard ok, bytes[0] == 1, bytes[3] == 0x3b,
            let pointerSize = Self.fixedSize(encoding: bytes[1]), let countSize = Self.fixedSize(encoding: bytes[2])
        else { return nil }
        let countOffset = 4 + pointerSize
        guard countOffset + countSize <= bytes.count else { return nil }
        var count: UInt64 = 0
        for i in 0..<countSize { count |= UInt64(bytes[countOffset + i]) << (8 * UInt64(i)) }
        guard count > 0 else { return nil }
        headerAddress = header.fileAddress
        tableAddress = header.fileAddress + UInt64(countOffset + countSize)
        entryCount = count
    }

    /// The size of a value in a fixed-size DW_EH_PE encoding (the low four bits), nil for
    /// LEB128 and omitted values.
    static func fixedSize(encoding: UInt8) -> Int? {
        guard encoding != 0xff else { return nil }
        switch encoding & 0x0f {
        case 0x00, 0x04, 0x0c: return 8
        case 0x02, 0x0a: return 2
        case 0x03, 0x0b: return 4
        default: return nil
        }
    }
}
