// SPDX-License-Identifier: Apache-2.0
//
// /proc/PID/maps text → `ProcMapping` values. Example line and result:
//
//   55d0c3a00000-55d0c3a02000 r-xp 00001000 08:01 1311 /usr/bin/two-hot (deleted)
//   ──► start 0x55d0c3a00000, end 0x55d0c3a02000, r-x private, offset 0x1000,
//       device 08:01, inode 1311, path "/usr/bin/two-hot", isDeleted true

/// One line of /proc/PID/maps.
///
/// Source: proc(5), /proc/pid/maps. Addresses are runtime addresses (AVMA) in the process.
public struct ProcMapping: Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64
    public var isReadable: Bool
    public var isWritable: Bool
    public var isExecutable: Bool
    /// `p` (private, copy-on-write) vs `s` (shared).
    public var isPrivate: Bool
    /// Byte offset in the file mapped at `start`.
    public var fileOffset: UInt64
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var inode: UInt64
    /// The path, or a pseudo name (`[heap]`, `[stack]`, `[vdso]`, `[anon:name]`), or "" for
    /// anonymous memory. The ` (deleted)` suffix is removed and reported in `isDeleted`.
    public var path: String
    public var isDeleted: Bool

    public init(
        start: UInt64, end: UInt64, isReadable: Bool = true, isWritable: Bool = false, isExecutable: Bool = false,
        isPrivate: Bool = true, fileOffset: UInt64 = 0, deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0,
        inode: UInt64 = 0, path: String = "", isDeleted: Bool = false
    ) {
        self.start = start
        self.end = end
        self.isReadable = isReadable
        self.isWritable = isWritable
        self.isExecutable = isExecutable
        self.isPrivate = isPrivate
        self.fileOffset = fileOffset
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.inode = inode
        self.path = path
        self.isDeleted = isDeleted
    }

    /// Size in bytes.
    public var size: UInt64 { end - start }
    /// A real file (path starts with `/`), not a pseudo or anonymous mapping.
    public var isFileBacked: Bool { path.hasPrefix("/") && inode != 0 }

    /// Parses the whole text of /proc/PID/maps.
    ///
    /// Throws: `KernelFormatsError(.malformedLine)` with the 1-based line.
    public static func parse(_ text: String) throws(KernelFormatsError) -> [ProcMapping] {
        var result: [ProcMapping] = []
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            number += 1
            guard let m = ProcMapping(line: line) else {
                throw KernelFormatsError(.malformedLine, "not a /proc/PID/maps line: '\(line.prefix(120))'", line: number)
            }
            result.append(m)
        }
        return result
    }

    /// Parses one line; nil when it does not have the documented shape.
    public init?(line: Substring) {
        var fields: [Substring] = []
        var rest = line[...]
        // Five space-separated fields, then optional whitespace and the path (which may hold spaces).
        for _ in 0..<5 {
            rest = rest.drop(while: { $0 == " " })
            guard let end = rest.firstIndex(of: " ") ?? (rest.isEmpty ? nil : rest.endIndex) else { return nil }
            fields.append(rest[..<end])
            rest = rest[end...]
        }
        var path = String(rest.drop(while: { $0 == " " || $0 == "\t" }))
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16) else {
            return nil
        }
        let perms = Array(fields[1].utf8)
        guard perms.count >= 4, let offset = UInt64(fields[2], radix: 16) else { return nil }
        let dev = fields[3].split(separator: ":")
        guard dev.count == 2, let major = UInt32(dev[0], radix: 16), let minor = UInt32(dev[1], radix: 16),
            let inode = UInt64(fields[4])
        else { return nil }
        var deleted = false
        if path.hasSuffix(" (deleted)") {
            deleted = true
            path.removeLast(" (deleted)".count)
        }
        self.init(
            start: start, end: end, isReadable: perms[0] == UInt8(ascii: "r"), isWritable: perms[1] == UInt8(ascii: "w"),
            isExecutable: perms[2] == UInt8(ascii: "x"), isPrivate: perms[3] == UInt8(ascii: "p"), fileOffset: offset,
            deviceMajor: major, deviceMinor: minor, inode: inode, path: path, isDeleted: deleted)
    }
}
