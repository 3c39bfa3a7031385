// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
import SFlameSampling

/// What a profile's sample values mean, which decides its sample types, the value each stack
/// contributes and its labels.
///
/// | mode        | sample types (default last in bold)                                            |
/// |-------------|--------------------------------------------------------------------------------|
/// | `.onCPU`    | `samples/count`, **`cpu/nanoseconds`** (or the event's type)                   |
/// | `.offCPU`   | `samples/count`, `cpu/nanoseconds`, `off-cpu/nanoseconds`, **`wall/nanoseconds`** |
/// | `.wallClock`| `samples/count`, **`wall/nanoseconds`**                                        |
///
/// In `.offCPU`, an on-CPU sample contributes its period to `cpu` and `wall`, an off-CPU
/// interval its length to `off-cpu` and `wall`; `wall` (on-CPU plus off-CPU time) is what the
/// folded stacks and the flame graph show. `go tool pprof -sample_index=off-cpu` shows the
/// waiting alone.
enum ProfileMode: Hashable, Sendable {
    case onCPU
    case offCPU
    case wallClock

    static let offCPUNanoseconds = ValueType(type: "off-cpu", unit: "nanoseconds")
    static let wallNanoseconds = ValueType(type: "wall", unit: "nanoseconds")

    func sampleTypes(cpu: ValueType) -> [ValueType] {
        switch self {
        case .onCPU: return [.samples, cpu]
        case .offCPU: return [.samples, .cpuNanoseconds, Self.offCPUNanoseconds, Self.wallNanoseconds]
        case .wallClock: return [.samples, Self.wallNanoseconds]
        }
    }

    /// The default sample type's name (what folded output and flame graphs weigh), nil for
    /// pprof's rule (the last).
    var defaultSampleType: String {
        switch self {
        case .onCPU: return ValueType.samples.type
        case .offCPU, .wallClock: return Self.wallNanoseconds.type
        }
    }

    /// One stack's values: `count` samples (or intervals) of total `weight` (the period sum,
    /// nanoseconds for the timers and for off-CPU and wall-clock weights).
    func values(count: Int, weight: UInt64, threadState: ThreadState?) -> [Int64] {
        let c = Int64(count)
        let w = Int64(clamping: weight)
        switch self {
        case .onCPU: return [c, w]
        case .offCPU: return threadState == nil ? [c, w, 0, w] : [c, 0, w, w]
        case .wallClock: return [c, w]
        }
    }

    /// Whether samples carry the `thread_state` label (every sample in the wall-clock and
    /// off-CPU modes: `running` when no state was recorded).
    var labelsThreadState: Bool { self != .onCPU }
}
