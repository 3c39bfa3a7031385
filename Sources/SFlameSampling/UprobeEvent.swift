// SPDX-License-Identifier: Apache-2.0

/// The `uprobe` PMU through which perf_event_open creates user-space probes without tracefs:
/// its dynamic `type` and the `config` bit that turns a probe into a return probe.
///
/// Source: perf_event_open(2), "kprobe and uprobe" (Linux 4.17+):
/// /sys/bus/event_source/devices/uprobe/type and .../format/retprobe (`config:0`).
public struct UprobePMU: Hashable, Sendable {
    /// `perf_event_attr.type` for probes.
    public var type: UInt32
    /// The bit of `perf_event_attr.config` that asks for a return probe (uretprobe).
    public var retprobeBit: Int

    public init(type: UInt32, retprobeBit: Int) {
        self.type = type
        self.retprobeBit = retprobeBit
    }

    /// The sysfs directory of the PMU.
    public static let sysfsPath = "/sys/bus/event_source/devices/uprobe"

    /// Reads the PMU's type and retprobe bit from sysfs.
    ///
    /// Throws: `.unsupportedEvent` when the kernel has no uprobe PMU (built without
    /// CONFIG_UPROBE_EVENTS, or older than 4.17), naming the file that is missing.
    public static func load(sysfsPath: String = sysfsPath) throws(SamplingError) -> UprobePMU {
        let typePath = "\(sysfsPath)/type"
        let formatPath = "\(sysfsPath)/format/retprobe"
        guard let typeText = try? ProcFS.readText(typePath),
            let type = UInt32(typeText.trimmingSpaces)
        else {
            throw SamplingError(
                .unsupportedEvent, operation: "reading \(typePath)",
                explanation: "This kernel has no uprobe PMU for perf_event_open (it needs Linux 4.17+ built with "
                    + "CONFIG_UPROBE_EVENTS), so allocator functions cannot be probed. The /proc memory timeline "
                    + "(`sflame mem` without --alloc/--leaks) and --page-faults still work.")
        }
        // "config:0" → bit 0. The file's absence on a kernel with the PMU would be unusual; perf
        // then assumes bit 0 too.
        var bit = 0
        if let format = try? ProcFS.readText(formatPath), let colon = format.firstIndex(of: ":"),
            let parsed = Int(format[format.index(after: colon)...].trimmingSpaces)
        {
            bit = parsed
        }
        return UprobePMU(type: type, retprobeBit: bit)
    }
}

/// A probe on one instruction of an ELF file: every process that maps the file and runs the
/// instruction traps into the kernel, which samples the thread (registers, callchain) when the
/// event is attached to it, and then resumes it. A return probe fires when the probed function
/// returns to its caller instead.
///
/// Two placements give the same samples (a trace_uprobe's perf handler either way):
/// - `.tracefs`: the probe is defined once in tracefs (`UprobeDefinition`) and every perf event
///   is a tracepoint event on its id; many events share one probe and close quickly.
/// - `.pmu`: each perf event creates its own probe through the uprobe PMU (`config1` points to
///   the path, `config2` is the offset); closing each event removes its probe and waits for an
///   RCU grace period (about 0.1 s per event, one at a time).
///
/// Source: perf_event_open(2) ("kprobe and uprobe"); Documentation/trace/uprobetracer.rst.
public struct UprobeEvent: Hashable, Sendable, CustomStringConvertible {
    /// How the perf events of a probe reach it.
    public enum Placement: Hashable, Sendable {
        /// Each perf event creates its own probe through the uprobe PMU.
        case pmu(UprobePMU)
        /// A probe defined in tracefs: perf events are PERF_TYPE_TRACEPOINT events on `id`
        /// (`events/GROUP/NAME/id`).
        case tracefs(id: UInt64)
    }

    /// The file the probe is in (as the target maps it; the kernel resolves it to an inode).
    public var path: String
    /// Byte offset of the probed instruction in the file (not a virtual address).
    public var fileOffset: UInt64
    /// A return probe (uretprobe): fires on return, with the return value in the registers.
    public var isReturn: Bool
    /// A name for messages, such as `malloc`.
    public var label: String
    public var placement: Placement

    public init(path: String, fileOffset: UInt64, isReturn: Bool, label: String, placement: Placement) {
        self.path = path
        self.fileOffset = fileOffset
        self.isReturn = isReturn
        self.label = label
        self.placement = placement
    }

    /// `uprobe:malloc` or `uretprobe:malloc`.
    public var description: String { "\(isReturn ? "uretprobe" : "uprobe"):\(label)" }

    /// `perf_event_attr.type` and `config`.
    var typeAndConfig: (type: UInt32, config: UInt64) {
        switch placement {
        case .pmu(let pmu): return (pmu.type, isReturn ? 1 << UInt64(pmu.retprobeBit) : 0)
        case .tracefs(let id): return (2, id)  // PERF_TYPE_TRACEPOINT
        }
    }

    /// Whether `perf_event_attr.config1`/`config2` carry the path and offset (PMU probes only).
    var passesPathToKernel: Bool {
        if case .pmu = placement { return true }
        return false
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s = s.dropLast() }
        return s
    }
}

extension Substring {
    var trimmingSpaces: Substring { String(self).trimmingSpaces }
}
