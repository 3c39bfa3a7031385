// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameProfile

/// A user or kernel frame as recorded, before symbolization.
enum FrameRef: Hashable {
    /// A kernel address.
    case kernel(UInt64)
    /// An address inside a file-backed module: its index in `RecordingState.modules` and the
    /// file offset (already moved back into the call instruction for return addresses).
    case module(Int32, fileOffset: UInt64)
    /// An address in memory without a file (`[vdso]`, JIT code), named by the mapping.
    case anonymous(name: String, address: UInt64)
    /// An address outside every known mapping.
    case unmapped(UInt64)
}

/// One unique stack of one thread, and what the samples with it weigh.
struct StackKey: Hashable {
    var pid: Int32
    var tid: Int32
    /// Leaf first: kernel frames, then user frames.
    var frames: [FrameRef]
    /// How many of `frames` are kernel frames.
    var kernelCount: Int
    /// The kernel's callchain was as long as it collects (the root end is cut off).
    var hitCallchainLimit: Bool
    /// Why DWARF unwinding of the user part stopped; nil with frame pointers.
    var userStop: UserStackStop? = nil
    /// The thread's state in wall-clock and off-CPU samples (a waiting state adds a leaf frame).
    var threadState: ThreadState? = nil
}

/// A module seen in the target's mappings.
struct ModuleRecord: Hashable {
    struct Key: Hashable {
        var path: String
        var inode: UInt64
    }
    var path: String
    var inode: UInt64
    /// The path sflame opens to read it.
    var openPath: String
}

/// Everything learned from the ring buffers so far: address spaces, threads, and the stack
/// table. Pure bookkeeping over `PerfRecord` values, so it is testable without the kernel.
struct RecordingState {
    var addressSpaces: [Int32: AddressSpace] = [:]
    var modules: [ModuleRecord] = []
    private var moduleIndex: [ModuleRecord.Key: Int32] = [:]
    var processNames: [Int32: String] = [:]
    var threadNames: [Int32: String] = [:]
    var threadProcess: [Int32: Int32] = [:]
    var stacks: [StackKey: (count: Int, period: UInt64)] = [:]
    /// Threads that had at least one sample.
    private(set) var sampledThreads: Set<Int32> = []
    var stats = SamplingStats()
    /// The processes whose samples are kept.
    var targets: Set<Int32>
    /// Processes that exited (PERF_RECORD_EXIT of their main thread).
    var exited: Set<Int32> = []
    var includeKernel: Bool
    /// The callchain depth the kernel collects (kernel.perf_event_max_stack).
    var maxCallchainDepth: Int
    /// Asked for when a sampled address is outside every known mapping of a live process;
    /// returns fresh /proc/PID/maps, or nil when it may not be read again yet.
    var refreshMappings: ((Int32) -> [ProcMapping]?)?
    /// Set in DWARF mode: user frames come from unwinding each sample's stack copy.
    var dwarf: DwarfUnwinding?
    /// Bumped whenever a process's mappings change, so its unwinder resynchronizes.
    var mappingGenerations: [Int32: Int] = [:]

    init(targets: Set<Int32>, includeKernel: Bool, maxCallchainDepth: Int) {
        self.targets = targets
        self.includeKernel = includeKernel
        self.maxCallchainDepth = maxCallchainDepth
    }

    mutating func module(path: String, inode: UInt64) -> Int32 {
        let key = ModuleRecord.Key(path: path, inode: inode)
        if let i = moduleIndex[key] { return i }
        let i = Int32(modules.count)
        modules.append(ModuleRecord(path: path, inode: inode, openPath: path))
        moduleIndex[key] = i
        return i
    }

    /// Loads a process's mappings from /proc/PID/maps text.
    mutating func load(pid: Int32, mappings: [ProcMapping]) {
        var space = AddressSpace()
        for m in mappings where m.isExecutable {
            space.insert(range(for: m))
        }
        addressSpaces[pid] = space
        mappingGenerations[pid, default: 0] += 1
    }

    private mutating func range(for m: ProcMapping) -> AddressSpace.Range {
        let module: Int32? =
            m.isFileBacked ? module(path: m.path, inode: m.inode) : m.path == "[vdso]" ? module(path: m.path, inode: 0) : nil
        return AddressSpace.Range(
            start: m.start, end: m.end, fileOffset: m.fileOffset, module: module, name: m.path.isEmpty ? "//anon" : m.path,
            isExecutable: m.isExecutable)
    }

