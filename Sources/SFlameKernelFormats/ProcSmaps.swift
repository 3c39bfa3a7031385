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
///
/// Works on the bytes: a process with a thousand mappings prints some 25,000 lines, and
/// `sflame mem` reads them every few intervals, so the parse must not cost more than the kernel's
/// walk of the page tables (line splitting and `Character` handling of `String` cost ten times
/// that).
public enum ProcSmaps {
    /// Parses the whole text (see `parse(bytes:)`).
    public static func parse(_ text: String) throws(KernelFormatsError) -> [ProcSmapsEntry] {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses the bytes of /proc/PID/smaps. Field lines that sflame does not keep
    /// (`KernelPageSize`, `VmFlags`, `THPeligible`, …) are skipped; so are field lines before the
    /// first header.
    ///
    /// Complexity: one pass over the bytes; no allocation per field line.
    /// Throws: `KernelFormatsError(.malformedLine)` with the 1-based line when a header line does
    /// not have the /proc/PID/maps shape or a kept field's value is not `N kB`.
    public static func parse(bytes: [UInt8]) throws(KernelFormatsError) -> [ProcSmapsEntry] {
        var entries: [ProcSmapsEntry] = []
        var number = 0
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            number += 1
            defer { start = end + 1 }
            if end == start { continue }
            var tokenEnd = start
            while tokenEnd < end && bytes[tokenEnd] != 0x20 && bytes[tokenEnd] != 0x09 { tokenEnd += 1 }
            if bytes[tokenEnd - 1] == UInt8(ascii: ":") {
                guard !entries.isEmpty, let field = SmapsField.match(bytes, from: start, to: tokenEnd - 1) else {
                    continue
                }
                guard let kib = kilobytes(bytes, from: tokenEnd, to: end) else {
                    throw malformed("not a 'Key: N kB' smaps line", bytes, start, end, number)
                }
                entries[entries.count - 1][field] = kib &* 1024
            } else {
                guard let mapping = ProcMapping(bytes: bytes, from: start, to: end) else {
                    throw malformed("not a /proc/PID/smaps header line", bytes, start, end, number)
                }
                entries.append(ProcSmapsEntry(mapping: mapping))
            }
        }
        return entries
    }

    private static func malformed(_ what: String, _ bytes: [UInt8], _ start: Int, _ end: Int, _ line: Int)
        -> KernelFormatsError
    {
        let text = String(decoding: bytes[start..<min(end, start + 120)], as: UTF8.self)
        return KernelFormatsError(.malformedLine, "\(what): '\(text)'", line: line)
    }

    /// `   1234 kB` → 1234; nil when the bytes are not a number followed by `kB`.
    private static func kilobytes(_ bytes: [UInt8], from: Int, to end: Int) -> UInt64? {
        var i = from
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        var value: UInt64 = 0
        let digitsStart = i
        while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            value = value &* 10 &+ UInt64(bytes[i] - 0x30)
            i += 1
        }
        guard i > digitsStart else { return nil }
        while i < end && bytes[i] == 0x20 { i += 1 }
        guard end - i == 2, bytes[i] == UInt8(ascii: "k"), bytes[i + 1] == UInt8(ascii: "B") else { return nil }
        return value
    }
}

extension SmapsField {
    private static let keyBytes: [(key: [UInt8], field: SmapsField)] = allCases.map { (Array($0.key.utf8), $0) }

    /// The field whose key is `bytes[from..<to]`, or nil.
    static func match(_ bytes: [UInt8], from: Int, to: Int) -> SmapsField? {
        let length = to - from
        for candidate in keyBytes where candidate.key.count == length {
            var equal = true
            for k in 0..<length where bytes[from + k] != candidate.key[k] {
                equal = false
                break
            }
            if equal { return candidate.field }
        }
        return nil
    }
}

extension ProcMapping {
    /// Parses one /proc/PID/maps line held in `bytes[from..<to]` (see `init?(line:)`), building a
    /// `String` only for the path.
    init?(bytes: [UInt8], from: Int, to end: Int) {
        var i = from
        func skipSpaces() { while i < end && bytes[i] == 0x20 { i += 1 } }
        func hex() -> UInt64? {
            var value: UInt64 = 0
            let start = i
            while i < end {
                let c = bytes[i]
                let digit: UInt8
                switch c {
                case 0x30...0x39: digit = c - 0x30
                case 0x61...0x66: digit = c - 0x61 + 10
                case 0x41...0x46: digit = c - 0x41 + 10
                default: return i > start ? value : nil
                }
                value = value << 4 | UInt64(digit)
                i += 1
            }
            return i > start ? value : nil
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < end, bytes[i] == c else { return false }
            i += 1
            return true
        }
        guard let start = hex(), expect(UInt8(ascii: "-")), let stop = hex(), expect(0x20), end - i >= 4 else {
            return nil
        }
        let perms = (bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3])
        i += 4
        skipSpaces()
        guard let offset = hex(), expect(0x20), let major = hex(), expect(UInt8(ascii: ":")), let minor = hex(),
            expect(0x20)
        else { return nil }
        var inode: UInt64 = 0
        let inodeStart = i
        while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            inode = inode &* 10 &+ UInt64(bytes[i] - 0x30)
            i += 1
        }
        guard i > inodeStart, i == end || bytes[i] == 0x20 else { return nil }
        while i < end && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        var path = String(decoding: bytes[i..<end], as: UTF8.self)
        var deleted = false
        if path.hasSuffix(" (deleted)") {
            deleted = true
            path.removeLast(" (deleted)".count)
        }
        self.init(
            start: start, end: stop, isReadable: perms.0 == UInt8(ascii: "r"), isWritable: perms.1 == UInt8(ascii: "w"),
            isExecutable: perms.2 == UInt8(ascii: "x"), isPrivate: perms.3 == UInt8(ascii: "p"), fileOffset: offset,
            deviceMajor: UInt32(truncatingIfNeeded: major), deviceMinor: UInt32(truncatingIfNeeded: minor),
            inode: inode, path: path, isDeleted: deleted)
    }
}
