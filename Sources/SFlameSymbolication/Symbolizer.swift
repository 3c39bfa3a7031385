// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// Turns (module file, address) into frames: function names from the symbol table, file:line
/// and inline frames from DWARF, with separate debug files found the way debuggers find them.
///
/// Shape: every result is innermost frame first (see ``SymbolizedLocation``). Addresses are
/// either file offsets or SVMAs of the module file, never runtime addresses; callers subtract the
/// mapping's start and add its file offset. Addresses of non-leaf frames must already point into
/// the call instruction (return address - 1); the symbolizer does not adjust them.
///
/// Each module path is opened once, on first use, and kept open (one libdwfl session and one file
/// descriptor per module) for the symbolizer's life; a path that cannot be opened is remembered
/// as failed and not retried. Results are cached per (path, address), so repeated addresses cost
/// a dictionary lookup. Thread-safe: one lock per module, and a short global lock to find it.
///
/// It never reads /proc or calls ptrace: the caller hands it paths it can open (for a process's
/// mappings, `/proc/PID/root/...` paths or the files themselves) and kallsyms text
/// (``KernelSymbolTable``).
///
/// Source: elfutils libdwfl.h (`dwfl_report_elf`, `dwfl_module_getsym_info`, `dwfl_module_getsrc`,
/// `dwfl_standard_find_debuginfo`), libdw.h (`dwarf_getfuncs`, `dwarf_getscopes`).
public final class Symbolizer: @unchecked Sendable {
    /// The options this symbolizer was created with.
    public let options: SymbolizerOptions
    /// Shared by every module's libdwfl session; lives as long as the last module.
    let callbacks: DwflCallbacks
    private let slots = Mutex<[String: ModuleSlot]>([:])
    private let openAttempts = Atomic<Int>(0)

    public init(options: SymbolizerOptions = SymbolizerOptions()) {
        self.options = options
        self.callbacks = DwflCallbacks(debugInfoPaths: options.debugInfoPaths)
    }

    /// Symbolizes a file offset of a module: `runtime address - mapping start + mapping file
    /// offset`. The offset becomes an SVMA through the file's `PT_LOAD` program headers.
    ///
    /// Returns `moduleFound == false` (and no frames) when the file cannot be opened as ELF, and
    /// no frames when the offset is outside every loadable segment or no symbol covers it.
    public func symbolize(modulePath: String, fileOffset: UInt64) -> SymbolizedLocation {
        let options = options
        let result = try? slot(for: modulePath).withModule(callbacks: callbacks, didOpen: countOpen) {
            module, locations, _ in
            guard let address = module.segments.fileAddress(fileOffset: fileOffset) else {
                return SymbolizedLocation.noSymbol
            }
            return Self.location(of: module, at: address, options: options, cache: &locations)
        }
        return result ?? .moduleMissing
    }

    /// Symbolizes an SVMA of a module: an address as the ELF file states it (as `nm` prints it).
    public func symbolize(modulePath: String, fileAddress: UInt64) -> SymbolizedLocation {
        let options = options
        let result = try? slot(for: modulePath).withModule(callbacks: callbacks, didOpen: countOpen) {
            module, locations, _ in
            Self.location(of: module, at: fileAddress, options: options, cache: &locations)
        }
        return result ?? .moduleMissing
    }

    /// What is known about a module file, or nil when it cannot be opened as ELF.
    ///
    /// Computed once per module; the first call loads its symbol table, DWARF and CFI and samples
    /// function entries for ``ModuleInfo/framePointerShare``.
    public func moduleInfo(path: String) -> ModuleInfo? {
        try? moduleInfoOrError(path: path)
    }

    /// Like ``moduleInfo(path:)``, but says why a module cannot be used.
    ///
    /// Throws: ``SymbolizationError`` of kind `cannotOpen`, `notRegularFile` or `notELF`. The
    /// same error is thrown again for later calls with that path; the file is not reopened.
    public func moduleInfoOrError(path: String) throws(SymbolizationError) -> ModuleInfo {
        try slot(for: path).withModule(callbacks: callbacks, didOpen: countOpen) { module, _, info in
            if let info { return info }
            let computed = module.info()
            info = computed
            return computed
        }
    }

    /// ``ModuleInfo/framePointerShare`` alone, which needs only the symbol table: cheaper than
    /// ``moduleInfo(path:)``, which also loads DWARF and CFI. Nil when the module cannot be opened
    /// or the share cannot be measured.
    public func framePointerShare(path: String) -> Double? {
        let share = try? slot(for: path).withModule(callbacks: callbacks, didOpen: countOpen) { module, _, info in
            info?.framePointerShare ?? module.framePointerShare()
        }
        return share ?? nil
    }

    /// The SVMA of a file offset of a module (through its `PT_LOAD` program headers), or nil when
    /// the module cannot be opened or no segment's file bytes hold the offset.
    public func fileAddress(modulePath: String, fileOffset: UInt64) -> UInt64? {
        let address = try? slot(for: modulePath).withModule(callbacks: callbacks, didOpen: countOpen) { module, _, _ in
            module.segments.fileAddress(fileOffset: fileOffset)
        }
        return address ?? nil
    }

    /// How many times a module file has been opened (successfully or not). Each path is opened
    /// at most once; tests check that.
    var moduleOpenCount: Int { openAttempts.load(ordering: .relaxed) }

    // MARK: Internals

    func slot(for path: String) -> ModuleSlot {
        slots.withLock { slots in
            if let slot = slots[path] { return slot }
            let slot = ModuleSlot(path: path)
            slots[path] = slot
            return slot
        }
    }

    func countOpen() {
        openAttempts.add(1, ordering: .relaxed)
    }

    private static func location(
        of module: ElfModule, at address: UInt64, options: SymbolizerOptions,
        cache: inout [UInt64: SymbolizedLocation]
    ) -> SymbolizedLocation {
        if let cached = cache[address] { return cached }
        let location = SymbolizedLocation(frames: module.frames(at: address, options: options), moduleFound: true)
        cache[address] = location
        return location
    }
}
