// SPDX-License-Identifier: Apache-2.0

/// Which library unwinds a sample's stack copy with CFI.
public enum UnwinderKind: String, Hashable, Sendable, CaseIterable {
    /// elfutils libdw (`dwfl_getthread_frames`): `.eh_frame`, and `.debug_frame` from the file or
    /// its separate debug file.
    case libdw
    /// libunwind's remote API (`unw_init_remote`, `unw_step`) over `.eh_frame_hdr`.
    case libunwind
}
