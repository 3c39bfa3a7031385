// SPDX-License-Identifier: Apache-2.0
import Foundation
import SFlameKernelFormats
import SFlameProfile
import SFlameSampling
import SFlameSymbolication
import SFlameTestSupport
import Testing

@testable import SFlameRecord

/// The recorder on real-world targets, in process, where the profile's labels and mappings can be
/// inspected: containers, replaced binaries, kernel module symbols. Needs root.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root (perf_event_open on other processes, namespaces)"))
struct RealWorldTargetTests {
    func record(_ pid: Int32, seconds: Double = 2, callGraph: CallGraph = .default) throws -> Recording {
        var options = RecordOptions(target: .processes([pid]), frequencyHz: 499, durationSeconds: seconds)
        options.callGraph = callGraph
        return try Recorder(options: options).run()
    }

    @Test(
        "a process in its own PID and mount namespace: files read through /proc/PID/root, labelled with its PID inside",
        .enabled(if: NamespacedProcess.isSupported, "needs unshare, chroot and ldd"))
    func namespacedTarget() throws {
        let target = try NamespacedProcess(
            program: try Samples.path("two-hot"), arguments: ["60"], nameInside: "ns-two-hot")
        // Outside, the maps name a path that does not exist: only the process's root leads to it.
        let maps = try String(contentsOfFile: "/proc/\(target.hostPID)/maps", encoding: .utf8)
        let mapped = try #require(maps.split(separator: "\n").first { $0.hasSuffix("/app/ns-two-hot") })
        let shownPath = String(mapped.split(separator: " ", omittingEmptySubsequences: true).last!)
        #expect(!FileManager.default.fileExists(atPath: shownPath), "\(shownPath) exists outside the namespace")

        let recording = try record(target.hostPID)
        let folded = FoldedStacks(text: recording.profile.folded().text())
        #expect(folded.total > 200, "too few samples: \(folded.total)")
        let a = folded.share(containing: ["main", "run_loop", "path_a", "hot_a"])
        let b = folded.share(containing: ["main", "run_loop", "path_b", "hot_b"])
        #expect(abs(a - 0.75) <= 0.10 && abs(b - 0.25) <= 0.10, "hot_a \(a), hot_b \(b)")
        #expect(folded.stacks.allSatisfy { $0.frames.first == "ns-two-hot" })

        // Labels: pid is the host's PID, ns_pid the PID inside (1: the namespace's first process).
        let samples = recording.profile.samples
        #expect(samples.allSatisfy { $0.numberLabel(Label.Key.pid) == Int64(target.hostPID) })
        #expect(samples.allSatisfy { $0.numberLabel(Label.Key.namespacePID) == 1 })
        #expect(
            recording.notices.contains {
                $0.contains("PID \(target.hostPID) runs in another PID namespace as PID 1")
                    && $0.contains("/proc/\(target.hostPID)/root")
            }, "\(recording.notices)")
        // The executable's mapping keeps the path the process's maps give.
        #expect(recording.profile.mappings.contains { $0.filename == shownPath && !$0.buildID.isEmpty })
    }

    @Test("a file at the module's path is used only when its build-id matches the mapped file's")
    func replacedModulesAreComparedByBuildID() throws {
        let dir = try TemporaryDirectory()
        let program = try Samples.path("two-hot")
        let target = try SampleProcess(program, arguments: ["60"])
        let maps = try ProcFS.maps(pid: target.pid)
        let text = try #require(maps.first { $0.path == program && $0.isExecutable })
        let identity = FileIdentity(deviceMajor: text.deviceMajor, deviceMinor: text.deviceMinor, inode: text.inode)
        func mapped(at path: String) -> MappedFile {
            MappedFile(
                path: path, identity: identity, start: text.start, end: text.end, fileOffset: text.fileOffset,
                isDeleted: false)
        }

        // The same build at another path (what overlayfs looks like: another inode): used as named.
        let copy = dir.file("same-build")
        try FileManager.default.copyItem(atPath: program, toPath: copy)
        // Another build at the path (an upgrade): never used; the mapped file is read instead.
        let other = dir.file("other-build")
        try FileManager.default.copyItem(atPath: try Samples.path("two-hot-nofp"), toPath: other)
        #expect(ElfBuildID.read(path: copy) == ElfBuildID.read(path: program))
        #expect(ElfBuildID.read(path: other) != ElfBuildID.read(path: program))

        let files = ModuleFiles()
        #expect(files.openPath(pid: target.pid, file: mapped(at: program)) == program)
        #expect(files.openPath(pid: target.pid, file: mapped(at: copy)) == copy)
        let replaced = files.openPath(pid: target.pid, file: mapped(at: other))
        #expect(replaced.hasPrefix("/proc/self/fd/"))
        #expect(ElfBuildID.read(path: replaced) == ElfBuildID.read(path: program))
        #expect(files.notes.contains { $0.contains("other-build was replaced on disk") })
        // The build-id in the process's memory agrees (the fallback without /proc/PID/map_files).
        let header = try #require(maps.first { $0.path == program && $0.fileOffset == 0 })
        let image = try #require(ProcFS.readMemory(of: target.pid, address: header.start, count: Int(header.size)))
        #expect(ElfBuildID.read(image: image) == ElfBuildID.read(path: program))
    }

    /// BPF programs are JIT-compiled and listed in kallsyms (as module `[bpf]`) only with these.
    static let bpfProgramsInKallsyms: Bool = {
        func value(_ name: String) -> String? {
            (try? String(contentsOfFile: "/proc/sys/net/core/\(name)", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return value("bpf_jit_enable") != "0" && value("bpf_jit_enable") != nil && value("bpf_jit_kallsyms") == "1"
    }()

    @Test(
        "kernel module symbols (here a JIT-compiled BPF program, [bpf]) get their module as mapping",
        .enabled(if: bpfProgramsInKallsyms, "needs net.core.bpf_jit_enable=1 and net.core.bpf_jit_kallsyms=1"))
    func kernelModuleSymbols() throws {
        let target = try SampleProcess(try Samples.path("bpf-filter"), arguments: ["60"])
        let recording = try record(target.pid)
        let profile = recording.profile
        let filterLocations = profile.locations.filter { location in
            location.lines.contains { profile.function($0.functionID).name.hasSuffix("_sflame_filter") }
        }
        try #require(!filterLocations.isEmpty, "no samples in the BPF program")
        for location in filterLocations {
            let mapping = try #require(location.mappingID.map { profile.mapping($0) })
            #expect(mapping.filename == "[bpf]")
            #expect(mapping.kind == .kernel)
            #expect(location.lines.allSatisfy { profile.function($0.functionID).filename == "[bpf]" })
        }
        let folded = FoldedStacks(text: profile.folded().text())
        let inFilter = folded.stacks.filter { $0.frames.last?.hasSuffix("_sflame_filter_[k]") == true }
        #expect(Double(inFilter.reduce(0) { $0 + $1.weight }) / Double(folded.total) > 0.5)
        // The filter runs where the socket receives: under sk_filter_trim_cap, in the sending
        // thread's stack (loopback delivers in the sender's softirq). The kernel cannot always
        // unwind from inside a BPF program (a sample in its prologue gives a callchain of the
        // program alone, as perf shows too): nearly all samples, not all, have the whole path.
        let onPath = inFilter.filter { $0.frames.contains("sk_filter_trim_cap_[k]") && $0.frames.contains("pump_packets") }
        let onPathWeight = onPath.reduce(0) { $0 + $1.weight }
        let inFilterWeight = inFilter.reduce(0) { $0 + $1.weight }
        #expect(
            Double(onPathWeight) >= 0.9 * Double(inFilterWeight),
            "\(onPathWeight) of \(inFilterWeight): \(inFilter.filter { !$0.frames.contains("pump_packets") }.prefix(3))")
    }
}
