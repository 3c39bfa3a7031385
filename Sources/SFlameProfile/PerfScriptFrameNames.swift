// SPDX-License-Identifier: Apache-2.0
//
// How a `perf script` frame becomes folded frame names, following stackcollapse-perf.pl:
//
//   7f0a1b hot_a+0x34 (/tmp/two-hot)                     ──►  hot_a
//   ffffffff8103ce3b native_safe_halt ([kernel.kallsyms]) ──►  native_safe_halt      (--kernel: native_safe_halt_[k])
//   7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)
//                                                         ──►  java/io/PrintStream:::print   (comm java…; --jit: …_[j])
//   4005d0 [unknown] (/usr/lib/libfoo.so)                 ──►  [libfoo.so]           (--addrs: [libfoo.so <4005d0>])
//   4005d0 [unknown] ([unknown])                          ──►  [unknown]             (--addrs: [unknown <4005d0>])
//   4005d0 foo(int, char const*) (/bin/x)                 ──►  foo
//   4005d0 net/http.(*Client).Do (/bin/x)                 ──►  net/http.(*Client).Do (a Go method keeps its parentheses)
//   4005d0 a->b (/bin/x)                                  ──►  a;b_[i]               (b inlined into a)
//
// Two differences, on purpose: the parameter list is cut at the first "(" outside template
// arguments, so `std::function<void (int)>::operator()(int)` becomes
// `std::function<void (int)>::operator()` (stackcollapse-perf.pl cuts it to `std::function<void `);
// and `(anonymous namespace)::run(int)` is kept as `(anonymous namespace)::run` (the Perl
// script drops every symbol that starts with "(").

/// Options of `sflame collapse` for `perf script` input; the defaults give stackcollapse-perf.pl's
/// output.
public struct PerfScriptFoldOptions: Sendable, Hashable {
    /// How each sample is weighed.
    public enum Weight: String, Sendable, Hashable, CaseIterable {
        /// The sample's period when perf printed one, else 1 (stackcollapse-perf.pl's rule).
        case period
        /// 1 per sample.
        case samples
    }

    /// Root frame `comm-PID` (`comm-?` when perf printed no PID). Default false.
    public var includePID = false
    /// Root frame `comm-PID/TID`. Default false.
    public var includeTID = false
    /// Suffix kernel frames (module `[…]` or `…vmlinux`) with `_[k]`. Default false.
    public var annotateKernel = false
    /// Suffix JIT frames (module `/tmp/perf-PID.map`) with `_[j]`. Default false.
    public var annotateJIT = false
    /// Suffix frames perf marked `(inlined)` with `_[i]`. Default false.
    public var annotateInlined = false
    /// Name frames without a symbol `[module <ADDRESS>]` instead of `[module]`. Default false.
    public var includeAddresses = false
    /// Keep only samples of this event; nil keeps the first event in the input. Default nil.
    public var event: String?
    /// Default `.period`.
    public var weight: Weight = .period

    public init(
        includePID: Bool = false, includeTID: Bool = false, annotateKernel: Bool = false, annotateJIT: Bool = false,
        annotateInlined: Bool = false, includeAddresses: Bool = false, event: String? = nil, weight: Weight = .period
    ) {
        self.includePID = includePID
        self.includeTID = includeTID
        self.annotateKernel = annotateKernel
        self.annotateJIT = annotateJIT
        self.annotateInlined = annotateInlined
        self.includeAddresses = includeAddresses
        self.event = event
        self.weight = weight
    }
}

/// The frame-name rules.
enum PerfScriptFrameNames {
    /// The symbol without a trailing `+0xOFFSET` (lowercase hex, as perf prints it).
    static func strippingOffset(_ symbol: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var i = symbol.count
        while i > 0 && isLowerHex(symbol[i - 1]) { i -= 1 }
        guard i < symbol.count, i >= 3, symbol[i - 1] == 0x78, symbol[i - 2] == 0x30, symbol[i - 3] == 0x2B else {
            return symbol
        }
        return UnsafeBufferPointer(start: symbol.baseAddress, count: i - 3)
    }

