// SPDX-License-Identifier: Apache-2.0
import SFlameUnwind

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary file holding the vDSO image, so the symbolizer (which reads files) can name
/// `[vdso]` frames. Removed when released.
final class VDSOFile {
    let path: String

    private init(path: String) { self.path = path }

    deinit { unlink(path) }

    /// Points the recording's `[vdso]` module at a file with sflame's copy of the vDSO (the same
    /// image the kernel maps into every 64-bit process). Call after the last sample: unwinders
    /// read the vDSO from memory, not from this file. Nil when the recording has no vDSO frames
    /// or the file cannot be written; the frames then stay `[vdso]`.
    static func substitute(in state: inout RecordingState) -> VDSOFile? {
        guard let index = state.modules.firstIndex(where: { $0.path == ExecutableMapping.vdsoPath }),
            let bytes = VDSOImage.bytes()
        else { return nil }
        var template = Array("/tmp/sflame-vdso-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let file = VDSOFile(path: path)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                return nil
            }
            written += n
        }
        close(fd)
        state.modules[index].openPath = path
        return file
    }
}
