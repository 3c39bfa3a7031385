// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

/// What `sflame agent` serves, to whom, and how it records.
public struct AgentConfiguration: Sendable {
    /// Where to listen. Default 127.0.0.1:6060 (loopback only).
    public var listen = ListenAddress(host: "127.0.0.1", port: 6060)
    /// The bearer token every request must carry (`Authorization: Bearer TOKEN`); nil: none
    /// needed, allowed only on a loopback address.
    public var token: [UInt8]?
    /// The processes that may be profiled.
    public var allowlist: TargetAllowlist
    /// How recordings are made.
    public var recording = AgentRecordingOptions()
    /// `seconds` when a request gives none (Go's net/http/pprof default). Seconds.
    public var defaultSeconds = 30
    /// The longest recording a request may ask for. Seconds.
    public var maxSeconds = 300

    /// The defaults above, serving `allowlist`.
    public init(allowlist: TargetAllowlist) {
        self.allowlist = allowlist
    }

    /// Checks the configuration is safe to serve: an address other than loopback needs a token,
    /// and the allowlist must name something that exists.
    ///
    /// Throws: `.invalidConfiguration` with what to change.
    public func validate() throws(AgentError) {
        if !listen.isLoopback && token == nil {
            throw AgentError(
                .invalidConfiguration,
                "--listen \(listen) is reachable from other machines: give --token FILE (a file holding the bearer token "
                    + "clients must send as 'Authorization: Bearer TOKEN'), or listen on loopback (127.0.0.1:PORT).")
        }
        if let token, token.isEmpty {
            throw AgentError(.invalidConfiguration, "the token file is empty: put a long random string in it (e.g. `openssl rand -hex 32`).")
        }
        try allowlist.check()
    }

    /// Reads a token file: its content without surrounding whitespace (a trailing newline).
    ///
    /// Throws: `.invalidConfiguration` when the file cannot be read, or when what it holds is not
    /// one token: whitespace or control bytes inside (several lines), which no client could send
    /// in `Authorization: Bearer TOKEN` (RFC 6750 §2.1: printable characters without spaces).
    public static func readToken(path: String) throws(AgentError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try ProcFS.readBytes(path) } catch {
            throw AgentError(.invalidConfiguration, "--token \(path): cannot read the file (\(error.description)).")
        }
        var slice = bytes[...]
        while let first = slice.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { slice.removeLast() }
        if let offset = slice.firstIndex(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw AgentError(
                .invalidConfiguration,
                "--token \(path): byte \(offset) is \(slice[offset] == 0x0A ? "a line break" : "whitespace or not printable ASCII"); "
                    + "the file must hold one token on one line (e.g. `openssl rand -hex 32 > \(path)`).")
        }
        return Array(slice)
    }
}

/// Bearer-token checks.
enum BearerToken {
    /// True when the `Authorization` header value is `Bearer TOKEN` (scheme case-insensitive)
    /// with exactly `expected`. The comparison takes the same time wherever the bytes differ
    /// (it depends on the lengths only), so response times do not reveal a prefix of the token.
    static func matches(header: String?, expected: [UInt8]) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count >= scheme.count,
            zip(bytes.prefix(scheme.count), scheme).allSatisfy({ ($0 | 0x20) == $1 })
        else { return false }
        var given = bytes[scheme.count...]
        while given.first == 0x20 { given.removeFirst() }
        return constantTimeEqual(Array(given), expected)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        for i in 0..<b.count {
            let x = i < a.count ? a[i] : ~b[i]
            difference |= x ^ b[i]
        }
        return difference == 0
    }
}