    /// The folded names of one frame, root first (more than one for `a->b` inline chains), or
    /// none for frames stackcollapse-perf.pl skips (symbols starting with `(`).
    ///
    /// - Parameters:
    ///   - symbol: the symbol with its offset already stripped.
    ///   - isJava: the sample's comm starts with "java" (Java signatures are condensed).
    ///   - annotate: add the `_[i]`, `_[k]`, `_[j]` suffixes (false for names stored in a
    ///     `Profile`, where the structure says what the suffixes would).
    static func names(
        symbol: UnsafeBufferPointer<UInt8>, module: UnsafeBufferPointer<UInt8>?, address: UnsafeBufferPointer<UInt8>,
        isInlined: Bool, isJava: Bool, options: PerfScriptFoldOptions, annotate: Bool = true
    ) -> [[UInt8]] {
        // stackcollapse-perf.pl skips symbols that start with "(" (process names); it also drops
        // C++ functions in an anonymous namespace that way, which sflame keeps.
        if symbol.first == 0x28 && !symbol.starts(with: "(anonymous namespace)".utf8) { return [] }
        let module = module.map(Array.init) ?? Array("[unknown]".utf8)
        var out: [[UInt8]] = []
        for (k, piece) in split(Array(symbol), on: Array("->".utf8)).enumerated() {
            var name = piece
            if name.elementsEqual("[unknown]".utf8) {
                var base: [UInt8]
                if !module.elementsEqual("[unknown]".utf8) {
                    base = module
                    if let slash = base.lastIndex(of: 0x2F) { base = Array(base[(slash + 1)...]) }
                } else {
                    base = Array("unknown".utf8)
                }
                name = [0x5B] + base
                if options.includeAddresses { name += [0x20, 0x3C] + Array(address) + [0x3E] }
                name.append(0x5D)
            }
            name = tidy(name)
            if isJava && name.first == 0x4C && name.contains(0x2F) { name.removeFirst() }
            if !annotate {
                // Names for a profile carry no suffixes.
            } else if k > 0 {
                if !contains(name, "_[i]") { name += Array("_[i]".utf8) }
            } else if options.annotateKernel && isKernel(module) {
                name += Array("_[k]".utf8)
            } else if options.annotateJIT && isJIT(module) {
                if !contains(name, "_[j]") { name += Array("_[j]".utf8) }
            } else if options.annotateInlined && isInlined {
                if !contains(name, "_[i]") { name += Array("_[i]".utf8) }
            }
            out.append(name)
        }
        return out
    }

    /// `;` → `:`, the parameter list cut (except in Go method names and C++'s
    /// `(anonymous namespace)`), quotes removed.
    static func tidy(_ input: [UInt8]) -> [UInt8] {
        var name = input.map { $0 == 0x3B ? 0x3A : $0 }
        if !isGoMethod(name), let cut = parameterListStart(name) {
            name.removeSubrange(cut...)
        }
        name.removeAll { $0 == 0x22 || $0 == 0x27 }
        return name
    }

    /// `pkg.(*Type).Method`: a `.(` with a `).` after it.
    private static func isGoMethod(_ name: [UInt8]) -> Bool {
        guard name.count >= 4 else { return false }
        for i in 0..<(name.count - 1) where name[i] == 0x2E && name[i + 1] == 0x28 {
            var j = i + 2
            while j + 1 < name.count {
                if name[j] == 0x29 && name[j + 1] == 0x2E { return true }
                j += 1
            }
            return false
        }
        return false
    }

    /// The index of the `(` that starts the parameter list: the first `(` outside `<…>`
    /// template arguments that does not open `(anonymous namespace)` and is not part of an
    /// `operator()` name.
    static func parameterListStart(_ name: [UInt8]) -> Int? {
        let anonymous = Array("(anonymous namespace)".utf8)
        let op = Array("operator".utf8)
        var depth = 0
        var i = 0
        while i < name.count {
            let b = name[i]
            // After "operator", skip the operator's own symbols: `operator()`, `operator<<`, `operator->`.
            if b == 0x72 && i + 1 >= op.count && name[(i + 1 - op.count)...i].elementsEqual(op) {
                var j = i + 1
                if j + 1 < name.count && name[j] == 0x28 && name[j + 1] == 0x29 {
                    j += 2
                } else {
                    while j < name.count, "<>=!+-*/%^&|~[],".utf8.contains(name[j]) { j += 1 }
                }
                i = j
                continue
            }
            switch b {
            case 0x3C: depth += 1
            case 0x3E: if depth > 0 { depth -= 1 }
            case 0x28:
                if name.count - i >= anonymous.count && name[i..<(i + anonymous.count)].elementsEqual(anonymous) {
                    i += anonymous.count
                    continue
                }
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// stackcollapse-perf.pl's kernel test: the module starts with `[` or ends in `vmlinux`,
    /// and is not `[unknown]`.
    static func isKernel(_ module: [UInt8]) -> Bool {
        (module.first == 0x5B || module.reversed().starts(with: "xunilmv".utf8)) && !contains(module, "unknown")
    }

    /// A perf map file of a JIT: `/tmp/perf-PID.map`.
    static func isJIT(_ module: [UInt8]) -> Bool {
        let prefix = Array("/tmp/perf-".utf8)
        var i = 0
        while i + prefix.count <= module.count {
            if module[i..<(i + prefix.count)].elementsEqual(prefix) {
                var j = i + prefix.count
                let digits = j
                while j < module.count && module[j] >= 0x30 && module[j] <= 0x39 { j += 1 }
                if j > digits && module.count - j >= 4 && module[j..<(j + 4)].elementsEqual(".map".utf8) { return true }
            }
            i += 1
        }
        return false
    }

    private static func isLowerHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) }

    private static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return false }
        for i in 0...(haystack.count - n.count) where haystack[i..<(i + n.count)].elementsEqual(n) { return true }
        return false
    }

    private static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + separator.count <= bytes.count {
            if bytes[i..<(i + separator.count)].elementsEqual(separator) {
                parts.append(Array(bytes[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Array(bytes[start...]))
        // Perl's split drops trailing empty fields.
        while parts.count > 1 && parts.last!.isEmpty { parts.removeLast() }
        return parts
    }
}
