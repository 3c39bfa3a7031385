// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameKernelFormats: kernel bytes or /proc text that do not decode.
public struct KernelFormatsError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A perf record is shorter than its fields require, or its header size is invalid.
        case truncatedRecord
        /// A /proc text line does not have the documented shape.
        case malformedLine
    }
    public var kind: Kind
    public var message: String
    /// 1-based line of a /proc text, when the error is about a line.
    public var line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line { return "line \(line): \(message)" }
        return message
    }
}
