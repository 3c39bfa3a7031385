// SPDX-License-Identifier: Apache-2.0
import SFlameProfile

extension Profile {
    /// Folded stacks; with `processIDs` (`--per-process`) each process's root frame is
    /// `name-PID` (stackcollapse-perf.pl's `--pid` form) rather than its name, so forked workers
    /// and system-wide recordings keep one tower per process.
    ///
    /// Shape: `folded(options:)` yields one stack per sample in sample order (samples without the
    /// chosen value are skipped), so the roots are rewritten sample by sample.
    func folded(options: FoldOptions, processIDs: Bool) -> FoldedProfile {
        let folded = self.folded(options: options)
        guard processIDs, options.processRoot else { return folded }
        let valueIndex = options.sampleTypeIndex ?? defaultSampleTypeIndex
        var stacks = folded.stacks
        var index = 0
        for sample in samples where valueIndex < sample.values.count {
            defer { index += 1 }
            guard index < stacks.count, let pid = sample.numberLabel(Label.Key.pid),
                let name = sample.stringLabel(Label.Key.processName), stacks[index].frames.first == name
            else { continue }
            stacks[index].frames[0] = "\(name)-\(pid)"
        }
        return FoldedProfile(stacks: stacks)
    }
}
