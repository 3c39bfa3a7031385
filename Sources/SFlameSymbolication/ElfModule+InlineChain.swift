// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

#if canImport(Glibc)
import Glibc
#endif

/// Inline frames from DWARF scopes.
///
/// The subprogram holding an address comes from the unit's ``FunctionRanges``; from there the
/// scopes that hold the address (`DW_TAG_lexical_block`, `DW_TAG_inlined_subroutine`, ...) are
/// followed down with `dwarf_child`/`dwarf_siblingof`/`dwarf_haspc`, which yields the concrete
/// nesting: which function each inlined instance was inlined into. Each inlined instance records
/// its call site in the caller (`DW_AT_call_file`, `DW_AT_call_line`), which is the line of the
/// next frame out.
///
/// When the index has no function for the address, `dwarf_getscopes` (a walk of the whole unit)
/// is the fallback. Past an inlined instance it continues at the instance's abstract origin, so
/// the concrete nesting is then re-read with `dwarf_getscopes_die`.
///
/// Source: DWARF 5 §3.3.8 "Inlinable and Inlined Subroutines", §3.5 "Lexical Block Entries";
/// elfutils libdw.h.
extension ElfModule {
    /// One function scope of an inline chain.
    struct FunctionScope {
        /// The function's name from DWARF, nil when the DIE has none.
        var name: FunctionName?
        /// For an inlined instance: where its caller called it.
        var callFile: String?
        var callLine: Int?
    }

    /// The function scopes that hold `address` (an SVMA), innermost first: the inlined instances,
    /// then the subprogram they were inlined into. Nil when DWARF does not cover the address.
    func inlineChain(at address: UInt64) -> [FunctionScope]? {
        var bias: Dwarf_Addr = 0
        guard let cu = dwfl_module_addrdie(module, address, &bias) else { return nil }
        let pc = address &- bias
        let key = UInt(bitPattern: cu.pointee.addr)
        let functions = functionRangesByUnit[key] ?? FunctionRanges(compileUnit: cu.pointee)
        functionRangesByUnit[key] = functions

        let scopes: [Dwarf_Die]  // innermost first, ending with the subprogram
        if let subprogram = functions.function(containing: pc) {
            scopes = Self.scopesBelow(subprogram, holding: pc).reversed()
        } else {
            scopes = Self.scopesByWalkingUnit(cu, pc: pc)
        }
        var chain: [FunctionScope] = []
        for var die in scopes {
            let tag = Self.tag(of: die)
            guard tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram || tag == DW_TAG_entry_point else {
                continue
            }
            var scope = FunctionScope(name: functionName(of: &die))
            if tag == DW_TAG_inlined_subroutine {
                (scope.callFile, scope.callLine) = Self.callSite(of: &die)
            }
            chain.append(scope)
            if tag != DW_TAG_inlined_subroutine { break }
        }
        return chain.isEmpty ? nil : chain
    }

    /// The subprogram and the nested scopes under it that hold `pc`, outermost first.
    static func scopesBelow(_ subprogram: Dwarf_Die, holding pc: Dwarf_Addr) -> [Dwarf_Die] {
        var path = [subprogram]
        var current = subprogram
        descent: while true {
            var child = Dwarf_Die()
            guard dwarf_child(&current, &child) == 0 else { break }
            while true {
                let tag = Self.tag(of: child)
                if tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_try_block
                    || tag == DW_TAG_catch_block || tag == DW_TAG_with_stmt, dwarf_haspc(&child, pc) == 1
                {
                    path.append(child)
                    current = child
                    continue descent
                }
                var sibling = Dwarf_Die()
                guard dwarf_siblingof(&child, &sibling) == 0 else { break descent }
                child = sibling
            }
        }
        return path
    }

    /// The scopes holding `pc`, innermost first, by walking the whole unit (`dwarf_getscopes`).
    static func scopesByWalkingUnit(_ cu: UnsafeMutablePointer<Dwarf_Die>, pc: Dwarf_Addr) -> [Dwarf_Die] {
        let scopes = dieArray { dwarf_getscopes(cu, pc, &$0) }
        guard var innermost = scopes.first,
            scopes.contains(where: { tag(of: $0) == DW_TAG_inlined_subroutine })
        else { return scopes }
        let concrete = dieArray { dwarf_getscopes_die(&innermost, &$0) }
        return concrete.isEmpty ? scopes : concrete
    }

