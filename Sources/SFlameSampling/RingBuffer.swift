// SPDX-License-Identifier: Apache-2.0
internal import CShims
import SFlameKernelFormats

#if canImport(Glibc)
import Glibc
#endif

/// The mmap'ed ring buffer of one perf event: a control page followed by 2^n data pages.
///
/// The kernel writes records and advances `data_head`; we read up to it and then advance
/// `data_tail` so it may reuse the space. Source: perf_event_open(2), "MMAP layout";
/// include/uapi/linux/perf_event.h `struct perf_event_mmap_page`.
public final class RingBuffer {
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private let dataOffset: Int
    /// Size of the data area in bytes (a power of two).
    public let dataSize: Int
    private var tail: UInt64 = 0
    /// A record that straddles the end of the data area is copied here to be read in one piece;
    /// every other record is read in place.
    private var scratch: [UInt8] = []

    /// Maps the buffer of `event`. The corresponding system call is `mmap`.
    ///
    /// - Parameter dataPages: data pages, a power of two.
    /// - Throws: `SamplingError` for EPERM/ENOMEM with kernel.perf_event_mlock_kb in the advice.
    public init(event: PerfEvent, dataPages: Int, sysctl: Sysctl = .system) throws(SamplingError) {
        precondition(dataPages > 0 && dataPages & (dataPages - 1) == 0, "data pages must be a power of two")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = page * (dataPages + 1)
        let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, event.fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            let code = errno
            let mlock = sysctl.perfEventMlockKB.map(String.init) ?? "unknown"
            throw SamplingError(
                code == EPERM || code == ENOMEM ? .permissionDenied : .systemCall,
                operation: "mmap of a \(length / 1024) KiB perf ring buffer (\(event.label))", errno: code,
                explanation: "kernel.perf_event_mlock_kb is \(mlock) KiB per user. Run as root, raise the setting, or "
                    + "lower the buffer size.")
        }
        self.base = pointer
        self.mappedBytes = length
        // data_offset/data_size are filled in by kernels since 4.1; fall back to the classic layout.
        let offset = Int(sflame_ring_data_offset(pointer))
        let size = Int(sflame_ring_data_size(pointer))
        self.dataOffset = offset == 0 ? page : offset
        self.dataSize = size == 0 ? page * dataPages : size
        self.tail = 0
    }

    deinit { munmap(base, mappedBytes) }

    /// Bytes written by the kernel and not yet read.
    public var pendingBytes: Int { Int(sflame_ring_load_head(base) &- tail) }

    /// Hands every complete record between our tail and the kernel's head to `body`, then
    /// releases the space. Returns the number of records read.
    ///
    /// The bytes passed to `body` are valid only during the call.
    @discardableResult
    public func drain(_ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        // Acquire: the record bytes the kernel wrote before moving head are visible after this load.
        let head = sflame_ring_load_head(base)
        let data = UnsafeRawBufferPointer(start: UnsafeRawPointer(base + dataOffset), count: dataSize)
        let (newTail, count) = Self.read(data: data, head: head, tail: tail, scratch: &scratch, body)
        tail = newTail
        // Release: our reads of the records above complete before the kernel may overwrite them.
        sflame_ring_store_tail(base, tail)
        return count
    }

    /// Appends the bytes of every complete record between our tail and the kernel's head to
    /// `bytes` (in ring order, unwrapped), then releases the space. The kernel moves the head only
    /// past complete records, so the copy holds whole records; `walkRecords` reads them.
    public func copyPending(into bytes: inout [UInt8]) {
        let head = sflame_ring_load_head(base)
        guard head > tail else { return }
        let data = UnsafeRawBufferPointer(start: UnsafeRawPointer(base + dataOffset), count: dataSize)
        let count = Int(min(head - tail, UInt64(dataSize)))
        let offset = Int(tail & UInt64(dataSize - 1))
        bytes.reserveCapacity(bytes.count + count)
        if offset + count <= dataSize {
            bytes.append(contentsOf: data[offset..<offset + count])
        } else {
            bytes.append(contentsOf: data[offset..<dataSize])
            bytes.append(contentsOf: data[0..<count - (dataSize - offset)])
        }
        tail = head
        sflame_ring_store_tail(base, tail)
    }

    /// Hands every record of `bytes` (records back to back, as `copyPending` leaves them) to
    /// `body`; returns the number of records. A header whose size is smaller than a header or
    /// runs past the end means corruption: the rest is skipped.
    public static func walkRecords(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        var offset = 0
        var count = 0
        while offset + PerfRecordDecoder.headerSize <= bytes.count {
            let recordSize = Int(bytes.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self))
            if recordSize < PerfRecordDecoder.headerSize || recordSize > bytes.count - offset { break }
            body(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + recordSize]))
            offset += recordSize
            count += 1
        }
        return count
    }

    /// Walks the records between `tail` and `head` of a ring's data area (a power-of-two
    /// size); returns the new tail and the number of records. A record that straddles the
    /// end of the area is copied into `scratch` and handed over in one piece.
    ///
    /// A header whose size is smaller than a header or runs past `head` means corruption:
    /// everything up to `head` is skipped.
    static func read(
        data: UnsafeRawBufferPointer, head: UInt64, tail startTail: UInt64, scratch: inout [UInt8],
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> (tail: UInt64, count: Int) {
        let size = data.count
        let mask = UInt64(size - 1)
        var tail = startTail
        var count = 0
        while tail < head {
            let offset = Int(tail & mask)
            // Headers never straddle the end: records are 8-byte aligned and the data size is a
            // multiple of 8. Source: perf_event_open(2), "data_head".
            let recordSize = Int(data.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self))
            if recordSize < PerfRecordDecoder.headerSize || UInt64(recordSize) > head - tail {
                return (head, count)
            }
            if offset + recordSize <= size {
                body(UnsafeRawBufferPointer(rebasing: data[offset..<offset + recordSize]))
            } else {
                let first = size - offset
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: data[offset..<size])
                scratch.append(contentsOf: data[0..<recordSize - first])
                scratch.withUnsafeBytes { body($0) }
            }
            tail += UInt64(recordSize)
            count += 1
        }
        return (tail, count)
    }
}
