// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats

/// One reading of a process's memory.
///
/// Shape: `values` holds only the fields the kernel printed: a field this kernel lacks is
/// absent, never zero. Units: bytes (`threads`: a count); `time` is seconds since the first
/// sample; `monotonicNanoseconds` is CLOCK_MONOTONIC when the reading started.
public struct MemorySample: Hashable, Sendable {
    public var time: Double
    public var monotonicNanoseconds: UInt64
    public var values: [MemoryField: UInt64]

    public init(time: Double, monotonicNanoseconds: UInt64 = 0, values: [MemoryField: UInt64] = [:]) {
        self.time = time
        self.monotonicNanoseconds = monotonicNanoseconds
        self.values = values
    }

    public subscript(_ field: MemoryField) -> UInt64? { values[field] }

    /// The fields of /proc/PID/status (`VmRSS`, `RssAnon`, … in bytes, `Threads` as a count).
    public mutating func add(status: ProcKeyValues) {
        for field in MemoryField.allCases where field.source == .status {
            let value =
                field == .threads
                ? status.integer(field.kernelKey).map { UInt64(max(0, $0)) } : status.bytes(field.kernelKey)
            if let value { values[field] = value }
        }
    }

    /// The fields of /proc/PID/smaps_rollup.
    public mutating func add(smapsRollup rollup: ProcKeyValues) {
        for field in MemoryField.allCases where field.source == .smapsRollup {
            if let value = rollup.bytes(field.kernelKey) { values[field] = value }
        }
    }

    /// The smaps_rollup fields that can be summed over /proc/PID/smaps (for kernels without
    /// smaps_rollup): `Pss`, `Private_Dirty`, `Swap`, `SwapPss`. A field no mapping prints stays
    /// absent.
    public mutating func add(summing smaps: [ProcSmapsEntry]) {
        let fields: [(MemoryField, SmapsField)] = [
            (.pss, .pss), (.privateDirty, .privateDirty), (.swap, .swap), (.swapPss, .swapPss),
        ]
        for (field, smapsField) in fields {
            var total: UInt64?
            for entry in smaps {
                if let v = entry[smapsField] { total = (total ?? 0) &+ v }
            }
            if let total { values[field] = total }
        }
    }
}
