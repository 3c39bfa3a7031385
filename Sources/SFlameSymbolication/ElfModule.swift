// SPDX-License-Identifier: Apache-2.0

internal import CElfutils
import SFlameProfile

#if canImport(Glibc)
import Glibc
#endif

/// One module file opened through libdwfl: the single owner of its `Dwfl` session.
///
/// The file is reported with `dwfl_report_elf` at base 0 with `add_p_vaddr`, so the session's
/// addresses are the ELF file's own virtual addresses (SVMAs) for `ET_DYN` and `ET_EXEC` alike,
/// and every lookup here takes an SVMA. libdwfl reads the symbol table (`.symtab`, else
/// `.dynsym`, also from a separate debug file), DWARF and CFI lazily on first use.
///
/// Not thread-safe: libdwfl sessions are not. `@unchecked Sendable` because it only ever lives
/// inside a ``ModuleSlot``'s lock, which serializes every call.
final class ElfModule: @unchecked Sendable {
    let path: String
    /// The `PT_LOAD` segments of the main file.
    let segments: LoadSegments
    /// `Dwfl *`, ended in deinit.
    private let dwfl: OpaquePointer
    /// `Dwfl_Module *`, owned by `dwfl`.
    let module: OpaquePointer
    /// The main file's `Elf *`, owned by `module`.
    let mainElf: OpaquePointer
    /// `Dwfl_Callbacks` and the search path the session points at; must outlive `dwfl`.
    private let callbacks: DwflCallbacks
    /// The code symbols, indexed on first use.
    private(set) lazy var symbolIndex = Self.buildSymbolIndex(module: module, segments: segments)
    /// The function index of each DWARF unit used so far, keyed by the address of the unit DIE.
    var functionRangesByUnit: [UInt: FunctionRanges] = [:]
    /// Display and system names of DWARF function DIEs, keyed by the address of the DIE's bytes
    /// (unique across the main file, its debug file and a dwz file).
    var dieNames: [UInt: FunctionName] = [:]

    struct FunctionName: Hashable {
        var name: String
        var systemName: String
    }

    /// Opens `path` and reports it to a new libdwfl session.
    ///
    /// Throws: ``SymbolizationError/Kind/cannotOpen`` when `open(2)` fails,
    /// ``SymbolizationError/Kind/notRegularFile`` for directories, FIFOs and devices,
    /// ``SymbolizationError/Kind/notELF`` when libelf cannot read the file.
    init(path: String, callbacks: DwflCallbacks) throws(SymbolizationError) {
        self.path = path
        self.callbacks = callbacks
        // Open here rather than letting libdwfl do it: O_NONBLOCK keeps a FIFO path from hanging
        // the open, and fstat rejects what is not a regular file before libelf reads it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw SymbolizationError(.cannotOpen, path: path, message: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SymbolizationError(.notRegularFile, path: path, message: "not a regular file")
        }
        guard let dwfl = dwfl_begin(callbacks.pointer) else {
            close(fd)
            throw SymbolizationError(.notELF, path: path, message: Self.lastError())
        }
        dwfl_report_begin(dwfl)
        // On success libdwfl owns fd (closed by dwfl_end); on failure it is still ours.
        let reported = dwfl_report_elf(dwfl, path, path, fd, 0, true)
        guard let module = reported, dwfl_report_end(dwfl, nil, nil) == 0 else {
            let message = Self.lastError()
            if reported == nil { close(fd) }
            dwfl_end(dwfl)
            throw SymbolizationError(.notELF, path: path, message: message)
        }
        var bias: GElf_Addr = 0
        guard let elf = dwfl_module_getelf(module, &bias) else {
            let message = Self.lastError()
            dwfl_end(dwfl)
            throw SymbolizationError(.notELF, path: path, message: message)
        }
        self.dwfl = dwfl
        self.module = module
        self.mainElf = elf
        self.segments = Self.loadSegments(of: elf)
    }

    deinit {
        dwfl_end(dwfl)
    }

    /// libdwfl's message for the most recent error on this thread.
    static func lastError() -> String {
        guard let message = dwfl_errmsg(-1) else { return "unknown libdwfl error" }
        return String(cString: message)
    }

    /// The `PT_LOAD` program headers, read with gelf.
    private static func loadSegments(of elf: OpaquePointer) -> LoadSegments {
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else { return LoadSegments([]) }
        var segments: [LoadSegments.Segment] = []
        for index in 0..<count {
            var header = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(index), &header) != nil, header.p_type == UInt32(PT_LOAD) else { continue }
            segments.append(
                LoadSegments.Segment(
                    fileOffset: header.p_offset,
                    fileAddress: header.p_vaddr,
                    fileSize: header.p_filesz,
                    isExecutable: header.p_flags & UInt32(PF_X) != 0
                ))
        }
        return LoadSegments(segments)
    }

    // MARK: Lookups (all addresses are SVMAs)

    /// The source file and 1-based line of `address` from the DWARF line table.
    func sourceLine(at address: UInt64) -> (file: String, line: Int)? {
        guard let line = dwfl_module_getsrc(module, address) else { return nil }
        var number: Int32 = 0
        guard let file = dwfl_lineinfo(line, nil, &number, nil, nil, nil), number > 0 else { return nil }
        return (String(cString: file), Int(number))
    }

    /// The frames of one address, innermost first. Empty when neither the symbol table nor DWARF
    /// name a function there.
    func frames(at address: UInt64, options: SymbolizerOptions) -> [SymbolizedFrame] {
        let symbol = symbolName(at: address).map { FunctionName(name: Demangler.displayName($0), systemName: $0) }
        let chain = options.inlineFrames || options.lineNumbers ? inlineChain(at: address) : nil
        let leafLine = options.lineNumbers ? sourceLine(at: address) : nil

        guard let chain, !chain.isEmpty else {
            guard let symbol else { return [] }
            return [
                SymbolizedFrame(
                    name: symbol.name, systemName: symbol.systemName,
                    file: leafLine?.file, line: leafLine?.line, isInlined: false)
            ]
        }
        // chain[i] is a function scope, innermost first; the line in chain[i] is the leaf line
        // for i == 0 and the call site recorded by chain[i - 1] otherwise.
        var frames: [SymbolizedFrame] = []
        frames.reserveCapacity(chain.count)
        for (index, scope) in chain.enumerated() {
            let isOutermost = index == chain.count - 1
            guard let name = isOutermost ? (symbol ?? scope.name) : scope.name else { continue }
            var file: String?
            var line: Int?
            if options.lineNumbers {
                if index == 0 {
                    (file, line) = (leafLine?.file, leafLine?.line)
                } else {
                    (file, line) = (chain[index - 1].callFile, chain[index - 1].callLine)
                }
            }
            frames.append(
                SymbolizedFrame(
                    name: name.name, systemName: name.systemName,
                    file: file, line: line, isInlined: !isOutermost))
        }
        if !options.inlineFrames, let outermost = frames.last {
            return [outermost]
        }
        return frames
    }
}
