// SPDX-License-Identifier: Apache-2.0

/// What one address of one module symbolizes to.
///
/// Shape: ``frames`` are innermost first: `frames[0]` is the leaf (the innermost inlined callee
/// when the address lies in inlined code), the last frame is the function from the symbol table
/// that the code was inlined into (named from DWARF when no symbol covers the address). This is
/// the order of pprof's `Location.line`.
public struct SymbolizedLocation: Hashable, Sendable {
    /// Innermost (leaf or inlined callee) first. Empty when neither the symbol table nor DWARF
    /// names a function at the address.
    public var frames: [SymbolizedFrame]
    /// True when the module file could be opened as ELF. False means every address of the module
    /// stays unsymbolized (missing file, not ELF), which callers report once per module.
    public var moduleFound: Bool

    public init(frames: [SymbolizedFrame], moduleFound: Bool) {
        self.frames = frames
        self.moduleFound = moduleFound
    }

    /// The result for a module that could not be opened.
    static let moduleMissing = SymbolizedLocation(frames: [], moduleFound: false)
    /// The result for an address no symbol covers, in a module that could be opened.
    static let noSymbol = SymbolizedLocation(frames: [], moduleFound: true)
}
