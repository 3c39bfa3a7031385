// SPDX-License-Identifier: Apache-2.0

/// One symbolized frame. A program counter can yield several: the chain of functions inlined
/// at that address, see ``SymbolizedLocation/frames``.
public struct SymbolizedFrame: Hashable, Sendable {
    /// The display name: demangled, and for C++ without the parameter list and trailing
    /// qualifiers (``Demangler/displayName(_:)``, the flame graph convention).
    public var name: String
    /// The name as stored in the symbol table or DWARF (mangled where the language mangles).
    public var systemName: String
    /// The source file, when DWARF line information covers the address. An absolute path when
    /// the compiler recorded one.
    public var file: String?
    /// The 1-based source line in ``file``. For an inlined frame's caller this is the line of
    /// the call site (DW_AT_call_line), not the line of the address.
    public var line: Int?
    /// True for every frame but the outermost one of an inline chain.
    public var isInlined: Bool

    public init(name: String, systemName: String, file: String? = nil, line: Int? = nil, isInlined: Bool = false) {
        self.name = name
        self.systemName = systemName
        self.file = file
        self.line = line
        self.isInlined = isInlined
    }
}
