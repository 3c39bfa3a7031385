// SPDX-License-Identifier: Apache-2.0

/// The kernel's vDSO as sflame's own process sees it. The kernel maps the same image into every
/// 64-bit process, so it stands in for a target's `[vdso]` mapping, which has no file: the
/// unwinders read its CFI from it, and written to a file it can be symbolized
/// (`__vdso_clock_gettime`).
public enum VDSOImage {
    /// The image's bytes (its ELF headers, code, symbols and unwind tables), nil when this
    /// process has no vDSO.
    public static func bytes() -> [UInt8]? {
        guard let image = ModuleImageCache.vdsoImage() else { return nil }
        return Array(image.bytes)
    }
}
