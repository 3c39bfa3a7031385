// SPDX-License-Identifier: Apache-2.0

/// The error type of SFlameSymbolication: a module file that cannot be used.
///
/// Not finding a symbol or debug information is not an error: frames then stay empty or lack
/// file:line, and ``ModuleInfo`` says what is missing.
public struct SymbolizationError: Error, CustomStringConvertible, Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The file could not be opened (missing, no permission). `message` holds the errno text.
        case cannotOpen
        /// The path names something other than a regular file (a directory, a FIFO, a device).
        case notRegularFile
        /// The file is not an ELF object libelf can read.
        case notELF
    }

    public var kind: Kind
    /// The module path the operation was about.
    public var path: String
    /// Why, in words (errno or libdwfl's message).
    public var message: String

    public init(_ kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        switch kind {
        case .cannotOpen:
            return "cannot open module \(path): \(message); frames of this module stay unsymbolized"
                + " (check that the file still exists and is readable by this user)"
        case .notRegularFile:
            return "cannot symbolize \(path): \(message); only regular ELF files can be symbolized"
        case .notELF:
            return "cannot read \(path) as ELF: \(message); frames of this module stay unsymbolized"
        }
    }
}
