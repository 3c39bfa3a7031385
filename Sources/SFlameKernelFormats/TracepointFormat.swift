// SPDX-License-Identifier: Apache-2.0
//
// tracefs `events/GROUP/NAME/format` text → `TracepointFormat`. Example (abridged):
//
//   name: sched_switch
//   ID: 372
//   format:
//   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
//   	field:long prev_state;	offset:32;	size:8;	signed:1;
//
//   print fmt: "prev_state=%s%s", (REC->prev_state & …) ? __print_flags(…, "|", { 0x00000001, "S" }, …) : "R", …
//
//   ──► name "sched_switch", id 372, fields [common_type @0 (2 bytes), prev_state @32 (8 bytes, signed)],
//       printFlags [0x1: "S", …]

/// The layout of a tracepoint's raw record (PERF_SAMPLE_RAW bytes), as the kernel describes it.
///
/// Source: Documentation/trace/events.rst, "Event formats"; the `format` file of each event
/// under tracefs (`/sys/kernel/tracing/events/GROUP/NAME/format`).
public struct TracepointFormat: Hashable, Sendable {
    /// One field of the raw record.
    public struct Field: Hashable, Sendable {
        /// The C declaration without the name's array suffix, e.g. `long` or `char`.
        public var type: String
        public var name: String
        /// Byte offset from the start of the raw record.
        public var offset: Int
        /// Size in bytes (for arrays, of the whole array).
        public var size: Int
        public var isSigned: Bool
    }

    public var name: String
    /// The tracepoint id (perf_event_attr.config for PERF_TYPE_TRACEPOINT).
    public var id: UInt64
    public var fields: [Field]
    /// The `print fmt:` line, without the prefix.
    public var printFormat: String

    /// The field called `name`, or nil.
    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    /// Parses a `format` file.
    ///
    /// Throws: `KernelFormatsError(.malformedLine)` naming the line when a `field:` line lacks
    /// its offset or size, or when `name:`/`ID:` are missing.
    public static func parse(_ text: String) throws(KernelFormatsError) -> TracepointFormat {
        var name: String?
        var id: UInt64?
        var fields: [Field] = []
        var printFormat = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces
            if line.hasPrefix("name:") {
                name = String(line.dropFirst(5).trimmingSpaces)
            } else if line.hasPrefix("ID:") {
                id = UInt64(line.dropFirst(3).trimmingSpaces)
            } else if line.hasPrefix("print fmt:") {
                printFormat = String(line.dropFirst(10).trimmingSpaces)
            } else if line.hasPrefix("field:") {
                fields.append(try parseField(line, lineNumber: index + 1))
            }
        }
        guard let name else {
            throw KernelFormatsError(.malformedLine, "tracepoint format has no 'name:' line", line: 1)
        }
        guard let id else { throw KernelFormatsError(.malformedLine, "tracepoint format has no 'ID:' line", line: 2) }
        return TracepointFormat(name: name, id: id, fields: fields, printFormat: printFormat)
    }

    /// `field:long prev_state;	offset:32;	size:8;	signed:1;`
    private static func parseField(_ line: Substring, lineNumber: Int) throws(KernelFormatsError) -> Field {
        var declaration: Substring?
        var offset: Int?
        var size: Int?
        var isSigned = false
        for part in line.split(separator: ";") {
            let p = part.trimmingSpaces
            if p.hasPrefix("field:") {
                declaration = p.dropFirst(6).trimmingSpaces
            } else if p.hasPrefix("offset:") {
                offset = Int(p.dropFirst(7))
            } else if p.hasPrefix("size:") {
                size = Int(p.dropFirst(5))
            } else if p.hasPrefix("signed:") {
                isSigned = p.dropFirst(7) == "1"
            }
        }
        guard let declaration, let offset, let size, let nameStart = declaration.lastIndex(of: " ") else {
            throw KernelFormatsError(
                .malformedLine, "tracepoint field without declaration, offset or size: '\(line)'", line: lineNumber)
        }
        var fieldName = declaration[declaration.index(after: nameStart)...]
        if let bracket = fieldName.firstIndex(of: "[") { fieldName = fieldName[..<bracket] }
        return Field(
            type: String(declaration[..<nameStart].trimmingSpaces), name: String(fieldName), offset: offset, size: size,
            isSigned: isSigned)
    }

    /// The bit → text table of the first `__print_flags(…)` in the print format, in order:
    /// `{ 0x00000001, "S" }, { 0x00000002, "D" }` → `[(1, "S"), (2, "D")]`. Empty when there is none.
    public var printFlags: [(bit: UInt64, text: String)] {
        let marker = Array("__print_flags(".utf8)
        let bytes = Array(printFormat.utf8)
        guard bytes.count >= marker.count,
            let at = (0...(bytes.count - marker.count)).first(where: {
                bytes[$0..<$0 + marker.count].elementsEqual(marker)
            })
        else { return [] }
        var result: [(UInt64, String)] = []
        // Entries are `{ VALUE, "TEXT" }` at the top level of the call's arguments, up to the
        // parenthesis that closes __print_flags (the mask argument has parentheses of its own).
        var depth = 1
        var entryStart: Int?
        var isQuoted = false
        var index = at + marker.count
        while index < bytes.count && depth > 0 {
            if bytes[index] == UInt8(ascii: "\"") { isQuoted.toggle() }
            if isQuoted {
                index += 1
                continue
            }
            switch bytes[index] {
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "{") where depth == 1: entryStart = index + 1
            case UInt8(ascii: "}") where depth == 1:
                if let from = entryStart, let entry = Self.flagEntry(bytes[from..<index]) { result.append(entry) }
                entryStart = nil
            default: break
            }
            index += 1
        }
        return result
    }

    /// ` 0x00000001, "S" ` → (1, "S").
    private static func flagEntry(_ bytes: ArraySlice<UInt8>) -> (UInt64, String)? {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ",", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let value = parts[0].trimmingSpaces
        let text = parts[1].trimmingSpaces.filter { $0 != "\"" }
        let number = value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16) : UInt64(value)
        return number.map { ($0, String(text)) }
    }
}

