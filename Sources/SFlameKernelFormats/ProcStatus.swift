// SPDX-License-Identifier: Apache-2.0
//
// /proc/PID/status (and smaps_rollup, which has the same `Key:  value kB` shape) → fields.
//
//   Name:\tredis-server
//   VmRSS:\t    8192 kB
//   ──► fields ["Name": "redis-server", "VmRSS": "8192 kB"], bytes("VmRSS") == 8388608

/// The `Key:\tvalue` lines of /proc/PID/status or /proc/PID/smaps_rollup.
///
/// Source: proc(5), /proc/pid/status and /proc/pid/smaps_rollup. A key the kernel does not
/// print is absent (never zero).
public struct ProcKeyValues: Hashable, Sendable {
    public var fields: [String: String]

    public init(fields: [String: String]) { self.fields = fields }

    /// Parses the text. Lines without a colon (the smaps_rollup header line) are skipped.
    public static func parse(_ text: String) -> ProcKeyValues {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            if key.contains(" ") { continue }
            fields[key] = String(line[line.index(after: colon)...].trimmingSpaces)
        }
        return ProcKeyValues(fields: fields)
    }

    /// Parses the bytes of the file, as `parse(_:)` does, without going through `String` lines
    /// and `Character`s (ten times faster; `sflame mem` reads these files ten times a second).
    public static func parse(bytes: [UInt8]) -> ProcKeyValues {
        var fields: [String: String] = [:]
        fields.reserveCapacity(64)
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            var colon = start
            while colon < end && bytes[colon] != UInt8(ascii: ":") && bytes[colon] != 0x20 { colon += 1 }
            // Lines without a colon, or with a space before it (the smaps_rollup header), are skipped.
            guard colon < end, bytes[colon] == UInt8(ascii: ":"), colon > start else { continue }
            var valueStart = colon + 1
            while valueStart < end && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
            var valueEnd = end
            while valueEnd > valueStart && (bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09) {
                valueEnd -= 1
            }
            let key = String(decoding: bytes[start..<colon], as: UTF8.self)
            fields[key] = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
        }
        return ProcKeyValues(fields: fields)
    }

    /// The string value of `key`.
    public subscript(_ key: String) -> String? { fields[key] }

    /// A `N kB` value in bytes (the kernel's kB are KiB), or nil when absent or not a size.
    public func bytes(_ key: String) -> UInt64? {
        guard let v = fields[key] else { return nil }
        let parts = v.split(separator: " ")
        guard let n = parts.first.flatMap({ UInt64($0) }) else { return nil }
        if parts.count > 1 && parts[1] == "kB" { return n * 1024 }
        return n
    }

    /// An integer value (e.g. `Threads`), or nil.
    public func integer(_ key: String) -> Int64? { fields[key].flatMap { Int64($0.split(separator: " ").first ?? "") } }
}
