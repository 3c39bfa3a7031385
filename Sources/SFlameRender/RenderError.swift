// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameRender.
///
/// Rendering is pure, so every error is about the input or the options, never the environment.
public struct RenderError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The input has no weight to draw (no stacks, or only zero weights).
        case emptyInput
        /// The input cannot be drawn: a negative weight, or weights whose sum overflows.
        case invalidInput
        /// An option is out of range; the message names it, its value and the limit.
        case invalidOption
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
