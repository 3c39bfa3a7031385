// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// How to open a sampling event: the Swift face of `struct perf_event_attr`.
///
/// Source: perf_event_open(2); include/uapi/linux/perf_event.h.
public struct PerfEventConfiguration: Hashable, Sendable {
    /// The event. Default `.cpuClock`.
    public var event: EventSource
    /// Samples per second per thread (frequency mode, `freq = 1`); when nil `period` is
    /// used. Default 99.
    public var frequencyHz: UInt64?
    /// Events per sample (period mode). Used when `frequencyHz` is nil. Default 1.
    public var period: UInt64
    /// The sample fields. Default IP, TID, TIME, CPU, PERIOD, CALLCHAIN.
    public var sampleType: PerfSampleType
    /// Leave kernel code out (`exclude_kernel`); needed at perf_event_paranoid ≥ 2 without
    /// CAP_PERFMON. Default false.
    public var excludeKernel: Bool
    /// Largest callchain the kernel collects (`sample_max_stack`); nil for the system's
    /// kernel.perf_event_max_stack. Default nil.
    public var maxCallchainDepth: UInt16?
    /// PERF_SAMPLE_REGS_USER mask (arch/x86/include/uapi/asm/perf_regs.h). Default 0.
    public var userRegisterMask: UInt64
    /// PERF_SAMPLE_STACK_USER bytes per sample, a multiple of 8. Default 0.
    public var userStackBytes: UInt32
    /// Child tasks (threads and processes created later) inherit the event and write into
    /// the parent's buffer. Default true.
    public var inherit: Bool
    /// Enable the event when the task calls exec (launching a command). Default false.
    public var enableOnExec: Bool
    /// Open disabled; call `enable()` later. Default true.
    public var startDisabled: Bool
    /// Emit PERF_RECORD_MMAP2 (with `mmap_data` for data mappings when requested),
    /// PERF_RECORD_COMM, PERF_RECORD_FORK/EXIT. Default true for all but data mappings.
    public var recordsMappings: Bool
    public var recordsDataMappings: Bool
    public var recordsTasks: Bool
    /// Emit PERF_RECORD_SWITCH for the sampled tasks (off-CPU analysis). Default false.
    public var recordsContextSwitches: Bool
    /// Wake the reader when this many bytes are in the buffer. Default 64 KiB.
    public var wakeupWatermarkBytes: UInt32
    /// Leave the user part out of PERF_SAMPLE_CALLCHAIN (`exclude_callchain_user`), when user
    /// stacks are unwound from PERF_SAMPLE_STACK_USER copies instead. Default false.
    public var excludeUserCallchain: Bool = false

    public init(
        event: EventSource = .cpuClock, frequencyHz: UInt64? = 99, period: UInt64 = 1,
        sampleType: PerfSampleType = [.ip, .tid, .time, .cpu, .period, .callchain], excludeKernel: Bool = false,
        maxCallchainDepth: UInt16? = nil, userRegisterMask: UInt64 = 0, userStackBytes: UInt32 = 0,
        inherit: Bool = true, enableOnExec: Bool = false, startDisabled: Bool = true, recordsMappings: Bool = true,
        recordsDataMappings: Bool = false, recordsTasks: Bool = true, recordsContextSwitches: Bool = false,
        wakeupWatermarkBytes: UInt32 = 64 * 1024
    ) {
        self.event = event
        self.frequencyHz = frequencyHz
        self.period = period
        self.sampleType = sampleType
        self.excludeKernel = excludeKernel
        self.maxCallchainDepth = maxCallchainDepth
        self.userRegisterMask = userRegisterMask
        self.userStackBytes = userStackBytes
        self.inherit = inherit
        self.enableOnExec = enableOnExec
        self.startDisabled = startDisabled
        self.recordsMappings = recordsMappings
        self.recordsDataMappings = recordsDataMappings
        self.recordsTasks = recordsTasks
        self.recordsContextSwitches = recordsContextSwitches
        self.wakeupWatermarkBytes = wakeupWatermarkBytes
    }

    /// The layout a decoder needs for this configuration's records.
    public var recordLayout: PerfRecordLayout {
        PerfRecordLayout(
            sampleType: userRegisterMask == 0 ? sampleType.subtracting(.regsUser) : sampleType.union(.regsUser),
            userRegisterMask: userRegisterMask, sampleIDAll: true)
    }
}