/// Reads the state of the task leaving the CPU from `sched:sched_switch` raw records.
///
/// The offset and size of `prev_state` come from the tracepoint's format, and its letters from
/// the format's `__print_flags` table: 0 is `R` (runnable), a set bit is its letter, and the
/// bit above the table's highest (`TASK_REPORT_MAX`, printed as `+`) marks a preemption.
/// Source: include/trace/events/sched.h, `TRACE_EVENT(sched_switch, …)` and
/// `__trace_sched_switch_state()`.
public struct SchedSwitchFormat: Hashable, Sendable {
    public var stateOffset: Int
    public var stateSize: Int
    /// Bit → state letter, from the format's print flags.
    public var stateLetters: [UInt64: Character]
    /// The preemption bit (`TASK_REPORT_MAX`), or 0 when the table is empty.
    public var preemptBit: UInt64

    /// Reads the layout from a parsed `sched_switch` format.
    ///
    /// Throws: `KernelFormatsError(.malformedLine)` when the format has no usable `prev_state`.
    public init(_ format: TracepointFormat) throws(KernelFormatsError) {
        guard let field = format.field("prev_state"), [1, 2, 4, 8].contains(field.size) else {
            throw KernelFormatsError(
                .malformedLine, "the \(format.name) tracepoint format has no prev_state field of 1, 2, 4 or 8 bytes")
        }
        stateOffset = field.offset
        stateSize = field.size
        var letters: [UInt64: Character] = [:]
        var highest: UInt64 = 0
        for (bit, text) in format.printFlags where bit != 0 {
            if let letter = text.first { letters[bit] = letter }
            highest = max(highest, bit)
        }
        stateLetters = letters
        preemptBit = highest == 0 ? 0 : highest << 1
    }

    /// The state of the task switched out, from a sample's raw bytes; nil when the bytes are too
    /// short or no letter is known (then the state is unknown).
    public func state(raw: [UInt8]) -> ThreadStateReading? {
        guard raw.count >= stateOffset + stateSize, !stateLetters.isEmpty else { return nil }
        var value: UInt64 = 0
        for i in 0..<stateSize { value |= UInt64(raw[stateOffset + i]) << (8 * UInt64(i)) }
        if preemptBit != 0 && value & preemptBit != 0 { return ThreadStateReading(letter: "R", isPreempted: true) }
        let mask = preemptBit == 0 ? value : value & (preemptBit - 1)
        if mask == 0 { return ThreadStateReading(letter: "R", isPreempted: false) }
        // One bit is set in practice (task_state_index); take the lowest known one.
        for shift in 0..<64 {
            let bit = UInt64(1) << UInt64(shift)
            if mask & bit != 0, let letter = stateLetters[bit] {
                return ThreadStateReading(letter: letter, isPreempted: false)
            }
        }
        return nil
    }
}

/// A `prev_state` reading: the letter, and whether the switch was a preemption (`R+`).
public struct ThreadStateReading: Hashable, Sendable {
    public var letter: Character
    public var isPreempted: Bool
    public init(letter: Character, isPreempted: Bool) {
        self.letter = letter
        self.isPreempted = isPreempted
    }
}
