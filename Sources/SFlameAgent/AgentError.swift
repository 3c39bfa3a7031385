// SPDX-License-Identifier: Apache-2.0

/// Why the agent refused a request or could not start: a kind that decides the HTTP status,
/// and a message for the client (sent as text/plain) or the user.
public struct AgentError: Error, CustomStringConvertible, Sendable {
    /// What went wrong; decides `statusCode`.
    public enum Kind: Sendable, Equatable {
        /// A parameter is malformed or out of range (HTTP 400).
        case badRequest
        /// No bearer token, or the wrong one (HTTP 401, with `WWW-Authenticate: Bearer`).
        case unauthorized
        /// The PID is not one the agent was started for (HTTP 403).
        case forbidden
        /// The process does not exist (any more) (HTTP 404).
        case notFound
        /// A recording of the same process is in progress (HTTP 429, with `Retry-After`).
        case busy
        /// The recording could not start or failed (HTTP 500).
        case recordingFailed
        /// The agent is shutting down, or the client went away (HTTP 503).
        case cancelled
        /// The command line is wrong (the agent does not start).
        case invalidConfiguration
    }

    /// What went wrong.
    public var kind: Kind
    /// One or two sentences for the client or the user: what was wrong and what to do.
    public var message: String
    /// For `.busy`: seconds until the running recording should end.
    public var retryAfterSeconds: Int?

    /// An error of `kind` with `message`; `retryAfterSeconds` only for `.busy`.
    public init(_ kind: Kind, _ message: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The HTTP status code for the kind.
    public var statusCode: Int {
        switch kind {
        case .badRequest, .invalidConfiguration: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .busy: return 429
        case .recordingFailed: return 500
        case .cancelled: return 503
        }
    }

    /// The message.
    public var description: String { message }
}