    /// The name of a subprogram or inlined instance: its linkage name demangled when it has one
    /// (following `DW_AT_abstract_origin` and `DW_AT_specification`), else `DW_AT_name`,
    /// qualified with its enclosing C++ namespaces and classes. Cached per DIE.
    func functionName(of die: inout Dwarf_Die) -> FunctionName? {
        var origin = die
        var attribute = Dwarf_Attribute()
        if dwarf_attr(&die, UInt32(DW_AT_abstract_origin), &attribute) == nil
            || dwarf_formref_die(&attribute, &origin) == nil
        {
            origin = die
        }
        let key = UInt(bitPattern: origin.addr)
        if let cached = dieNames[key] { return cached }

        let name: FunctionName?
        if let linkage = Self.stringAttribute(&origin, DW_AT_linkage_name)
            ?? Self.stringAttribute(&origin, DW_AT_MIPS_linkage_name)
        {
            name = FunctionName(name: Demangler.displayName(linkage), systemName: linkage)
        } else if let plain = dwarf_diename(&origin).map({ String(cString: $0) }) {
            name = FunctionName(name: Self.scopePrefix(of: origin) + plain, systemName: plain)
        } else {
            name = nil
        }
        dieNames[key] = name
        return name
    }

    // MARK: DIE helpers

    static func tag(of die: Dwarf_Die) -> Int {
        var die = die
        return Int(dwarf_tag(&die))
    }

    /// Copies the malloc'ed DIE array that `fill` produces (`dwarf_getscopes*`), then frees it.
    static func dieArray(_ fill: (inout UnsafeMutablePointer<Dwarf_Die>?) -> Int32) -> [Dwarf_Die] {
        var pointer: UnsafeMutablePointer<Dwarf_Die>?
        let count = fill(&pointer)
        defer { free(pointer) }
        guard count > 0, let pointer else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    }

    /// A string attribute, following abstract origins and specifications.
    static func stringAttribute(_ die: inout Dwarf_Die, _ name: Int) -> String? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr_integrate(&die, UInt32(name), &attribute) != nil,
            let value = dwarf_formstring(&attribute)
        else { return nil }
        return String(cString: value)
    }

    /// `DW_AT_call_file` (an index into the CU's file table) and `DW_AT_call_line`.
    static func callSite(of die: inout Dwarf_Die) -> (file: String?, line: Int?) {
        var attribute = Dwarf_Attribute()
        var value: Dwarf_Word = 0
        var line: Int?
        if dwarf_attr(&die, UInt32(DW_AT_call_line), &attribute) != nil,
            dwarf_formudata(&attribute, &value) == 0, value > 0
        {
            line = Int(value)
        }
        var file: String?
        var cuDie = Dwarf_Die()
        var files: OpaquePointer?
        var fileCount = 0
        if dwarf_attr(&die, UInt32(DW_AT_call_file), &attribute) != nil,
            dwarf_formudata(&attribute, &value) == 0,
            dwarf_diecu(&die, &cuDie, nil, nil) != nil,
            dwarf_getsrcfiles(&cuDie, &files, &fileCount) == 0,
            value < UInt64(fileCount),
            let name = dwarf_filesrc(files, Int(value), nil, nil)
        {
            file = String(cString: name)
        }
        return (file, line)
    }

    /// `ns::Class::` for a C++ function DIE without a linkage name (functions with internal
    /// linkage get none from GCC): the names of the namespaces, classes, structs and unions
    /// around its declaration. Empty for other languages.
    static func scopePrefix(of die: Dwarf_Die) -> String {
        var die = die
        var cuDie = Dwarf_Die()
        let cxx = [DW_LANG_C_plus_plus, DW_LANG_C_plus_plus_03, DW_LANG_C_plus_plus_11, DW_LANG_C_plus_plus_14]
        guard dwarf_diecu(&die, &cuDie, nil, nil) != nil, cxx.contains(Int(dwarf_srclang(&cuDie))) else { return "" }
        // A definition refers to its declaration inside the class or namespace.
        var declaration = die
        var attribute = Dwarf_Attribute()
        for _ in 0..<4 {
            var next = Dwarf_Die()
            guard dwarf_attr(&declaration, UInt32(DW_AT_specification), &attribute) != nil,
                dwarf_formref_die(&attribute, &next) != nil
            else { break }
            declaration = next
        }
        let scopes = dieArray { dwarf_getscopes_die(&declaration, &$0) }
        var parts: [String] = []
        for var scope in scopes.dropFirst() {
            let tag = Self.tag(of: scope)
            if tag == DW_TAG_namespace {
                parts.append(dwarf_diename(&scope).map { String(cString: $0) } ?? "(anonymous namespace)")
            } else if tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type {
                parts.append(dwarf_diename(&scope).map { String(cString: $0) } ?? "{unnamed type}")
            } else if tag == DW_TAG_subprogram || tag == DW_TAG_compile_unit {
                break
            }
        }
        return parts.reversed().map { $0 + "::" }.joined()
    }
}
