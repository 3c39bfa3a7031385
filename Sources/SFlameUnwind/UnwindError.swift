// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameUnwind: a module file or an unwinder that cannot be set up.
///
/// Failing to unwind one sample is not an error: ``UnwoundStack/stop`` says why it stopped.
public struct UnwindError: Error, CustomStringConvertible, Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The module file could not be opened or mapped (`message` holds the errno text).
        case cannotOpen
        /// The file is not a 64-bit little-endian ELF file with program headers.
        case notELF
        /// libdw or libunwind refused to set up an unwinder.
        case unwinderSetup
    }

    public var kind: Kind
    /// The module path the error is about, or "" for unwinder set-up.
    public var path: String
    public var message: String

    public init(_ kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        switch kind {
        case .cannotOpen:
            return "cannot open \(path) for unwinding: \(message); stacks through it stop at its frames"
        case .notELF:
            return "cannot unwind through \(path): \(message)"
        case .unwinderSetup:
            return "cannot set up the unwinder: \(message)"
        }
    }
}
