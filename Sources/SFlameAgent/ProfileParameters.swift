// SPDX-License-Identifier: Apache-2.0

/// The query parameters of a profile request, as Go's net/http/pprof takes them: `seconds`
/// (a whole number) and, for sflame, `pid`.
struct ProfileParameters: Equatable {
    /// The recording's length. Seconds, 1…max.
    var seconds: Int
    /// The requested process or thread; nil when the request names none.
    var pid: Int32?

    /// Parses `seconds` and `pid` from the query values (nil: absent).
    ///
    /// Throws: `.badRequest` naming the parameter, its value and the accepted range.
    init(seconds: String?, pid: String?, defaultSeconds: Int, maxSeconds: Int) throws(AgentError) {
        if let seconds {
            guard let value = Int(seconds), (1...maxSeconds).contains(value) else {
                throw AgentError(
                    .badRequest, "seconds must be a whole number from 1 to \(maxSeconds) (got '\(Self.shown(seconds))').")
            }
            self.seconds = value
        } else {
            self.seconds = defaultSeconds
        }
        if let pid {
            guard let value = Int32(pid), value > 0 else {
                throw AgentError(.badRequest, "pid must be a process ID, a positive whole number (got '\(Self.shown(pid))').")
            }
            self.pid = value
        } else {
            self.pid = nil
        }
    }

    /// A parameter value as echoed in a message: at most 40 characters.
    private static func shown(_ value: String) -> String {
        value.count > 40 ? String(value.prefix(40)) + "…" : value
    }
}
