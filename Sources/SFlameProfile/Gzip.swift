// SPDX-License-Identifier: Apache-2.0
//
// gzip, as pprof files are stored (`.pb.gz`), through zlib:
//
//   Gzip.compress(bytes)      ──►  1f 8b 08 …  (RFC 1952 member: header, deflate data, CRC-32, size)
//   Gzip.decompress(gzipped)  ──►  bytes       (also zlib-wrapped data and concatenated members)

internal import CZlib

/// gzip compression and decompression over zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number (1f 8b).
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var i = bytes.makeIterator()
        return i.next() == 0x1F && i.next() == 0x8B
    }

    /// `bytes` as one gzip member.
    ///
    /// - Parameter level: zlib's compression level, 1 (fast) to 9 (small); default 6.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = ZStream()
        // Only invalid arguments (never passed here) or no memory make deflateInit2 fail.
        precondition(sflame_deflate_init_gzip(&stream.z, level) == Z_OK, "deflateInit2 failed")
        stream.kind = .deflate
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 4 + 64)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = bytes
        input.withUnsafeMutableBufferPointer { input in
            stream.z.next_in = input.baseAddress
            stream.z.avail_in = UInt32(input.count)
            var status: Int32 = Z_OK
            while status != Z_STREAM_END {
                chunk.withUnsafeMutableBufferPointer { c in
                    stream.z.next_out = c.baseAddress
                    stream.z.avail_out = UInt32(c.count)
                    status = deflate(&stream.z, Z_FINISH)
                }
                precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR, "deflate: \(status)")
                out.append(contentsOf: chunk[0..<(chunk.count - Int(stream.z.avail_out))])
            }
        }
        return out
    }

    /// The data of a gzip file (every member, when several are concatenated), or of a zlib stream.
    ///
    /// - Parameter maxBytes: give up (an error) beyond this many decompressed bytes; default 4 GiB.
    /// - Throws: `ProfileError(.malformedData)` with zlib's message and the offset in `bytes`
    ///   where decompression stopped: a corrupt stream, a wrong checksum, or a cut-off file.
    public static func decompress(_ bytes: [UInt8], maxBytes: Int = 4 << 30) throws(ProfileError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(bytes.count * 4, maxBytes))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        while offset < bytes.count {
            let stream = ZStream()
            guard sflame_inflate_init_auto(&stream.z) == Z_OK else {
                throw ProfileError(.malformedData, "zlib could not start decompressing (out of memory)")
            }
            stream.kind = .inflate
            var status: Int32 = Z_OK
            var failure: ProfileError?
            bytes.withUnsafeBufferPointer { input in
                stream.z.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                stream.z.avail_in = UInt32(clamping: input.count - offset)
                while status != Z_STREAM_END {
                    let before = stream.z.avail_in
                    chunk.withUnsafeMutableBufferPointer { c in
                        stream.z.next_out = c.baseAddress
                        stream.z.avail_out = UInt32(c.count)
                        status = inflate(&stream.z, Z_NO_FLUSH)
                    }
                    let produced = chunk.count - Int(stream.z.avail_out)
                    out.append(contentsOf: chunk[0..<produced])
                    let position = offset + Int(stream.z.total_in)
                    if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced > 0) {
                        let reason = stream.z.msg.map { String(cString: $0) } ?? "error \(status)"
                        failure = ProfileError(
                            .malformedData,
                            status == Z_BUF_ERROR ? "the gzip data is cut short" : "gzip data is corrupt: \(reason)",
                            offset: position)
                        return
                    }
                    if out.count > maxBytes {
                        failure = ProfileError(.malformedData, "decompresses to more than \(maxBytes) bytes", offset: position)
                        return
                    }
                    if status == Z_OK && produced == 0 && before == stream.z.avail_in && stream.z.avail_in == 0 {
                        failure = ProfileError(.malformedData, "the gzip data is cut short", offset: position)
                        return
                    }
                }
            }
            if let failure { throw failure }
            offset += Int(stream.z.total_in)
            // Concatenated members (gzip -c a b > ab.gz) continue; trailing zero padding ends it.
            if offset < bytes.count && !isGzip(bytes[offset...]) { break }
        }
        return out
    }
}

/// Owns one z_stream and ends it (deflateEnd or inflateEnd) when released.
private final class ZStream {
    enum Kind { case none, deflate, inflate }
    var z = z_stream()
    var kind = Kind.none

    deinit {
        switch kind {
        case .deflate: deflateEnd(&z)
        case .inflate: inflateEnd(&z)
        case .none: break
        }
    }
}
