// SPDX-License-Identifier: Apache-2.0

/// Which fields a PERF_RECORD_SAMPLE carries: the `sample_type` bits of `perf_event_attr`.
///
/// Source: include/uapi/linux/perf_event.h, `enum perf_event_sample_format`; the field order
/// in a sample record is documented under PERF_RECORD_SAMPLE there and in perf_event_open(2).
public struct PerfSampleType: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let ip = PerfSampleType(rawValue: 1 << 0)
    public static let tid = PerfSampleType(rawValue: 1 << 1)
    public static let time = PerfSampleType(rawValue: 1 << 2)
    public static let addr = PerfSampleType(rawValue: 1 << 3)
    public static let read = PerfSampleType(rawValue: 1 << 4)
    public static let callchain = PerfSampleType(rawValue: 1 << 5)
    public static let id = PerfSampleType(rawValue: 1 << 6)
    public static let cpu = PerfSampleType(rawValue: 1 << 7)
    public static let period = PerfSampleType(rawValue: 1 << 8)
    public static let streamID = PerfSampleType(rawValue: 1 << 9)
    public static let raw = PerfSampleType(rawValue: 1 << 10)
    public static let branchStack = PerfSampleType(rawValue: 1 << 11)
    public static let regsUser = PerfSampleType(rawValue: 1 << 12)
    public static let stackUser = PerfSampleType(rawValue: 1 << 13)
    public static let weight = PerfSampleType(rawValue: 1 << 14)
    public static let dataSource = PerfSampleType(rawValue: 1 << 15)
    public static let identifier = PerfSampleType(rawValue: 1 << 16)
    public static let transaction = PerfSampleType(rawValue: 1 << 17)
    public static let regsIntr = PerfSampleType(rawValue: 1 << 18)
    public static let physAddr = PerfSampleType(rawValue: 1 << 19)
    public static let aux = PerfSampleType(rawValue: 1 << 20)
    public static let cgroup = PerfSampleType(rawValue: 1 << 21)
    public static let dataPageSize = PerfSampleType(rawValue: 1 << 22)
    public static let codePageSize = PerfSampleType(rawValue: 1 << 23)
    public static let weightStruct = PerfSampleType(rawValue: 1 << 24)
}

/// Everything a decoder needs to know about how the event was opened.
public struct PerfRecordLayout: Hashable, Sendable {
    /// `perf_event_attr.sample_type`.
    public var sampleType: PerfSampleType
    /// `perf_event_attr.sample_regs_user`: one u64 per set bit follows the ABI word.
    public var userRegisterMask: UInt64
    /// `perf_event_attr.sample_id_all`: non-sample records end in the sample_id fields.
    public var sampleIDAll: Bool

    public init(sampleType: PerfSampleType, userRegisterMask: UInt64 = 0, sampleIDAll: Bool = true) {
        self.sampleType = sampleType
        self.userRegisterMask = userRegisterMask
        self.sampleIDAll = sampleIDAll
    }

    /// The bits that shape the `sample_id` trailer of non-sample records: layouts of events
    /// sharing a ring buffer must agree on them.
    public var sampleIDFields: PerfSampleType {
        sampleType.intersection([.tid, .time, .id, .streamID, .cpu, .identifier])
    }

    /// Size in bytes of the trailing `struct sample_id` of non-sample records.
    public var sampleIDSize: Int {
        guard sampleIDAll else { return 0 }
        var size = 0
        if sampleType.contains(.tid) { size += 8 }
        if sampleType.contains(.time) { size += 8 }
        if sampleType.contains(.id) { size += 8 }
        if sampleType.contains(.streamID) { size += 8 }
        if sampleType.contains(.cpu) { size += 8 }
        if sampleType.contains(.identifier) { size += 8 }
        return size
    }
}

/// The context markers the kernel puts into a PERF_SAMPLE_CALLCHAIN to say which part of
/// the chain follows. Source: include/uapi/linux/perf_event.h, `enum perf_callchain_context`.
public enum PerfCallchainContext {
    public static let hypervisor: UInt64 = UInt64(bitPattern: -32)
    public static let kernel: UInt64 = UInt64(bitPattern: -128)
    public static let user: UInt64 = UInt64(bitPattern: -512)
    public static let guest: UInt64 = UInt64(bitPattern: -2048)
    public static let guestKernel: UInt64 = UInt64(bitPattern: -2176)
    public static let guestUser: UInt64 = UInt64(bitPattern: -2560)
    /// Values at or above this are markers, not addresses.
    public static let max: UInt64 = UInt64(bitPattern: -4095)
}

/// A PERF_SAMPLE_CALLCHAIN split at its context markers.
///
/// Shape: both arrays leaf first. The first kernel entry is the sampled kernel ip; the first
/// user entry is the user ip where the thread entered the kernel (or the sampled ip). Guest
/// and hypervisor parts are dropped.
public struct SplitCallchain: Hashable, Sendable {
    public var kernel: [UInt64]
    public var user: [UInt64]

    public init(kernel: [UInt64], user: [UInt64]) {
        self.kernel = kernel
        self.user = user
    }

    /// Splits a raw callchain. A chain without any marker is treated as user addresses.
    public init(raw: [UInt64]) {
        var kernel: [UInt64] = []
        var user: [UInt64] = []
        enum Part { case kernel, user, other }
        var part = Part.user
        for ip in raw {
            if ip >= PerfCallchainContext.max {
                switch ip {
                case PerfCallchainContext.kernel: part = .kernel
                case PerfCallchainContext.user: part = .user
                default: part = .other
                }
                continue
            }
            switch part {
            case .kernel: kernel.append(ip)
            case .user: user.append(ip)
            case .other: break
            }
        }
        self.kernel = kernel
        self.user = user
    }
}
