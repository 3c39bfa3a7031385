// SPDX-License-Identifier: Apache-2.0

internal import CLibunwind

/// CFI unwinding with libunwind's remote API: one address space per process whose accessors
/// serve the sampled registers, the stack copy and the module files.
///
/// `find_proc_info` looks the address up in its module's `.eh_frame_hdr` table with
/// `dwarf_search_unwind_table` (a `UNW_INFO_FORMAT_REMOTE_TABLE` read through `access_mem`);
/// libunwind then parses the FDE and CIE through `access_mem` too. Register states are cached
/// per address (`UNW_CACHE_GLOBAL`) for the life of the address space. libunwind's remote API
/// has no `.debug_frame` lookup, so modules with only `.debug_frame` unwind with libdw alone.
///
/// Source: libunwind(3), unw_create_addr_space(3), unw_init_remote(3), unw_step(3);
/// libunwind-dynamic.h (`unw_dyn_info_t`).
final class LibunwindBackend: UnwindBackend {
    private let memory: SampleMemory
    private let accessors: UnsafeMutablePointer<unw_accessors_t>
    private var addressSpace: unw_addr_space_t?
    private var cursor = unw_cursor_t()
    /// Whether the last `find_proc_info` found unwind info (tells a CFI end of stack from the
    /// frame-pointer fallback libunwind takes without it).
    private var lastLookupFound = false

    init(memory: SampleMemory, maxFrames: Int) {
        self.memory = memory
        accessors = .allocate(capacity: 1)
        accessors.initialize(to: unw_accessors_t())
        accessors.pointee.find_proc_info = { _, ip, info, needUnwindInfo, argument in
            guard let argument, let info else { return -Int32(UNW_EINVAL.rawValue) }
            return Unmanaged<LibunwindBackend>.fromOpaque(argument).takeUnretainedValue()
                .findProcInfo(ip: ip, info: info, needUnwindInfo: needUnwindInfo)
        }
        // dwarf_search_unwind_table's FDE info is freed by libunwind itself.
        accessors.pointee.put_unwind_info = { _, _, _ in }
        accessors.pointee.get_dyn_info_list_addr = { _, _, _ in -Int32(UNW_ENOINFO.rawValue) }
        accessors.pointee.access_mem = { _, address, value, write, argument in
            guard write == 0, let argument, let value else { return -Int32(UNW_EINVAL.rawValue) }
            let backend = Unmanaged<LibunwindBackend>.fromOpaque(argument).takeUnretainedValue()
            guard let word = backend.memory.readWord(address) else { return -Int32(UNW_EINVAL.rawValue) }
            value.pointee = word
            return 0
        }
        accessors.pointee.access_reg = { _, register, value, write, argument in
            guard let argument, let value else { return -Int32(UNW_EINVAL.rawValue) }
            guard write == 0 else { return -Int32(UNW_EREADONLYREG.rawValue) }
            guard register >= 0, register < Int32(UserRegisters.count) else { return -Int32(UNW_EBADREG.rawValue) }
            let backend = Unmanaged<LibunwindBackend>.fromOpaque(argument).takeUnretainedValue()
            value.pointee = backend.memory.registers.values[Int(register)]
            return 0
        }
        accessors.pointee.access_fpreg = { _, _, _, _, _ in -Int32(UNW_EINVAL.rawValue) }
        accessors.pointee.resume = { _, _, _ in -Int32(UNW_EINVAL.rawValue) }
        accessors.pointee.get_proc_name = { _, _, _, _, _, _ in -Int32(UNW_EINVAL.rawValue) }
        makeAddressSpace()
    }

    deinit {
        if let addressSpace { sflame_unw_destroy_addr_space(addressSpace) }
        accessors.deinitialize(count: 1)
        accessors.deallocate()
    }

    private func makeAddressSpace() {
        addressSpace = sflame_unw_create_addr_space(accessors, 0)
        if let addressSpace { _ = sflame_unw_set_caching_policy(addressSpace, UNW_CACHE_GLOBAL) }
    }

    func add(_ module: LoadedModule) {
        // Unwind info is looked up lazily through find_proc_info; forget what an earlier module
        // at these addresses left in the cache.
        if let addressSpace { sflame_unw_flush_cache(addressSpace, module.range.lowerBound, module.range.upperBound) }
    }

