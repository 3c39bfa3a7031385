// SPDX-License-Identifier: Apache-2.0

/// What triggers a sample.
///
/// Source: perf_event_open(2), `type` and `config`; include/uapi/linux/perf_event.h
/// (`perf_sw_ids`, `perf_hw_id`).
public enum EventSource: Hashable, Sendable, CustomStringConvertible {
    /// The software cpu-clock timer (PERF_COUNT_SW_CPU_CLOCK): on-CPU time, period in ns.
    case cpuClock
    /// The task-clock timer (PERF_COUNT_SW_TASK_CLOCK): CPU time of the task, period in ns.
    case taskClock
    /// Page faults (PERF_COUNT_SW_PAGE_FAULTS): period in faults.
    case pageFaults
    /// A hardware counter (PERF_TYPE_HARDWARE); often unsupported in VMs.
    case hardware(HardwareCounter)
    /// A tracepoint (PERF_TYPE_TRACEPOINT) by its id from tracefs `events/GROUP/NAME/id`.
    case tracepoint(name: String, id: UInt64)
    /// A user-space probe or return probe on an instruction of an ELF file (defined in tracefs,
    /// or through the `uprobe` PMU); period 1 samples every hit.
    case uprobe(UprobeEvent)

    public enum HardwareCounter: UInt64, Sendable {
        case cycles = 0
        case instructions = 1
        case cacheReferences = 2
        case cacheMisses = 3
        case branchInstructions = 4
        case branchMisses = 5
    }

    /// Parses perf's event names: `cpu-clock`, `task-clock`, `page-faults` (`faults`),
    /// `cycles` (`cpu-cycles`), `instructions`, `cache-references`, `cache-misses`,
    /// `branches`, `branch-misses`. Nil for anything else.
    public init?(name: String) {
        switch name {
        case "cpu-clock": self = .cpuClock
        case "task-clock": self = .taskClock
        case "page-faults", "faults": self = .pageFaults
        case "cycles", "cpu-cycles": self = .hardware(.cycles)
        case "instructions": self = .hardware(.instructions)
        case "cache-references": self = .hardware(.cacheReferences)
        case "cache-misses": self = .hardware(.cacheMisses)
        case "branches", "branch-instructions": self = .hardware(.branchInstructions)
        case "branch-misses": self = .hardware(.branchMisses)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .cpuClock: return "cpu-clock"
        case .taskClock: return "task-clock"
        case .pageFaults: return "page-faults"
        case .hardware(let c):
            switch c {
            case .cycles: return "cycles"
            case .instructions: return "instructions"
            case .cacheReferences: return "cache-references"
            case .cacheMisses: return "cache-misses"
            case .branchInstructions: return "branches"
            case .branchMisses: return "branch-misses"
            }
        case .tracepoint(let name, _): return name
        case .uprobe(let probe): return probe.description
        }
    }

    /// True for the software timers whose period is nanoseconds of CPU time.
    public var isTimer: Bool { self == .cpuClock || self == .taskClock }

    /// perf_event_attr `type` and `config`.
    var typeAndConfig: (type: UInt32, config: UInt64) {
        switch self {
        case .cpuClock: return (1, 0)  // PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK
        case .taskClock: return (1, 1)  // PERF_COUNT_SW_TASK_CLOCK
        case .pageFaults: return (1, 2)  // PERF_COUNT_SW_PAGE_FAULTS
        case .hardware(let c): return (0, c.rawValue)  // PERF_TYPE_HARDWARE
        case .tracepoint(_, let id): return (2, id)  // PERF_TYPE_TRACEPOINT
        case .uprobe(let probe): return probe.typeAndConfig  // the PMU's dynamic type, or a tracepoint
        }
    }
}
