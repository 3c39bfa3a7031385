// SPDX-License-Identifier: Apache-2.0
//
// /proc/PID/smaps text → one `ProcSmapsEntry` per mapping. Example input and result:
//
//   561784f8a000-561784f8c000 rw-p 00000000 00:00 0                          [heap]
//   Size:                132 kB
//   Rss:                  80 kB
//   Pss:                  80 kB
//   Private_Dirty:        80 kB
//   Anonymous:            80 kB
//   VmFlags: rd wr mr mw me ac
//   ──► ProcSmapsEntry(mapping: [heap] 0x561784f8a000-0x561784f8c000 rw-p,
//                      size 135168, rss 81920, pss 81920, privateDirty 81920, anonymous 81920,
//                      every other field absent)

/// The per-mapping memory fields of /proc/PID/smaps that sflame keeps.
///
/// Source: proc(5), /proc/pid/smaps; Documentation/filesystems/proc.rst ("smaps"). Every value is
/// printed in kB (KiB) by the kernel and stored here in bytes.
public enum SmapsField: Int, CaseIterable, Hashable, Sendable {
    case size
    case rss
    case pss
    case pssDirty
    case sharedClean
    case sharedDirty
    case privateClean
    case privateDirty
    case anonymous
    case swap
    case swapPss
    case locked

    /// The key as the kernel prints it.
    public var key: String {
        switch self {
        case .size: return "Size"
        case .rss: return "Rss"
        case .pss: return "Pss"
        case .pssDirty: return "Pss_Dirty"
        case .sharedClean: return "Shared_Clean"
        case .sharedDirty: return "Shared_Dirty"
        case .privateClean: return "Private_Clean"
        case .privateDirty: return "Private_Dirty"
        case .anonymous: return "Anonymous"
        case .swap: return "Swap"
        case .swapPss: return "SwapPss"
        case .locked: return "Locked"
        }
    }

    fileprivate static let byKey: [String: SmapsField] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.key, $0) })
}

/// One mapping of /proc/PID/smaps: the maps header line and the memory fields below it.
///
/// Shape: values in bytes; a field the kernel did not print is nil (never zero).
public struct ProcSmapsEntry: Hashable, Sendable {
    public var mapping: ProcMapping
    /// Indexed by `SmapsField.rawValue`.
    private var values: [UInt64?]

    public init(mapping: ProcMapping, values: [SmapsField: UInt64] = [:]) {
        self.mapping = mapping
        self.values = [UInt64?](repeating: nil, count: SmapsField.allCases.count)
        for (field, value) in values { self.values[field.rawValue] = value }
    }

    /// The value of a field in bytes, or nil when the kernel did not print it.
    public subscript(_ field: SmapsField) -> UInt64? {
        get { values[field.rawValue] }
        set { values[field.rawValue] = newValue }
    }
}

/// Parser for /proc/PID/smaps.
public enum ProcSmaps {
    /// Parses the whole text. Field lines that sflame does not keep (`KernelPageSize`, `VmFlags`,
    /// `THPeligible`, …) are skipped; so are field lines before the first header.
    ///
    /// Complexity: one pass over the bytes; no per-line allocation for skipped fields.
    /// Throws: `KernelFormatsError(.malformedLine)` with the 1-based line when a header line does
    /// not have the /proc/PID/maps shape or a kept field's value is not `N kB`.
    public static func parse(_ text: String) throws(KernelFormatsError) -> [ProcSmapsEntry] {
        var entries: [ProcSmapsEntry] = []
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if line.isEmpty { continue }
            let utf8 = line.utf8
            // A field line's first token ends in a colon ("Rss:"); a header's starts with an address range.
            let firstSpace =
                utf8.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) ?? utf8.endIndex
            let token = line[line.startIndex..<firstSpace]
            if token.last == ":" {
                guard !entries.isEmpty, let field = SmapsField.byKey[String(token.dropLast())] else { continue }
                guard let kib = kilobytes(line[firstSpace...]) else {
                    throw KernelFormatsError(
                        .malformedLine, "not a 'Key: N kB' smaps line: '\(line.prefix(120))'", line: number)
                }
                entries[entries.count - 1][field] = kib &* 1024
            } else {
                guard let mapping = ProcMapping(line: line) else {
                    throw KernelFormatsError(
                        .malformedLine, "not a /proc/PID/smaps header line: '\(line.prefix(120))'", line: number)
                }
                entries.append(ProcSmapsEntry(mapping: mapping))
            }
        }
        return entries
    }

    /// `   1234 kB` → 1234; nil when the text is not a number followed by `kB`.
    private static func kilobytes(_ text: Substring) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        var rest = text.utf8.drop(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        while let c = rest.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
            value = value &* 10 &+ UInt64(c - UInt8(ascii: "0"))
            digits += 1
            rest = rest.dropFirst()
        }
        guard digits > 0 else { return nil }
        let unit = rest.drop(while: { $0 == UInt8(ascii: " ") })
        guard unit.elementsEqual("kB".utf8) else { return nil }
        return value
    }
}
