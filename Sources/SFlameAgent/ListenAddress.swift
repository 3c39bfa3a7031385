// SPDX-License-Identifier: Apache-2.0

/// Where the agent listens: `HOST:PORT` (`127.0.0.1:6060`, `[::1]:6060`, `0.0.0.0:6060`,
/// `localhost:6060`). Port 0 picks a free port (the agent prints the one it got).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host as given, without the brackets of an IPv6 literal.
    public var host: String
    /// The TCP port, 0…65535; 0 lets the kernel pick a free one.
    public var port: Int

    /// An address from its parts (`host` without IPv6 brackets).
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; an IPv6 host is bracketed (`[::1]:6060`).
    ///
    /// Throws: `.invalidConfiguration` naming what is wrong.
    public init(parsing text: String) throws(AgentError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw AgentError(.invalidConfiguration, "--listen \(text): write an IPv6 address as [ADDRESS]:PORT, e.g. [::1]:6060.")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw AgentError(.invalidConfiguration, "--listen \(text): give HOST:PORT, e.g. 127.0.0.1:6060 (IPv6: [::1]:6060).")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else {
            throw AgentError(.invalidConfiguration, "--listen \(text): the host is missing; give HOST:PORT, e.g. 127.0.0.1:6060.")
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw AgentError(.invalidConfiguration, "--listen \(text): the port must be a number from 0 to 65535 (0 picks a free one).")
        }
        self.host = String(host)
        self.port = port
    }

    /// True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`.
    /// Everything else (0.0.0.0, ::, a LAN address, a name) counts as reachable from outside.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }

    /// `127.0.0.1:6060`, `[::1]:6060`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
