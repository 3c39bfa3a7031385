// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameDiff.
///
/// Comparing is pure, so every error is about the inputs or the rules, never the environment.
public struct DiffError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// One of the profiles has no samples (no stacks, or only zero weights).
        case emptyInput
        /// A profile cannot be compared: a negative weight, or weights whose sum overflows.
        case invalidInput
        /// A regression rule (`PCT` or `REGEX:PCT`) cannot be parsed.
        case invalidRule
    }

    public var kind: Kind
    /// What is wrong and what to do, in words.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
