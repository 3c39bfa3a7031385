// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameProfile: reading, writing and checking profiles.
public struct ProfileError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A text input line does not have the expected shape.
        case malformedLine
        /// A binary input is cut short or has an invalid encoding.
        case malformedData
        /// The input has no samples where some were required.
        case emptyInput
        /// The input's format could not be recognised.
        case unknownFormat
        /// A profile breaks the model's invariants.
        case invalidProfile
    }

    public var kind: Kind
    /// What is wrong, in words.
    public var message: String
    /// The input's name (a path or `<stdin>`), when known.
    public var source: String?
    /// 1-based line of a text input, when the error is about one line.
    public var line: Int?
    /// Byte offset of a binary input, when the error is about one position.
    public var offset: Int?

    public init(_ kind: Kind, _ message: String, source: String? = nil, line: Int? = nil, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.source = source
        self.line = line
        self.offset = offset
    }

    public var description: String {
        var location = source ?? ""
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        if let offset { location += location.isEmpty ? "offset \(offset)" : " at offset \(offset)" }
        return location.isEmpty ? message : "\(location): \(message)"
    }
}
