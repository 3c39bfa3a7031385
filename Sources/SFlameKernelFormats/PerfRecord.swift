// SPDX-License-Identifier: Apache-2.0
//
// Records read from a perf_event ring buffer, as Swift values. Source for every layout:
// include/uapi/linux/perf_event.h (`enum perf_event_type`) and perf_event_open(2), "MMAP
// layout". Only the record types sflame uses are decoded; the rest are `.other(type)`.

/// The `struct sample_id` trailer of non-sample records (present with `sample_id_all`).
public struct PerfSampleID: Hashable, Sendable {
    public var pid: Int32?
    public var tid: Int32?
    /// CLOCK_MONOTONIC nanoseconds (perf's default clock), when `.time` is sampled.
    public var time: UInt64?
    public var cpu: UInt32?
    public init(pid: Int32? = nil, tid: Int32? = nil, time: UInt64? = nil, cpu: UInt32? = nil) {
        self.pid = pid
        self.tid = tid
        self.time = time
        self.cpu = cpu
    }
}

/// PERF_RECORD_SAMPLE, with the fields sflame requests.
public struct PerfSample: Hashable, Sendable {
    /// The `misc` cpumode: 1 kernel, 2 user (PERF_RECORD_MISC_CPUMODE_MASK).
    public var cpuMode: UInt16
    public var ip: UInt64
    public var pid: Int32
    public var tid: Int32
    /// Nanoseconds on the event's clock (CLOCK_MONOTONIC by default).
    public var time: UInt64
    public var cpu: UInt32
    /// Events represented by this sample: nanoseconds for cpu-clock/task-clock.
    public var period: UInt64
    /// The raw PERF_SAMPLE_CALLCHAIN, leaf first, with context markers.
    public var callchain: [UInt64]
    /// PERF_SAMPLE_RAW bytes (tracepoint payloads), empty when not sampled.
    public var raw: [UInt8]
    /// PERF_SAMPLE_REGS_USER: the ABI (0 none, 1 32-bit, 2 64-bit) and the registers in mask
    /// bit order (arch/x86/include/uapi/asm/perf_regs.h).
    public var userRegisterABI: UInt64
    public var userRegisters: [UInt64]
    /// PERF_SAMPLE_STACK_USER: a copy of the user stack from the stack pointer up, truncated
    /// to the `dyn_size` the kernel could copy.
    public var userStack: [UInt8]
    /// PERF_SAMPLE_IDENTIFIER (or PERF_SAMPLE_ID): the id of the event that took the sample, as
    /// `ioctl(PERF_EVENT_IOC_ID)` reports it; 0 when not sampled. Tells apart several events
    /// writing into one ring buffer.
    public var identifier: UInt64 = 0

    public init(
        cpuMode: UInt16 = 0, ip: UInt64 = 0, pid: Int32 = 0, tid: Int32 = 0, time: UInt64 = 0, cpu: UInt32 = 0,
        period: UInt64 = 0, callchain: [UInt64] = [], raw: [UInt8] = [], userRegisterABI: UInt64 = 0,
        userRegisters: [UInt64] = [], userStack: [UInt8] = []
    ) {
        self.cpuMode = cpuMode
        self.ip = ip
        self.pid = pid
        self.tid = tid
        self.time = time
        self.cpu = cpu
        self.period = period
        self.callchain = callchain
        self.raw = raw
        self.userRegisterABI = userRegisterABI
        self.userRegisters = userRegisters
        self.userStack = userStack
    }
}

/// PERF_RECORD_MMAP and PERF_RECORD_MMAP2: a new mapping in a process.
public struct PerfMmap: Hashable, Sendable {
    public var pid: Int32
    public var tid: Int32
    /// Runtime address range start and length, bytes.
    public var start: UInt64
    public var length: UInt64
    /// File offset mapped at `start` (the kernel's pgoff, in bytes).
    public var fileOffset: UInt64
    /// Device, inode (MMAP2 without build-id).
    public var major: UInt32
    public var minor: UInt32
    public var inode: UInt64
    /// Build-id bytes (MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID), else empty.
    public var buildID: [UInt8]
    /// PROT_* bits (MMAP2), or PROT_EXEC for MMAP (which reports executable maps only).
    public var protection: UInt32
    public var flags: UInt32
    public var filename: String
    /// PERF_RECORD_MISC_MMAP_DATA: a non-executable mapping.
    public var isData: Bool
    public var sampleID: PerfSampleID

    public init(
        pid: Int32, tid: Int32, start: UInt64, length: UInt64, fileOffset: UInt64, major: UInt32 = 0,
        minor: UInt32 = 0, inode: UInt64 = 0, buildID: [UInt8] = [], protection: UInt32 = 4, flags: UInt32 = 0,
        filename: String, isData: Bool = false, sampleID: PerfSampleID = PerfSampleID()
    ) {
        self.pid = pid
        self.tid = tid
        self.start = start
        self.length = length
        self.fileOffset = fileOffset
        self.major = major
        self.minor = minor
        self.inode = inode
        self.buildID = buildID
        self.protection = protection
        self.flags = flags
        self.filename = filename
        self.isData = isData
        self.sampleID = sampleID
    }

