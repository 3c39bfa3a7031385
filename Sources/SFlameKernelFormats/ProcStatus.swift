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
