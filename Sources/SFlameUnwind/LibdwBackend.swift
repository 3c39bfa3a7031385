// SPDX-License-Identifier: Apache-2.0

internal import CElfutils

#if canImport(Glibc)
    import Glibc
#endif

/// CFI unwinding with elfutils libdw: one `Dwfl` per process, with every module reported at its
/// load bias and thread callbacks that serve the sampled registers and stack copy.
///
/// Per sample, `dwfl_getthread_frames` asks `set_initial_registers` for the sampled registers,
/// then walks the frames, reading the stack through `memory_read`. libdw parses each module's
/// `.eh_frame` (or `.debug_frame`) once and caches FDEs inside the `Dwfl`, which lives as long as
/// the process's unwinder.
///
/// Source: elfutils libdwfl.h (`dwfl_attach_state`, `Dwfl_Thread_Callbacks`,
/// `dwfl_thread_state_registers`, `dwfl_getthread_frames`, `dwfl_frame_pc`).
final class LibdwBackend: UnwindBackend {
    private let processID: Int32
    private let memory: SampleMemory
    private let debugInfo: DebugInfoSearch
    private let threadCallbacks: UnsafeMutablePointer<Dwfl_Thread_Callbacks>
    /// `Dwfl *`, ended in reset and deinit.
    private var dwfl: OpaquePointer?
    private var isAttached = false
    // The sample being unwound, for the callbacks.
    private var threadID: pid_t = 0
    private var frames: [UnwoundFrame] = []
    private var maxFrames = 0

    init(processID: Int32, memory: SampleMemory, debugInfo: DebugInfoSearch) {
        self.processID = processID
        self.memory = memory
        self.debugInfo = debugInfo
        threadCallbacks = .allocate(capacity: 1)
        threadCallbacks.initialize(
            to: Dwfl_Thread_Callbacks(
                next_thread: { _, argument, threadArgument in
                    // One thread: the sampled one, handed out once.
                    guard let argument, let threadArgument else { return -1 }
                    if threadArgument.pointee != nil { return 0 }
                    threadArgument.pointee = argument
                    return Unmanaged<LibdwBackend>.fromOpaque(argument).takeUnretainedValue().threadID
                },
                get_thread: { _, tid, argument, threadArgument in
                    guard let argument, let threadArgument else { return false }
                    threadArgument.pointee = argument
                    return Unmanaged<LibdwBackend>.fromOpaque(argument).takeUnretainedValue().threadID == tid
                },
                memory_read: { _, address, result, argument in
                    guard let argument, let result else { return false }
                    let backend = Unmanaged<LibdwBackend>.fromOpaque(argument).takeUnretainedValue()
                    guard let word = backend.memory.readWord(address) else { return false }
                    result.pointee = word
                    return true
                },
                set_initial_registers: { thread, argument in
                    guard let thread, let argument else { return false }
                    let backend = Unmanaged<LibdwBackend>.fromOpaque(argument).takeUnretainedValue()
                    return backend.memory.registers.values.withUnsafeBufferPointer {
                        dwfl_thread_state_registers(thread, 0, UInt32($0.count), $0.baseAddress!)
                    }
                },
                detach: nil,
                thread_detach: nil))
        dwfl = dwfl_begin(debugInfo.callbacks)
    }

    deinit {
        if let dwfl { dwfl_end(dwfl) }
        threadCallbacks.deinitialize(count: 1)
        threadCallbacks.deallocate()
    }

    func reset() {
        if let dwfl { dwfl_end(dwfl) }
        dwfl = dwfl_begin(debugInfo.callbacks)
        isAttached = false
    }

    func add(_ module: LoadedModule) {
        guard let dwfl else { return }
        dwfl_report_begin_add(dwfl)
        if module.path == ExecutableMapping.vdsoPath {
            // The vDSO has no file: libdw reads sflame's copy of it through a memfd, which it
            // owns (and closes) once the report succeeds.
            let fd = Self.memoryFile(module.image.bytes)
            if fd >= 0, dwfl_report_elf(dwfl, module.path, module.path, fd, module.bias, true) == nil { close(fd) }
        } else {
            // base = the load bias with add_p_vaddr: libdwfl places each segment at bias + p_vaddr.
            _ = dwfl_report_elf(dwfl, module.path, module.path, -1, module.bias, true)
        }
        dwfl_report_end(dwfl, nil, nil)
    }