    /// PROT_EXEC is set.
    public var isExecutable: Bool { protection & 4 != 0 }
}

/// PERF_RECORD_COMM: a thread's name changed (or it exec'ed, `isExec`).
public struct PerfComm: Hashable, Sendable {
    public var pid: Int32
    public var tid: Int32
    public var comm: String
    public var isExec: Bool
    public var sampleID: PerfSampleID

    public init(pid: Int32, tid: Int32, comm: String, isExec: Bool, sampleID: PerfSampleID = PerfSampleID()) {
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.isExec = isExec
        self.sampleID = sampleID
    }
}

/// PERF_RECORD_FORK / PERF_RECORD_EXIT: a task was created or exited.
public struct PerfTaskEvent: Hashable, Sendable {
    public var pid: Int32
    public var parentPID: Int32
    public var tid: Int32
    public var parentTID: Int32
    public var time: UInt64
    public var sampleID: PerfSampleID

    public init(pid: Int32, parentPID: Int32, tid: Int32, parentTID: Int32, time: UInt64, sampleID: PerfSampleID = PerfSampleID()) {
        self.pid = pid
        self.parentPID = parentPID
        self.tid = tid
        self.parentTID = parentTID
        self.time = time
        self.sampleID = sampleID
    }
}

/// PERF_RECORD_SWITCH / PERF_RECORD_SWITCH_CPU_WIDE: a context switch of the sampled task.
public struct PerfContextSwitch: Hashable, Sendable {
    /// True when the task was switched out (PERF_RECORD_MISC_SWITCH_OUT).
    public var isOut: Bool
    /// True when a switch out was a preemption (PERF_RECORD_MISC_SWITCH_OUT_PREEMPT).
    public var isPreempt: Bool
    /// The other task, for CPU-wide records.
    public var nextOrPreviousPID: Int32?
    public var nextOrPreviousTID: Int32?
    public var sampleID: PerfSampleID

    public init(isOut: Bool, isPreempt: Bool, nextOrPreviousPID: Int32? = nil, nextOrPreviousTID: Int32? = nil,
                sampleID: PerfSampleID = PerfSampleID()) {
        self.isOut = isOut
        self.isPreempt = isPreempt
        self.nextOrPreviousPID = nextOrPreviousPID
        self.nextOrPreviousTID = nextOrPreviousTID
        self.sampleID = sampleID
    }
}

/// One decoded ring-buffer record.
public enum PerfRecord: Hashable, Sendable {
    case sample(PerfSample)
    case mmap(PerfMmap)
    case comm(PerfComm)
    case fork(PerfTaskEvent)
    case exit(PerfTaskEvent)
    /// PERF_RECORD_LOST: `count` records were dropped because the buffer was full.
    case lost(count: UInt64, sampleID: PerfSampleID)
    /// PERF_RECORD_LOST_SAMPLES: `count` samples were dropped (e.g. by the callchain code).
    case lostSamples(count: UInt64, sampleID: PerfSampleID)
    /// PERF_RECORD_THROTTLE (true) / UNTHROTTLE (false): the kernel throttled the event.
    case throttle(Bool, time: UInt64)
    case contextSwitch(PerfContextSwitch)
    /// Any other record type, skipped.
    case other(type: UInt32)
}

/// Numeric record types. Source: include/uapi/linux/perf_event.h, `enum perf_event_type`.
public enum PerfRecordType {
    public static let mmap: UInt32 = 1
    public static let lost: UInt32 = 2
    public static let comm: UInt32 = 3
    public static let exit: UInt32 = 4
    public static let throttle: UInt32 = 5
    public static let unthrottle: UInt32 = 6
    public static let fork: UInt32 = 7
    public static let read: UInt32 = 8
    public static let sample: UInt32 = 9
    public static let mmap2: UInt32 = 10
    public static let lostSamples: UInt32 = 13
    public static let switchTask: UInt32 = 14
    public static let switchCPUWide: UInt32 = 15
}

/// `misc` bits. Source: include/uapi/linux/perf_event.h, PERF_RECORD_MISC_*.
public enum PerfRecordMisc {
    public static let cpuModeMask: UInt16 = 7
    public static let kernel: UInt16 = 1
    public static let user: UInt16 = 2
    public static let mmapData: UInt16 = 1 << 13
    public static let commExec: UInt16 = 1 << 13
    public static let switchOut: UInt16 = 1 << 13
    public static let mmapBuildID: UInt16 = 1 << 14
    public static let switchOutPreempt: UInt16 = 1 << 14
}
