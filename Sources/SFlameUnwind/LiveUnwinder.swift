// SPDX-License-Identifier: Apache-2.0
internal import CLibunwind

/// The program counters of one stopped thread, unwound from its live registers and memory.
///
/// Shape: `programCounters` are leaf first; the first is the instruction the thread was
/// stopped at, the others are return addresses (one past the call instruction). Runtime
/// addresses (AVMA) in the process. No inline expansion (that is symbolization's job).
public struct LiveCallchain: Hashable, Sendable {
    /// Why unwinding ended.
    public enum End: Hashable, Sendable {
        /// The outermost frame was reached (libunwind's unw_step returned 0).
        case complete
        /// A step failed with this libunwind error (-UNW_*; see `LiveUnwinder.describe`).
        case stepFailed(Int32)
        /// The frame limit was reached; the root end is cut off.
        case frameLimit
        /// The registers could not be read (the thread was not stopped, or vanished).
        case initFailed(Int32)
    }

    public var programCounters: [UInt64]
    public var end: End

    public init(programCounters: [UInt64], end: End) {
        self.programCounters = programCounters
        self.end = end
    }
}

/// Unwinds threads of one process that are in a ptrace-stop, with libunwind-ptrace: registers
/// through PTRACE_PEEKUSER, memory through PTRACE_PEEKDATA, CFI (`.eh_frame`, `.debug_frame`)
/// from the process's modules, and libunwind's frame-pointer heuristics where there is no CFI.
///
/// Costs: the unwind rules are cached per program counter for the process (UNW_CACHE_GLOBAL),
/// so the unwind tables are searched once per distinct address; each thread keeps its own
/// `_UPT` context (which caches the last module's tables). One instance per process: the
/// cache is keyed by address, which only means something within one address space.
///
/// Source: libunwind-ptrace(3), unw_init_remote(3), unw_step(3).
public final class LiveUnwinder {
    private let space: unw_addr_space_t
    private var contexts: [Int32: UnsafeMutableRawPointer] = [:]
    /// Frames collected at most per stack. Default 1024.
    public let maxFrames: Int

    /// - Parameter maxFrames: the frame limit per stack (default 1024).
    public init(maxFrames: Int = 1024) {
        // Allocation failure is the only way unw_create_addr_space returns NULL.
        guard let space = sflame_upt_create_addr_space() else {
            preconditionFailure("unw_create_addr_space: out of memory")
        }
        self.space = space
        self.maxFrames = maxFrames
        _ = sflame_upt_cache_globally(space)
    }

    deinit {
        for context in contexts.values { _UPT_destroy(context) }
        sflame_upt_destroy_addr_space(space)
    }

    /// Unwinds thread `tid`, which must be in a ptrace-stop of the calling thread.
    public func unwind(thread tid: Int32) -> LiveCallchain {
        let context: UnsafeMutableRawPointer
        if let existing = contexts[tid] {
            context = existing
        } else {
            guard let created = _UPT_create(tid) else {
                return LiveCallchain(programCounters: [], end: .initFailed(-1))
            }
            contexts[tid] = created
            context = created
        }
        var cursor = unw_cursor_t()
        let initialized = sflame_upt_init_remote(&cursor, space, context)
        if initialized < 0 { return LiveCallchain(programCounters: [], end: .initFailed(initialized)) }
        var pcs: [UInt64] = []
        pcs.reserveCapacity(32)
        while true {
            var ip: unw_word_t = 0
            if sflame_upt_get_ip(&cursor, &ip) < 0 || ip == 0 {
                return LiveCallchain(programCounters: pcs, end: .complete)
            }
            pcs.append(UInt64(ip))
            if pcs.count >= maxFrames { return LiveCallchain(programCounters: pcs, end: .frameLimit) }
            let stepped = sflame_upt_step(&cursor)
            if stepped == 0 { return LiveCallchain(programCounters: pcs, end: .complete) }
            if stepped < 0 { return LiveCallchain(programCounters: pcs, end: .stepFailed(stepped)) }
        }
    }

    /// Frees a thread's context after it exited.
    public func forget(thread tid: Int32) {
        if let context = contexts.removeValue(forKey: tid) { _UPT_destroy(context) }
    }

    /// Drops every cached unwind rule and context (after exec or when mappings were removed).
    public func flushCaches() {
        sflame_upt_flush_cache(space)
        for context in contexts.values { _UPT_destroy(context) }
        contexts.removeAll()
    }

    /// Words for a libunwind error code (negative -UNW_* values from unw_step/unw_init_remote).
    /// Source: libunwind-common.h, `unw_error_t`.
    public static func describe(_ code: Int32) -> String {
        switch -code {
        case 1: return "unspecified libunwind error"
        case 2: return "out of memory"
        case 3: return "bad register"
        case 4: return "read-only register"
        case 5: return "unwinding stopped"
        case 6: return "invalid instruction pointer"
        case 7: return "bad frame"
        case 8: return "unsupported operation"
        case 9: return "bad unwind info version"
        case 10: return "no unwind info (no CFI for this address)"
        default: return "libunwind error \(code)"
        }
    }
}
