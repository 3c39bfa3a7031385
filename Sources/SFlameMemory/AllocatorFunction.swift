// SPDX-License-Identifier: Apache-2.0

/// The C allocator functions sflame probes, and how to read their arguments.
///
/// Source: malloc(3), posix_memalign(3), jemalloc(3) for `sdallocx`; the x86-64 System V ABI
/// passes the first integer arguments in rdi, rsi, rdx and returns in rax.
public enum AllocatorFunction: String, CaseIterable, Hashable, Sendable {
    case malloc
    case calloc
    case realloc
    case posixMemalign = "posix_memalign"
    case alignedAlloc = "aligned_alloc"
    case memalign
    case valloc
    case pvalloc
    case free
    /// jemalloc's sized free.
    case sdallocx

    /// The symbol name.
    public var symbolName: String { rawValue }

    /// Whether the function hands out memory (as opposed to releasing it).
    public var isAllocation: Bool { self != .free && self != .sdallocx }

    /// The bytes requested, from the argument registers: malloc(size), calloc(n, size),
    /// realloc(ptr, size), posix_memalign(memptr, alignment, size), aligned_alloc(alignment,
    /// size), memalign(alignment, size), valloc(size), pvalloc(size). 0 for the frees.
    public func requestedBytes(_ a: AllocatorArguments) -> UInt64 {
        switch self {
        case .malloc, .valloc, .pvalloc: return a.first
        case .calloc:
            let (product, overflow) = a.first.multipliedReportingOverflow(by: a.second)
            return overflow ? UInt64.max : product
        case .realloc, .alignedAlloc, .memalign: return a.second
        case .posixMemalign: return a.third
        case .free, .sdallocx: return 0
        }
    }
}

/// The first three integer arguments of a call (rdi, rsi, rdx on x86-64).
public struct AllocatorArguments: Hashable, Sendable {
    public var first: UInt64
    public var second: UInt64
    public var third: UInt64

    public init(_ first: UInt64, _ second: UInt64 = 0, _ third: UInt64 = 0) {
        self.first = first
        self.second = second
        self.third = third
    }
}

/// The user registers sflame samples at a probe: PERF_SAMPLE_REGS_USER with this mask, values
/// in ascending bit order.
///
/// Source: arch/x86/include/uapi/asm/perf_regs.h (`PERF_REG_X86_AX` 0, `DX` 3, `SI` 4, `DI` 5,
/// `SP` 7).
public struct ProbeRegisters: Hashable, Sendable {
    public var ax: UInt64
    public var dx: UInt64
    public var si: UInt64
    public var di: UInt64
    public var sp: UInt64

    public init(ax: UInt64 = 0, dx: UInt64 = 0, si: UInt64 = 0, di: UInt64 = 0, sp: UInt64 = 0) {
        self.ax = ax
        self.dx = dx
        self.si = si
        self.di = di
        self.sp = sp
    }

    /// AX | DX | SI | DI | SP.
    public static let mask: UInt64 = 1 << 0 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 7

    /// Reads the registers from the values of a sample taken with `sampleMask` (any mask that
    /// holds `mask`, such as the full set a DWARF unwinder asks for); nil when the kernel sent
    /// none (ABI 0: the thread was in an unknown mode) or the mask lacks one of them.
    public init?(sampled values: [UInt64], sampleMask: UInt64 = ProbeRegisters.mask) {
        guard sampleMask & Self.mask == Self.mask, values.count == sampleMask.nonzeroBitCount else { return nil }
        func value(_ bit: UInt64) -> UInt64 { values[(sampleMask & ((1 << bit) - 1)).nonzeroBitCount] }
        self.init(ax: value(0), dx: value(3), si: value(4), di: value(5), sp: value(7))
    }

    /// The call's arguments at a function's entry.
    public var arguments: AllocatorArguments { AllocatorArguments(di, si, dx) }
}
