// SPDX-License-Identifier: Apache-2.0

/// A kernel CPU list such as `0-3,8,10-11` (/sys/devices/system/cpu/online).
///
/// Source: Documentation/admin-guide/cputopology.rst, "cpu list format".
public enum CPUList {
    /// The CPU numbers, ascending. Throws `KernelFormatsError(.malformedLine)` on bad text.
    public static func parse(_ text: String) throws(KernelFormatsError) -> [Int] {
        var cpus: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-")
            if bounds.count == 1, let n = Int(bounds[0]) {
                cpus.append(n)
            } else if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b {
                cpus.append(contentsOf: a...b)
            } else {
                throw KernelFormatsError(.malformedLine, "not a CPU list: '\(text.prefix(80))'", line: 1)
            }
        }
        return cpus.sorted()
    }
}
