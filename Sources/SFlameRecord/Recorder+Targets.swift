// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

extension Recorder {
    /// Sets up what real-world targets need: module files read through containers' roots and
    /// /proc/PID/map_files (deleted or replaced binaries), followed children, system-wide
    /// recording, and names for processes first seen in a sample.
    func configureTargets(_ state: inout RecordingState) {
        let moduleFiles = self.moduleFiles
        state.moduleFiles = moduleFiles
        state.followsForks = options.followForks
        if case .systemWide = options.target {
            state.isSystemWide = true
            state.dropsIdle = !options.includesIdle
        }
        state.describeProcess = { pid, tid in
            // The idle task (one per CPU, pid 0) has no /proc entry; perf calls it swapper.
            if pid == 0 { return ("swapper", "swapper") }
            moduleFiles.observe(pid: pid)
            guard let process = ProcFS.processName(pid: pid) else { return nil }
            return (process, ProcFS.threadName(pid: pid, tid: tid))
        }
    }
}

extension Recorder {
    /// The processes of a `--pid` list, each once, in the order given: a thread ID stands for its
    /// process (`Tgid` in /proc/ID/status), and repeats are dropped, so `-p A,A` or `-p A,T` (T a
    /// thread of A) records A once. IDs that cannot be read are kept as given (validation names
    /// them).
    public static func uniqueProcesses(_ pids: [Int32]) -> [Int32] {
        var seen = Set<Int32>()
        var result: [Int32] = []
        for pid in pids {
            let process = ProcFS.threadGroup(of: pid) ?? pid
            if seen.insert(process).inserted { result.append(process) }
        }
        return result
    }

    /// The processes the profile covers: the targets, and with `--follow-forks` or `-a` every
    /// process with a sample.
    func recordedProcesses(_ state: RecordingState, targets: [Int32]) -> [Int32] {
        guard state.followsForks || state.isSystemWide else { return targets }
        var pids = Set(targets)
        for key in state.stacks.keys { pids.insert(key.pid) }
        return pids.sorted()
    }

    /// What the user should know about the targets' files and namespaces.
    func targetNotices(_ state: RecordingState) -> [String] {
        var lines: [String] = []
        if let files = state.moduleFiles {
            let targets = state.isSystemWide ? [] : state.targets.sorted()
            for pid in targets {
                let throughRoot = files.readThroughRoot.contains(pid)
                if let namespacePID = files.namespacePID(of: pid) {
                    let root = throughRoot ? "; its files were read through /proc/\(pid)/root" : ""
                    lines.append("PID \(pid) runs in another PID namespace as PID \(namespacePID) (label ns_pid)\(root).")
                } else if throughRoot {
                    lines.append("PID \(pid) has its own root directory; its files were read through /proc/\(pid)/root.")
                }
            }
            lines.append(contentsOf: files.notes)
        }
        if state.droppedIdleSamples > 0 {
            lines.append("left out \(state.droppedIdleSamples) sample\(state.droppedIdleSamples == 1 ? "" : "s") of idle CPUs (--no-idle).")
        }
        return lines
    }
}
