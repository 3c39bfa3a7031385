// SPDX-License-Identifier: Apache-2.0

/// How a ``Symbolizer`` looks for debug information and how much it resolves per address.
public struct SymbolizerOptions: Hashable, Sendable {
    /// Extra absolute directories searched for separate debug files, before `/usr/lib/debug`.
    /// Default: none.
    ///
    /// Each directory is searched the way libdwfl searches `/usr/lib/debug`: by build-id as
    /// `DIR/.build-id/xx/rest.debug`, and by the `.gnu_debuglink` name as `DIR/<module's
    /// directory>/NAME` and `DIR/NAME`. The standard places are always searched too: the module's
    /// own directory, its `.debug` subdirectory and `/usr/lib/debug`; and debuginfod when
    /// `DEBUGINFOD_URLS` is set in the environment. Entries that contain `:` cannot be expressed
    /// in libdwfl's search path and are ignored.
    ///
    /// Source: elfutils libdwfl.h, `dwfl_standard_find_debuginfo`.
    public var debugInfoPaths: [String]
    /// Expand inline frames from DWARF (`DW_TAG_inlined_subroutine`). When false, each address
    /// yields only its outermost function. Default: true.
    public var inlineFrames: Bool
    /// Resolve source file and line from DWARF line tables. Default: true.
    public var lineNumbers: Bool

    public init(debugInfoPaths: [String] = [], inlineFrames: Bool = true, lineNumbers: Bool = true) {
        self.debugInfoPaths = debugInfoPaths
        self.inlineFrames = inlineFrames
        self.lineNumbers = lineNumbers
    }
}