    func unwind(threadID: Int32, maxFrames: Int) -> UnwoundStack {
        guard let dwfl, attach(dwfl) else {
            return UnwoundStack(
                frames: [UnwoundFrame(programCounter: memory.registers.instructionPointer, isReturnAddress: false)],
                stop: .failed("libdw could not attach: \(Self.lastError())"))
        }
        self.threadID = threadID
        self.maxFrames = maxFrames
        frames.removeAll(keepingCapacity: true)
        let result = dwfl_getthread_frames(
            dwfl, threadID,
            { frame, argument in
                guard let frame, let argument else { return Int32(DWARF_CB_ABORT) }
                let backend = Unmanaged<LibdwBackend>.fromOpaque(argument).takeUnretainedValue()
                var pc: Dwarf_Addr = 0
                var isActivation = false
                // Only reads made while unwinding from the outermost frame decide why the stack
                // ended. Asking for isActivation already unwinds to the caller (to see whether it
                // is a signal frame), so forget earlier failures first.
                backend.memory.lastFailedRead = nil
                guard dwfl_frame_pc(frame, &pc, &isActivation) else { return Int32(DWARF_CB_ABORT) }
                backend.frames.append(UnwoundFrame(programCounter: pc, isReturnAddress: !isActivation))
                return backend.frames.count >= backend.maxFrames ? 2 : Int32(DWARF_CB_OK)
            }, Unmanaged.passUnretained(self).toOpaque())
        let stop: UnwindStop
        switch result {
        case 0:
            // libdw also ends a stack without error when the return address could not be read
            // (frame_unwind.c marks the caller's PC undefined): a failed read means a cut stack.
            stop = memory.stopForFailedRead() ?? .reachedBase
        case 2: stop = .frameLimit
        default: stop = classifyFailure(dwfl)
        }
        if frames.isEmpty {
            frames.append(UnwoundFrame(programCounter: memory.registers.instructionPointer, isReturnAddress: false))
        }
        return UnwoundStack(frames: frames, stop: stop)
    }

    private func attach(_ dwfl: OpaquePointer) -> Bool {
        if isAttached { return true }
        // A nil Elf makes libdw take the architecture from a reported module.
        isAttached = dwfl_attach_state(dwfl, nil, processID, threadCallbacks, Unmanaged.passUnretained(self).toOpaque())
        return isAttached
    }

    /// Why `dwfl_getthread_frames` failed: a read beyond the stack copy, no CFI for the last
    /// frame, or libdw's own message.
    private func classifyFailure(_ dwfl: OpaquePointer) -> UnwindStop {
        let message = Self.lastError()
        if let stop = memory.stopForFailedRead() { return stop }
        let last =
            frames.last ?? UnwoundFrame(programCounter: memory.registers.instructionPointer, isReturnAddress: false)
        if !Self.hasCFI(dwfl, at: last.lookupAddress) { return .noUnwindInfo(programCounter: last.programCounter) }
        return .failed(message)
    }

    /// Whether a reported module has an FDE covering a runtime address.
    private static func hasCFI(_ dwfl: OpaquePointer, at address: UInt64) -> Bool {
        guard let module = dwfl_addrmodule(dwfl, address) else { return false }
        for lookup in [dwfl_module_eh_cfi, dwfl_module_dwarf_cfi] {
            var bias: Dwarf_Addr = 0
            guard let cfi = lookup(module, &bias) else { continue }
            var frame: OpaquePointer?
            if dwarf_cfi_addrframe(cfi, address &- bias, &frame) == 0 {
                free(UnsafeMutableRawPointer(frame))
                return true
            }
        }
        return false
    }

    private static func lastError() -> String {
        dwfl_errmsg(-1).map { String(cString: $0) } ?? "unknown libdw error"
    }

    /// An unlinked temporary file holding `bytes` (libdw reports modules from files), or -1.
    private static func memoryFile(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        var template = Array("/tmp/sflame-vdso-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return -1 }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var written = 0
        while written < bytes.count {
            let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                close(fd)
                return -1
            }
            written += n
        }
        return fd
    }
}
