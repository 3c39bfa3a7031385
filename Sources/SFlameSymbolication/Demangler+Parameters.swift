// SPDX-License-Identifier: Apache-2.0
//
// Examples:
//
//   ns::f<int (*)(char)>(int) const                   → ns::f<int (*)(char)>
//   void ns::g<int>(int)                              → ns::g<int>            (return type of a template)
//   operator<<(std::ostream&, A const&)               → operator<<
//   (anonymous namespace)::h(int)                     → (anonymous namespace)::h
//   main::{lambda(int)#1}::operator()(int) const      → main::{lambda(int)#1}::operator()
//   f(int) [clone .cold]                              → f [clone .cold]
//   non-virtual thunk to B::f()                       → non-virtual thunk to B::f
//   vtable for A                                      → vtable for A            (not a function)

extension Demangler {
    /// The C++ name without its top-level parameter list, trailing qualifiers (`const`, `&`,
    /// `&&`, `volatile`, `noexcept`) and, for function templates, the leading return type.
    ///
    /// Shape: GCC clone suffixes (`[clone .cold]`) and thunk prefixes are kept. A string that is
    /// not a demangled function (no parameter list at the end) is returned unchanged. The scan
    /// matches the final parameter list by parentheses only, so `<` and `>` inside
    /// `operator<`, `operator<<` and `operator->` cannot unbalance it; `operator` tokens are
    /// skipped when looking for the return type.
    ///
    /// Complexity: O(n) in the length of the name.
    public static func withoutParameters(_ demangled: String) -> String {
        var body = Array(demangled.utf8)

        var prefix: [UInt8] = []
        for thunk in ["non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to "] {
            let bytes = Array(thunk.utf8)
            if body.starts(with: bytes) {
                prefix = bytes
                body.removeFirst(bytes.count)
                break
            }
        }
        var suffix: [UInt8] = []
        if body.last == UInt8(ascii: "]"), let clone = firstIndex(of: Array(" [clone ".utf8), in: body) {
            suffix = Array(body[clone...])
            body.removeSubrange(clone...)
        }
        stripTrailingQualifiers(&body)

        guard body.last == UInt8(ascii: ")"), let open = openingParenthesis(ofLastIn: body), open > 0 else {
            return demangled
        }
        var name = Array(body[..<open])
        if let space = returnTypeEnd(in: name) {
            name.removeSubrange(...space)
        }
        guard !name.isEmpty else { return demangled }
        return String(decoding: prefix + name + suffix, as: UTF8.self)
    }

    private static let trailingQualifiers: [[UInt8]] = [
        " const", " volatile", " &&", " &", " noexcept", " restrict", " transaction_safe",
    ].map { Array($0.utf8) }

    private static func stripTrailingQualifiers(_ body: inout [UInt8]) {
        var stripped = true
        while stripped && body.last != UInt8(ascii: ")") {
            stripped = false
            for qualifier in trailingQualifiers where body.count > qualifier.count && body.ends(with: qualifier) {
                body.removeLast(qualifier.count)
                stripped = true
                break
            }
        }
    }

    /// The index of the `(` that matches the final `)`, counting parentheses only.
    private static func openingParenthesis(ofLastIn body: [UInt8]) -> Int? {
        var depth = 0
        for index in body.indices.reversed() {
            switch body[index] {
            case UInt8(ascii: ")"): depth += 1
            case UInt8(ascii: "("):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    /// The index of the space that ends a function template's return type (`void ns::f<int>`),
    /// that is the last space outside all brackets before any `operator` token; nil if none.
    private static func returnTypeEnd(in name: [UInt8]) -> Int? {
        var depth = 0
        var lastSpace: Int?
        var index = 0
        while index < name.count {
            let byte = name[index]
            if byte == UInt8(ascii: "o"), let length = operatorTokenLength(in: name, at: index) {
                if depth == 0 { break }  // the rest names the operator (`operator new`, `operator int`)
                index += length
                continue
            }
            switch byte {
            case UInt8(ascii: "<"), UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: ">"), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            case UInt8(ascii: " ") where depth == 0: lastSpace = index
            default: break
            }
            index += 1
        }
        return lastSpace
    }

    private static let operatorWord = Array("operator".utf8)
    /// Operator spellings that contain brackets, longest first.
    private static let bracketOperators: [[UInt8]] = [
        "<<=", ">>=", "<=>", "->*", "<<", ">>", "<=", ">=", "->", "()", "[]", "<", ">",
    ].map { Array($0.utf8) }

    /// The length of `operator` plus a bracket-containing operator spelling at `index`, when an
    /// `operator` token starts there; nil otherwise.
    private static func operatorTokenLength(in name: [UInt8], at index: Int) -> Int? {
        guard name.count - index >= operatorWord.count,
            name[index..<(index + operatorWord.count)].elementsEqual(operatorWord),
            index == 0 || !isIdentifierByte(name[index - 1])
        else { return nil }
        let rest = name[(index + operatorWord.count)...]
        if let first = rest.first, isIdentifierByte(first) { return nil }  // `operator_x`, `operators`
        for spelling in bracketOperators where rest.starts(with: spelling) {
            return operatorWord.count + spelling.count
        }
        return operatorWord.count
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
