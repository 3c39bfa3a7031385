// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import SFlameSampling

@Suite struct RingBufferTests {
    /// A record of `size` bytes (multiple of 8) whose payload bytes are all `fill`.
    func record(size: Int, fill: UInt8) -> [UInt8] {
        var r = [UInt8](repeating: fill, count: size)
        r[0] = 9; r[1] = 0; r[2] = 0; r[3] = 0
        r[4] = 2; r[5] = 0
        r[6] = UInt8(size & 0xff); r[7] = UInt8(size >> 8)
        return r
    }

    /// Writes records into a ring of `size` bytes starting at absolute position `start`, the
    /// way the kernel does (modulo the size).
    func ring(size: Int, start: UInt64, records: [[UInt8]]) -> (data: [UInt8], head: UInt64) {
        var data = [UInt8](repeating: 0xEE, count: size)
        var position = start
        for r in records {
            for byte in r {
                data[Int(position % UInt64(size))] = byte
                position += 1
            }
        }
        return (data, position)
    }

    @Test func recordsAreReadInOrderIncludingOneSplitAcrossTheEnd() {
        let records = [record(size: 24, fill: 1), record(size: 40, fill: 2), record(size: 16, fill: 3)]
        // Start 96 bytes into a 128-byte ring: the second record wraps (its 8-byte header at the
        // end, 32 bytes at the start).
        let (data, head) = ring(size: 128, start: 96, records: records)
        var seen: [[UInt8]] = []
        var scratch: [UInt8] = []
        let (tail, count) = data.withUnsafeBytes { bytes in
            RingBuffer.read(data: bytes, head: head, tail: 96, scratch: &scratch) { seen.append(Array($0)) }
        }
        #expect(count == 3)
        #expect(tail == head)
        #expect(seen == records)
    }

    @Test func nothingPendingReadsNothing() {
        let data = [UInt8](repeating: 0, count: 64)
        var scratch: [UInt8] = []
        let (tail, count) = data.withUnsafeBytes { bytes in
            RingBuffer.read(data: bytes, head: 128, tail: 128, scratch: &scratch) { _ in Issue.record("no record expected") }
        }
        #expect(tail == 128 && count == 0)
    }

    @Test func corruptHeaderSkipsToHead() {
        var (data, head) = ring(size: 64, start: 0, records: [record(size: 16, fill: 1), record(size: 16, fill: 2)])
        data[16 + 6] = 0  // second record claims size 0
        data[16 + 7] = 0
        var scratch: [UInt8] = []
        var seen = 0
        let (tail, _) = data.withUnsafeBytes { bytes in
            RingBuffer.read(data: bytes, head: head, tail: 0, scratch: &scratch) { _ in seen += 1 }
        }
        #expect(seen == 1)
        #expect(tail == head)
    }

    @Test func recordLongerThanWhatIsPendingIsNotRead() {
        var (data, _) = ring(size: 64, start: 0, records: [record(size: 32, fill: 1)])
        data[6] = 48
        var scratch: [UInt8] = []
        let (tail, count) = data.withUnsafeBytes { bytes in
            RingBuffer.read(data: bytes, head: 32, tail: 0, scratch: &scratch) { _ in }
        }
        #expect(count == 0 && tail == 32)
    }
}
