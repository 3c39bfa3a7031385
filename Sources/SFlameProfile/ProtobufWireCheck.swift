// SPDX-License-Identifier: Apache-2.0
//
// Finds where protobuf bytes stop being a valid profile.proto message, so a broken pprof file
// gets an error with a byte offset (swift-protobuf says what is wrong, not where):
//
//   0a 04 08 01 10 02 12 ff     ──►  offset 7: "field 2 (length-delimited) runs past the end"
//
// It walks the wire format (varints, lengths, field numbers and wire types), descends into the
// fields that profile.proto declares as messages, and checks that the string table holds UTF-8.
//
// Source: https://protobuf.dev/programming-guides/encoding/

enum ProtobufWireCheck {
    struct Problem: Equatable {
        var offset: Int
        var message: String
    }

    /// Sub-message fields per message kind, from profile.proto.
    private enum Kind {
        case profile, sample, location, other

        func child(_ field: UInt64) -> Kind? {
            switch (self, field) {
            case (.profile, 1), (.profile, 3), (.profile, 5), (.profile, 11): return .other
            case (.profile, 2): return .sample
            case (.profile, 4): return .location
            case (.sample, 3), (.location, 4): return .other
            default: return nil
            }
        }
    }

    /// The first problem in `bytes` read as a profile.proto `Profile`, or nil when the wire
    /// format is sound.
    static func firstProblem(in bytes: [UInt8]) -> Problem? {
        bytes.withUnsafeBufferPointer { check($0, range: 0..<$0.count, kind: .profile, depth: 0) }
    }

    /// Whether `prefix` can be the start of a profile.proto `Profile` (or, when `isWhole`, all
    /// of one): its top-level fields have profile.proto's numbers (1–15) and wire types
    /// (varint, length-delimited), and only the last may run past the end of a cut prefix.
    /// Text with a stray control byte fails this within its first bytes.
    static func couldBeProfile(_ prefix: [UInt8], isWhole: Bool) -> Bool {
        if isWhole && firstProblem(in: prefix) != nil { return false }
        return prefix.withUnsafeBufferPointer { b in
            let end = b.count
            var i = 0
            while i < end {
                guard let tag = varint(b, &i, end: end) else { return !isWhole && i == end }
                guard (1...15).contains(tag >> 3) else { return false }
                switch tag & 7 {
                case 0:
                    guard varint(b, &i, end: end) != nil else { return !isWhole && i == end }
                case 2:
                    guard let length = varint(b, &i, end: end) else { return !isWhole && i == end }
                    guard length <= UInt64(end - i) else { return !isWhole }
                    i += Int(length)
                default:
                    return false
                }
            }
            return !prefix.isEmpty
        }
    }

    private static func check(_ b: UnsafeBufferPointer<UInt8>, range: Range<Int>, kind: Kind, depth: Int) -> Problem? {
        var i = range.lowerBound
        while i < range.upperBound {
            let fieldStart = i
            guard let tag = varint(b, &i, end: range.upperBound) else {
                return Problem(offset: fieldStart, message: "a field's tag is cut short or longer than 10 bytes")
            }
            let field = tag >> 3
            let wire = tag & 7
            if field == 0 || field > 536_870_911 {
                return Problem(offset: fieldStart, message: "invalid field number \(field)")
            }
            switch wire {
            case 0:
                guard varint(b, &i, end: range.upperBound) != nil else {
                    return Problem(offset: fieldStart, message: "field \(field) (varint) is cut short")
                }
            case 1, 5:
                let size = wire == 1 ? 8 : 4
                guard range.upperBound - i >= size else {
                    return Problem(offset: fieldStart, message: "field \(field) (fixed\(size * 8)) is cut short")
                }
                i += size
            case 2:
                guard let length = varint(b, &i, end: range.upperBound) else {
                    return Problem(offset: fieldStart, message: "field \(field)'s length is cut short")
                }
                guard length <= UInt64(range.upperBound - i) else {
                    return Problem(
                        offset: fieldStart,
                        message: "field \(field) (length-delimited, \(length) bytes) runs past the end of its message")
                }
                let body = i..<(i + Int(length))
                if let child = kind.child(field) {
                    if depth > 8 { return Problem(offset: fieldStart, message: "messages nested too deeply") }
                    if let problem = check(b, range: body, kind: child, depth: depth + 1) { return problem }
                } else if kind == .profile && field == 6 {
                    if String(validating: UnsafeBufferPointer(rebasing: b[body]), as: UTF8.self) == nil {
                        return Problem(offset: body.lowerBound, message: "a string table entry is not valid UTF-8")
                    }
                }
                i = body.upperBound
            default:
                return Problem(offset: fieldStart, message: "field \(field) has the unsupported wire type \(wire)")
            }
        }
        return nil
    }

    private static func varint(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while i < end && shift < 70 {
            let byte = b[i]
            i += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
