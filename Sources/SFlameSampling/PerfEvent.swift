// SPDX-License-Identifier: Apache-2.0
internal import CShims

#if canImport(Glibc)
import Glibc
#endif

/// One perf_event file descriptor; closed in `deinit` (one owner, one place that closes).
public final class PerfEvent {
    /// The file descriptor.
    public let fd: Int32
    /// What it was opened for, for messages.
    public let label: String

    private init(fd: Int32, label: String) {
        self.fd = fd
        self.label = label
    }

    deinit { close(fd) }

    /// Opens an event. The corresponding system call is `perf_event_open`.
    ///
    /// - Parameters:
    ///   - tid: the thread to sample, or -1 for every task on `cpu`.
    ///   - cpu: the CPU, or -1 for any CPU the thread runs on.
    /// - Throws: `SamplingError` with the errno mapped by `PerfEventOpenFailure`.
    public static func open(
        _ configuration: PerfEventConfiguration, tid: Int32, cpu: Int32, sysctl: Sysctl = .system
    ) throws(SamplingError) -> PerfEvent {
        var attr = perf_event_attr()
        attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
        let (type, config) = configuration.event.typeAndConfig
        attr.type = type
        attr.config = config
        if let hz = configuration.frequencyHz {
            attr.freq = 1
            attr.sample_freq = hz
        } else {
            attr.sample_period = configuration.period
        }
        let layout = configuration.recordLayout
        attr.sample_type = layout.sampleType.rawValue
        attr.sample_regs_user = configuration.userRegisterMask
        attr.sample_stack_user = configuration.userStackBytes
        if let depth = configuration.maxCallchainDepth { attr.sample_max_stack = depth }
        attr.disabled = configuration.startDisabled ? 1 : 0
        attr.inherit = configuration.inherit ? 1 : 0
        attr.enable_on_exec = configuration.enableOnExec ? 1 : 0
        attr.exclude_kernel = configuration.excludeKernel ? 1 : 0
        attr.exclude_hv = 1
        attr.exclude_guest = 1
        attr.exclude_callchain_user = configuration.excludeUserCallchain ? 1 : 0
        attr.mmap = configuration.recordsMappings ? 1 : 0
        attr.mmap2 = configuration.recordsMappings ? 1 : 0
        attr.mmap_data = configuration.recordsDataMappings ? 1 : 0
        attr.comm = configuration.recordsTasks ? 1 : 0
        attr.comm_exec = configuration.recordsTasks ? 1 : 0
        attr.task = configuration.recordsTasks ? 1 : 0
        attr.context_switch = configuration.recordsContextSwitches ? 1 : 0
        attr.sample_id_all = 1
        attr.watermark = 1
        attr.wakeup_watermark = configuration.wakeupWatermarkBytes
        // Timestamps on CLOCK_MONOTONIC, so they compare with clock_gettime in sflame.
        attr.use_clockid = 1
        attr.clockid = Int32(CLOCK_MONOTONIC)

        let fd: Int32
        if case .uprobe(let probe) = configuration.event, probe.passesPathToKernel {
            // config1 points to the path only for the duration of the call: the kernel copies it.
            fd = probe.path.withCString { path in
                attr.config1 = UInt64(UInt(bitPattern: path))
                attr.config2 = probe.fileOffset
                return sflame_perf_event_open(&attr, tid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
            }
        } else {
            fd = sflame_perf_event_open(&attr, tid, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
        }
        if fd < 0 {
            let code = errno
            throw PerfEventOpenFailure.error(
                errno: code, event: configuration.event, tid: tid, cpu: cpu,
                excludeKernel: configuration.excludeKernel, sysctl: sysctl)
        }
        return PerfEvent(fd: fd, label: "\(configuration.event) tid \(tid) cpu \(cpu)")
    }

    /// Starts counting. The corresponding call is `ioctl(PERF_EVENT_IOC_ENABLE)`.
    public func enable() { _ = sflame_ioctl_ulong(fd, sflame_perf_ioc_enable(), 0) }

    /// Stops counting. The corresponding call is `ioctl(PERF_EVENT_IOC_DISABLE)`.
    public func disable() { _ = sflame_ioctl_ulong(fd, sflame_perf_ioc_disable(), 0) }

    /// The kernel's id of this event, as PERF_SAMPLE_IDENTIFIER reports it in samples (inherited
    /// events report their parent's id). The corresponding call is `ioctl(PERF_EVENT_IOC_ID)`.
    ///
    /// Throws: `.systemCall` when the ioctl fails (kernels before 3.12).
    public func id() throws(SamplingError) -> UInt64 {
        var value: UInt64 = 0
        let result = withUnsafeMutablePointer(to: &value) { pointer in
            sflame_ioctl_ulong(fd, sflame_perf_ioc_id(), UInt(bitPattern: pointer))
        }
        if result != 0 {
            throw SamplingError(.systemCall, operation: "ioctl(PERF_EVENT_IOC_ID) for \(label)", errno: errno)
        }
        return value
    }

    /// Sends this event's records to `target`'s ring buffer (both on the same CPU).
    /// The corresponding call is `ioctl(PERF_EVENT_IOC_SET_OUTPUT)`.
    public func redirectOutput(to target: PerfEvent) throws(SamplingError) {
        if sflame_ioctl_ulong(fd, sflame_perf_ioc_set_output(), UInt(target.fd)) != 0 {
            throw SamplingError(.systemCall, operation: "ioctl(PERF_EVENT_IOC_SET_OUTPUT) for \(label)", errno: errno)
        }
    }
}