    func reset() {
        if let addressSpace { sflame_unw_destroy_addr_space(addressSpace) }
        makeAddressSpace()
    }

    func unwind(threadID: Int32, maxFrames: Int) -> UnwoundStack {
        let ip = memory.registers.instructionPointer
        var frames = [UnwoundFrame(programCounter: ip, isReturnAddress: false)]
        guard let addressSpace else { return UnwoundStack(frames: frames, stop: .failed("no libunwind address space")) }
        let argument = Unmanaged.passUnretained(self).toOpaque()
        let initialized = sflame_unw_init_remote(&cursor, addressSpace, argument)
        guard initialized == 0 else { return UnwoundStack(frames: frames, stop: .failed(Self.message(initialized))) }
        var stop = UnwindStop.frameLimit
        while frames.count < maxFrames {
            let calleeIsSignalFrame = sflame_unw_is_signal_frame(&cursor) > 0
            lastLookupFound = false
            memory.lastFailedRead = nil
            let stepped = sflame_unw_step(&cursor)
            var pc: unw_word_t = 0
            if stepped > 0 { _ = sflame_unw_get_reg(&cursor, sflame_unw_reg_ip, &pc) }
            if stepped > 0 && pc != 0 {
                frames.append(UnwoundFrame(programCounter: pc, isReturnAddress: !calleeIsSignalFrame))
                continue
            }
            stop = stepped < 0 ? classifyFailure(stepped, frames: frames) : endOfStack(frames: frames)
            break
        }
        return UnwoundStack(frames: frames, stop: stop)
    }

    /// libunwind ends a stack both when CFI marks the return address undefined and when its
    /// frame-pointer fallback meets a null %rbp; only the first is a real base.
    private func endOfStack(frames: [UnwoundFrame]) -> UnwindStop {
        if lastLookupFound { return .reachedBase }
        return .noUnwindInfo(programCounter: frames.last!.programCounter)
    }

    private func classifyFailure(_ code: Int32, frames: [UnwoundFrame]) -> UnwindStop {
        if let stop = memory.stopForFailedRead() { return stop }
        if code == -Int32(UNW_ENOINFO.rawValue) || !lastLookupFound {
            return .noUnwindInfo(programCounter: frames.last!.programCounter)
        }
        return .failed(Self.message(code))
    }

    private static func message(_ code: Int32) -> String {
        switch -code {
        case Int32(UNW_EUNSPEC.rawValue): return "libunwind: unspecified error"
        case Int32(UNW_EBADREG.rawValue): return "libunwind: bad register"
        case Int32(UNW_EINVALIDIP.rawValue): return "libunwind: invalid instruction pointer"
        case Int32(UNW_EBADFRAME.rawValue): return "libunwind: bad frame"
        case Int32(UNW_EINVAL.rawValue): return "libunwind: unsupported operation or bad value"
        case Int32(UNW_EBADVERSION.rawValue): return "libunwind: unsupported unwind-info version"
        case Int32(UNW_ENOINFO.rawValue): return "libunwind: no unwind info"
        default: return "libunwind error \(code)"
        }
    }

    /// The `find_proc_info` accessor: the module's `.eh_frame_hdr` table, searched by libunwind.
    private func findProcInfo(ip: unw_word_t, info: UnsafeMutablePointer<unw_proc_info_t>, needUnwindInfo: Int32)
        -> Int32
    {
        guard let addressSpace, let module = memory.modules.module(containing: ip), let table = module.ehFrameTable
        else { return -Int32(UNW_ENOINFO.rawValue) }
        var dynamic = unw_dyn_info_t()
        dynamic.start_ip = module.range.lowerBound
        dynamic.end_ip = module.range.upperBound
        dynamic.format = Int32(UNW_INFO_FORMAT_REMOTE_TABLE.rawValue)
        dynamic.u.rti.segbase = table.headerAddress &+ module.bias
        dynamic.u.rti.table_data = table.tableAddress &+ module.bias
        // In words: each entry is two 4-byte offsets, one unw_word_t.
        dynamic.u.rti.table_len = table.entryCount
        let result = sflame_unw_dwarf_search_unwind_table(
            addressSpace, ip, &dynamic, info, needUnwindInfo, Unmanaged.passUnretained(self).toOpaque())
        lastLookupFound = result >= 0
        return result
    }
}
