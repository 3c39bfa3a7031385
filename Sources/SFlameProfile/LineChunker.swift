// SPDX-License-Identifier: Apache-2.0
//
// Splits text that arrives in chunks (a file read 1 MiB at a time) into lines, so the readers
// of large text inputs never hold the whole input in memory:
//
//   chunk 1: "main;a 1\nmain;"   ──►  line "main;a 1"      carry "main;"
//   chunk 2: "b 2\n"             ──►  line "main;b 2"      carry ""
//
// Lines end at "\n"; a "\r" before it is removed. The last line needs no "\n".

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Line splitting over chunks, for the streaming text readers.
struct LineChunker {
    /// The unfinished line at the end of the previous chunk.
    private var carry: [UInt8] = []
    /// 1-based number of the last line handed out.
    private(set) var lineNumber = 0

    /// Calls `body` with every complete line in `chunk` (and the carried-over start of the first)
    /// and its 1-based number; `body` returns false to stop.
    ///
    /// The line's memory is valid only during the call.
    mutating func lines(in chunk: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, _ lineNumber: Int) -> Bool) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        if !carry.isEmpty {
            guard let nl = Self.newline(in: chunk, from: 0) else {
                carry.append(contentsOf: chunk)
                return
            }
            var line = carry
            carry = []
            line.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<nl]))
            lineNumber += 1
            let goOn = line.withUnsafeBufferPointer { body(Self.trimmingCR($0), lineNumber) }
            start = nl + 1
            if !goOn { return }
        }
        while start < chunk.count, let nl = Self.newline(in: chunk, from: start) {
            lineNumber += 1
            let line = UnsafeBufferPointer(start: base + start, count: nl - start)
            start = nl + 1
            if !body(Self.trimmingCR(line), lineNumber) { return }
        }
        if start < chunk.count { carry.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start...])) }
    }

    /// Hands out the last line when the input did not end in a newline.
    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>, _ lineNumber: Int) -> Bool) {
        guard !carry.isEmpty else { return }
        let line = carry
        carry = []
        lineNumber += 1
        _ = line.withUnsafeBufferPointer { body(Self.trimmingCR($0), lineNumber) }
    }

    @inline(__always)
    private static func newline(in chunk: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let base = chunk.baseAddress!
        guard let p = memchr(base + start, 0x0A, chunk.count - start) else { return nil }
        return UnsafeRawPointer(p) - UnsafeRawPointer(base)
    }

    @inline(__always)
    private static func trimmingCR(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if line.count > 0 && line[line.count - 1] == 0x0D {
            return UnsafeBufferPointer(start: line.baseAddress, count: line.count - 1)
        }
        return line
    }
}
