// SPDX-License-Identifier: Apache-2.0

public import SFlameProfile

/// What the symbolizer found out about one module file: identity and which kinds of
/// symbolization and unwinding information it carries.
public struct ModuleInfo: Hashable, Sendable {
    /// The path the module was requested by.
    public var path: String
    /// The GNU build-id note of the file (`NT_GNU_BUILD_ID`), if it has one.
    public var buildID: BuildID?
    /// A `.symtab` is present, in the file itself or in its separate debug file. Without one only
    /// `.dynsym` (exported functions) can name addresses.
    public var hasSymbolTable: Bool
    /// DWARF `.debug_info` was found, in the file itself or in a separate debug file. Needed for
    /// file:line and inline frames.
    public var hasDebugInfo: Bool
    /// Call-frame information is present (`.eh_frame` in the file, or `.debug_frame` in the file
    /// or its debug file), which the DWARF unwinder needs.
    public var hasCFI: Bool
    /// Heuristic: the share (0...1) of sampled function entries that begin with the frame-pointer
    /// prologue `push %rbp; mov %rsp,%rbp` (`55 48 89 e5`, optionally after `endbr64`). Near 1
    /// means the module was built with frame pointers. Nil when no function could be sampled
    /// or the machine is not x86-64.
    ///
    /// Up to 200 `STT_FUNC` symbols with a size are sampled, evenly spread over the symbol table.
    public var framePointerShare: Double?
    /// The separate debug file that libdwfl used (found through `.gnu_debuglink`, a build-id path
    /// or debuginfod), or nil when the debug information, if any, is in the file itself.
    public var debugFilePath: String?

    public init(
        path: String, buildID: BuildID?, hasSymbolTable: Bool, hasDebugInfo: Bool, hasCFI: Bool,
        framePointerShare: Double?, debugFilePath: String?
    ) {
        self.path = path
        self.buildID = buildID
        self.hasSymbolTable = hasSymbolTable
        self.hasDebugInfo = hasDebugInfo
        self.hasCFI = hasCFI
        self.framePointerShare = framePointerShare
        self.debugFilePath = debugFilePath
    }
}
