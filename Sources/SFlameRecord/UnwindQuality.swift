// SPDX-License-Identifier: Apache-2.0

/// How complete the recorded stacks are, so a bad flame graph is never silent.
///
/// A user stack is *complete* when its outermost frame is a known entry point (`_start`,
/// `__libc_start_main`, `__libc_start_call_main`, `start_thread`, `clone`, `clone3`, …);
/// otherwise it is *truncated*, and the module where unwinding stopped is blamed with the
/// likely reason.
public struct UnwindQuality: Hashable, Sendable {
    /// One module's share of the truncated stacks.
    public struct ModuleReport: Hashable, Sendable {
        /// The module's path, or `[unknown]`.
        public var module: String
        /// Samples whose unwinding stopped in this module.
        public var truncatedSamples: Int
        /// The likely reason, in words.
        public var reason: String
    }

    /// Samples with a user stack.
    public var userSamples = 0
    /// Samples whose stack is truncated at the root end.
    public var truncatedSamples = 0
    /// Samples with at least one `[unknown]` frame (no module, or no symbol).
    public var unknownFrameSamples = 0
    /// Samples that hit the kernel's callchain depth limit.
    public var callchainLimitSamples = 0
    /// Per-module breakdown, most truncations first.
    public var modules: [ModuleReport] = []

    public init() {}

    /// Share of user stacks that are truncated, 0…1.
    public var truncatedShare: Double { userSamples == 0 ? 0 : Double(truncatedSamples) / Double(userSamples) }
    /// Share of user stacks with an unknown frame, 0…1.
    public var unknownShare: Double { userSamples == 0 ? 0 : Double(unknownFrameSamples) / Double(userSamples) }

    /// Function names that mark the base of a complete user stack.
    public static let stackBases: Set<String> = [
        "_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_main_alias_2",
        "__libc_start_call_main", "start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal",
        "thread_start", "_dl_start", "_dl_start_user", "__GI___clone", "__GI___clone3",
    ]
}