    /// Applies one record.
    mutating func apply(_ record: PerfRecord) {
        switch record {
        case .sample(let s): addSample(s)
        case .mmap(let m):
            guard m.isExecutable, !m.isData else { return }
            let isFile = m.filename.hasPrefix("/") && !m.filename.hasPrefix("/memfd:")
            let module: Int32? =
                isFile
                ? module(path: m.filename, inode: m.inode)
                : m.filename == "[vdso]" ? module(path: m.filename, inode: 0) : nil
            addressSpaces[m.pid, default: AddressSpace()].insert(
                AddressSpace.Range(
                    start: m.start, end: m.start &+ m.length, fileOffset: m.fileOffset, module: module,
                    name: m.filename.isEmpty ? "//anon" : m.filename, isExecutable: true))
            mappingGenerations[m.pid, default: 0] += 1
        case .comm(let c):
            threadNames[c.tid] = c.comm
            threadProcess[c.tid] = c.pid
            if c.pid == c.tid { processNames[c.pid] = c.comm }
            if c.isExec && c.pid == c.tid && targets.contains(c.pid) {
                // exec replaced the address space; MMAP2 records for the new image follow.
                addressSpaces[c.pid] = AddressSpace()
                mappingGenerations[c.pid, default: 0] += 1
            }
        case .fork(let f):
            threadProcess[f.tid] = f.pid
            if f.pid != f.parentPID, targets.contains(f.parentPID) {
                // A forked child starts with a copy of its parent's address space.
                addressSpaces[f.pid] = addressSpaces[f.parentPID]
                mappingGenerations[f.pid, default: 0] += 1
                if let name = processNames[f.parentPID] { processNames[f.pid] = name }
            }
            if let name = threadNames[f.parentTID], threadNames[f.tid] == nil { threadNames[f.tid] = name }
        case .exit(let e):
            if e.pid == e.tid { exited.insert(e.pid) }
        case .lost(let count, _): stats.lostRecords += count
        case .lostSamples(let count, _): stats.lostSamples += count
        case .throttle(let on, _): if on { stats.throttles += 1 }
        case .contextSwitch, .other: break
        }
    }

    /// Adds a sample's stack. `threadState` and `weight` (which replaces the sample's period) are
    /// given for off-CPU intervals and ptrace samples.
    mutating func addSample(_ s: PerfSample, threadState: ThreadState? = nil, weight: UInt64? = nil) {
        guard var key = stackKey(for: s) else { return }
        key.threadState = threadState
        let period = weight ?? s.period
        let value = period == 0 ? 1 : period
        if let existing = stacks[key] {
            stacks[key] = (existing.count + 1, existing.period &+ value)
        } else {
            stacks[key] = (1, value)
        }
    }

    /// The stack of one sample of a target process, with the sample counted in `stats`; nil (and
    /// counted as foreign) for a process outside the targets. Does not touch the stack table, so
    /// recorders with their own weights (allocation sizes) can keep their own.
    mutating func stackKey(for s: PerfSample) -> StackKey? {
        guard targets.contains(s.pid) else {
            stats.foreignSamples += 1
            return nil
        }
        stats.samples += 1
        if sampledThreads.insert(s.tid).inserted {
            stats.threads = sampledThreads.count
            if threadProcess[s.tid] == nil { threadProcess[s.tid] = s.pid }
        }
        let split = s.callchain.isEmpty ? SplitCallchain(kernel: [], user: [s.ip]) : SplitCallchain(raw: s.callchain)
        var frames: [FrameRef] = []
        frames.reserveCapacity(split.kernel.count + split.user.count)
        if includeKernel {
            for ip in split.kernel { frames.append(.kernel(ip)) }
        }
        let kernelCount = frames.count
        // DWARF mode unwinds the sampled stack copy; a sample without registers but with a user
        // callchain (an event opened without stack copies) keeps its frame-pointer frames.
        if let dwarf, s.userRegisterABI != 0 || split.user.isEmpty {
            let (user, stop) = dwarfUserFrames(s, with: dwarf)
            frames.append(contentsOf: user)
            return StackKey(
                pid: s.pid, tid: s.tid, frames: frames, kernelCount: kernelCount, hitCallchainLimit: false,
                userStop: stop)
        }
        if split.user.isEmpty && s.cpuMode == 2 { stats.emptyCallchains += 1 }
        // The first address of the whole chain is where the thread was; every later one is a
        // return address, which is moved back by one byte into its call instruction so it
        // symbolizes to the caller even when the call is a function's last instruction.
        var isFirst = split.kernel.isEmpty
        for ip in split.user {
            let address = isFirst ? ip : ip &- 1
            isFirst = false
            frames.append(resolve(pid: s.pid, address: address))
        }
        let hitLimit = s.callchain.count >= maxCallchainDepth
        if hitLimit { stats.callchainLimitHits += 1 }
        return StackKey(pid: s.pid, tid: s.tid, frames: frames, kernelCount: kernelCount, hitCallchainLimit: hitLimit)
    }

    mutating func resolve(pid: Int32, address: UInt64) -> FrameRef {
        if let ref = lookup(pid: pid, address: address) { return ref }
        if let fresh = refreshMappings?(pid) {
            var space = AddressSpace()
            for m in fresh where m.isExecutable { space.insert(range(for: m)) }
            addressSpaces[pid] = space
            mappingGenerations[pid, default: 0] += 1
            if let ref = lookup(pid: pid, address: address) { return ref }
        }
        stats.unmappedFrames += 1
        return .unmapped(address)
    }

    private func lookup(pid: Int32, address: UInt64) -> FrameRef? {
        guard let r = addressSpaces[pid]?.lookup(address) else { return nil }
        if let module = r.module {
            return .module(module, fileOffset: address - r.start + r.fileOffset)
        }
        return .anonymous(name: r.name, address: address)
    }
}
