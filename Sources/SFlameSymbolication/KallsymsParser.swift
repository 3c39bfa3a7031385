// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
import Glibc
#endif

/// The byte-level pass over /proc/kallsyms behind ``KernelSymbolTable``: no per-line `String`s,
/// names copied into one byte buffer, and only direct pointer reads per byte (generic collection
/// algorithms are not specialized in debug builds and made this pass 20 times slower there).
///
/// Line shape: `ADDRESS TYPE NAME[\t[MODULE]]`, ADDRESS in hex without `0x`.
enum KallsymsParser {
    struct Result {
        var entries: [KernelSymbolTable.Entry] = []
        var names: [UInt8] = []
        var modules: [String] = []
        var sawLines = false
        var sawNonZeroAddress = false
    }

    static func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Result {
        var result = Result()
        guard let bytes = buffer.baseAddress, buffer.count > 0 else { return result }
        result.entries.reserveCapacity(buffer.count / 40)
        result.names.reserveCapacity(buffer.count / 2)
        var lastModule: (start: Int, length: Int, index: UInt32)?
        var position = 0
        let end = buffer.count

        while position < end {
            let lineStart = position
            if let newline = memchr(bytes + position, Int32(UInt8(ascii: "\n")), end - position) {
                position = bytes.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            } else {
                position = end
            }
            let lineEnd = position
            position += 1
            guard let line = parseLine(bytes, lineStart, lineEnd) else { continue }
            result.sawLines = true
            if line.address != 0 { result.sawNonZeroAddress = true }
            guard let rank = rank(type: line.type, name: bytes + line.nameStart, length: line.nameLength) else {
                continue
            }

            var module: UInt32 = 0
            if line.moduleLength > 0 {
                if let last = lastModule, last.length == line.moduleLength,
                    memcmp(bytes + last.start, bytes + line.moduleStart, line.moduleLength) == 0
                {
                    module = last.index
                } else {
                    let name = UnsafeBufferPointer(start: bytes + line.moduleStart, count: line.moduleLength)
                    result.modules.append(String(decoding: name, as: UTF8.self))
                    module = UInt32(result.modules.count)
                    lastModule = (line.moduleStart, line.moduleLength, module)
                }
            }
            let nameStart = UInt32(result.names.count)
            result.names.append(contentsOf: UnsafeBufferPointer(start: bytes + line.nameStart, count: line.nameLength))
            var underscores: UInt8 = 0
            while Int(underscores) < min(line.nameLength, 100),
                bytes[line.nameStart + Int(underscores)] == UInt8(ascii: "_")
            {
                underscores += 1
            }
            let isLocal = line.type >= UInt8(ascii: "a")
            result.entries.append(
                KernelSymbolTable.Entry(
                    address: line.address, nameStart: nameStart, nameLength: UInt32(line.nameLength),
                    module: module, rank: rank, tieBreak: underscores * 2 + (isLocal ? 1 : 0)
                ))
        }
        return result
    }

    private struct Line {
        var address: UInt64
        var type: UInt8
        var nameStart: Int
        var nameLength: Int
        var moduleStart = 0
        var moduleLength = 0
    }

    private static func parseLine(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Line? {
        var position = start
        var address: UInt64 = 0
        var digits = 0
        while position < end, let value = hexValue(bytes[position]) {
            guard digits < 16 else { return nil }
            address = address << 4 | UInt64(value)
            digits += 1
            position += 1
        }
        // "ADDR T N": a space, the type letter, a space, a name of at least one byte.
        guard digits > 0, end - position >= 4, bytes[position] == UInt8(ascii: " "),
            bytes[position + 2] == UInt8(ascii: " ")
        else { return nil }
        let type = bytes[position + 1]
        let nameStart = position + 3
        var nameEnd = nameStart
        while nameEnd < end, bytes[nameEnd] != UInt8(ascii: "\t"), bytes[nameEnd] != UInt8(ascii: " "),
            bytes[nameEnd] != UInt8(ascii: "\r")
        {
            nameEnd += 1
        }
        guard nameEnd > nameStart else { return nil }
        var line = Line(address: address, type: type, nameStart: nameStart, nameLength: nameEnd - nameStart)
        if nameEnd < end, bytes[nameEnd] == UInt8(ascii: "\t") {
            var moduleEnd = end
            while moduleEnd > nameEnd,
                bytes[moduleEnd - 1] == UInt8(ascii: "\r") || bytes[moduleEnd - 1] == UInt8(ascii: " ")
            {
                moduleEnd -= 1
            }
            if moduleEnd - nameEnd >= 3, bytes[nameEnd + 1] == UInt8(ascii: "["),
                bytes[moduleEnd - 1] == UInt8(ascii: "]")
            {
                line.moduleStart = nameEnd + 2
                line.moduleLength = moduleEnd - 1 - line.moduleStart
            }
        }
        return line
    }

    /// How a symbol takes part in lookups; nil for symbols that do not (absolute ones).
    private static func rank(type: UInt8, name: UnsafePointer<UInt8>, length: Int) -> KernelSymbolTable.Rank? {
        switch type {
        case UInt8(ascii: "a"), UInt8(ascii: "A"):
            return nil
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "w"), UInt8(ascii: "W"):
            // Every marker starts with an underscore; most function names do not.
            guard name[0] == UInt8(ascii: "_") else { return .function }
            if isEndMarker(name, length) { return .boundary }
            if isStartMarker(name, length) { return .startMarker }
            return .function
        default:
            return .boundary
        }
    }

    /// `_etext`, `_einittext`, `__*_text_end`: the end of a text section.
    private static func isEndMarker(_ name: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        equals(name, length, "_etext") || equals(name, length, "_einittext")
            || (hasPrefix(name, length, "__") && hasSuffix(name, length, "_text_end"))
    }

    /// `_stext`, `_text`, `_sinittext`, `__pi__text`, `__*_text_start`: the start of a text section.
    private static func isStartMarker(_ name: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        equals(name, length, "_stext") || equals(name, length, "_text") || equals(name, length, "_sinittext")
            || equals(name, length, "__pi__text")
            || (hasPrefix(name, length, "__") && hasSuffix(name, length, "_text_start"))
    }

    private static func equals(_ name: UnsafePointer<UInt8>, _ length: Int, _ literal: StaticString) -> Bool {
        length == literal.utf8CodeUnitCount && memcmp(name, literal.utf8Start, length) == 0
    }

    private static func hasPrefix(_ name: UnsafePointer<UInt8>, _ length: Int, _ literal: StaticString) -> Bool {
        length >= literal.utf8CodeUnitCount && memcmp(name, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    private static func hasSuffix(_ name: UnsafePointer<UInt8>, _ length: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        return length >= count && memcmp(name + (length - count), literal.utf8Start, count) == 0
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
