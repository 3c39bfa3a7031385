// SPDX-License-Identifier: Apache-2.0

internal import CLibunwind

/// Module images by path, each mapped once per recording and shared by every process's
/// unwinder; a path that fails is remembered and not retried.
final class ModuleImageCache {
    private var images: [String: Result<ModuleImage, UnwindError>] = [:]

    func image(path: String) -> Result<ModuleImage, UnwindError> {
        if let cached = images[path] { return cached }
        let result: Result<ModuleImage, UnwindError>
        if path == ExecutableMapping.vdsoPath {
            result =
                Self.vdsoImage().map { .success($0) }
                ?? .failure(UnwindError(.cannotOpen, path: path, message: "this process has no vDSO"))
        } else {
            do throws(UnwindError) { result = .success(try ModuleImage(path: path)) } catch { result = .failure(error) }
        }
        images[path] = result
        return result
    }

    /// A copy of sflame's own vDSO. The kernel maps the same vDSO image into every 64-bit process,
    /// so its CFI unwinds the target's vDSO frames (clock_gettime, gettimeofday) too.
    static func vdsoImage() -> ModuleImage? {
        let address = sflame_vdso_address()
        guard address != 0, let header = UnsafeRawPointer(bitPattern: UInt(address)) else { return nil }
        let size = elfImageSize(header)
        guard size > 0 else { return nil }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        copy.copyMemory(from: header, byteCount: size)
        return try? ModuleImage(
            path: ExecutableMapping.vdsoPath, bytes: UnsafeRawBufferPointer(start: copy, count: size),
            unmap: { copy.deallocate() })
    }

    /// The extent of an ELF image in memory: up to the end of its section headers or of its last
    /// segment's file bytes, whichever is later.
    private static func elfImageSize(_ header: UnsafeRawPointer) -> Int {
        func u16(_ o: Int) -> UInt16 { header.loadUnaligned(fromByteOffset: o, as: UInt16.self) }
        func u64(_ o: Int) -> UInt64 { header.loadUnaligned(fromByteOffset: o, as: UInt64.self) }
        guard header.load(as: UInt32.self) == 0x464c_457f else { return 0 }
        var end = u64(40) + UInt64(u16(58)) * UInt64(u16(60))
        let phoff = Int(u64(32))
        for i in 0..<Int(u16(56)) {
            let o = phoff + i * Int(u16(54))
            if header.loadUnaligned(fromByteOffset: o, as: UInt32.self) == 1 {
                end = max(end, u64(o + 8) + u64(o + 32))
            }
        }
        return end > 1 << 20 ? 0 : Int(end)
    }
}
