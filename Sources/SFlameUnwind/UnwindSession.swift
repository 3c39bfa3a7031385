// SPDX-License-Identifier: Apache-2.0

/// The unwinding state of one recording: which unwinder, the module files shared by every
/// process, and the debug-file search path for libdw.
///
/// Module files are mapped once per session and kept until it ends; each module's CFI is parsed
/// once per process unwinder (libdw and libunwind cache it) — never per sample. Not thread-safe:
/// a session and its unwinders belong to the thread that reads the samples.
public final class UnwindSession {
    /// The unwinder every ``ProcessUnwinder`` of this session uses.
    public let kind: UnwinderKind
    /// Frames per stack before unwinding stops with ``UnwindStop/frameLimit``. Default 1024.
    public let maxFrames: Int
    let images = ModuleImageCache()
    let debugInfo: DebugInfoSearch

    /// - Parameters:
    ///   - debugInfoPaths: extra roots for separate debug files (libdw's `.debug_frame`), searched
    ///     before `/usr/lib/debug`.
    public init(kind: UnwinderKind, debugInfoPaths: [String] = [], maxFrames: Int = 1024) {
        self.kind = kind
        self.maxFrames = max(1, maxFrames)
        self.debugInfo = DebugInfoSearch(extraRoots: debugInfoPaths)
    }

    /// A new unwinder for one process, with no mappings yet.
    public func makeUnwinder(processID: Int32) -> ProcessUnwinder {
        ProcessUnwinder(processID: processID, session: self)
    }

    /// The `PT_INTERP` path of an executable (its dynamic loader), or nil for a static
    /// executable or a file that cannot be read.
    public func interpreter(ofExecutable path: String) -> String? {
        (try? images.image(path: path).get())?.interpreter
    }
}

/// One process's unwinder: its modules at their load biases, and a libdw or libunwind backend
/// that keeps its parsed CFI for the life of the process.
public final class ProcessUnwinder {
    public let processID: Int32
    private let session: UnwindSession
    let memory = SampleMemory()
    private var backend: UnwindBackend!
    /// Modules that could not be used, once each (for the quality report).
    public private(set) var moduleErrors: [UnwindError] = []
    private var failedPaths: Set<String> = []

    init(processID: Int32, session: UnwindSession) {
        self.processID = processID
        self.session = session
        switch session.kind {
        case .libdw: backend = LibdwBackend(processID: processID, memory: memory, debugInfo: session.debugInfo)
        case .libunwind: backend = LibunwindBackend(memory: memory, maxFrames: session.maxFrames)
        }
    }

    /// Brings the unwinder's modules in line with the process's executable mappings: new modules
    /// are added; if a module is gone (unmapped, or the process called exec) everything is
    /// rebuilt. Cheap when nothing changed; call it after the mappings change.
    public func setMappings(_ mappings: [ExecutableMapping]) {
        var wanted: [LoadedModule.Key: LoadedModule] = [:]
        for mapping in mappings {
            if failedPaths.contains(mapping.path) { continue }
            switch session.images.image(path: mapping.path) {
            case .failure(let error):
                failedPaths.insert(mapping.path)
                moduleErrors.append(error)
            case .success(let image):
                // Cheap: the key needs only the bias, which `LoadedModule` computes from the headers.
                guard let module = LoadedModule(image: image, mapping: mapping) else { continue }
                if wanted[module.key] == nil { wanted[module.key] = module }
            }
        }
        let current = memory.modules.modules
        if current.contains(where: { wanted[$0.key] == nil }) {
            memory.modules.removeAll()
            backend.reset()
        }
        for module in wanted.values.sorted(by: { $0.range.lowerBound < $1.range.lowerBound })
        where !memory.modules.contains(module.key) {
            memory.modules.add(module)
            backend.add(module)
        }
    }

    /// Unwinds the user stack of one sample.
    ///
    /// - Parameters:
    ///   - registers: the sampled user registers.
    ///   - stack: the copy of the stack from `registers.stackPointer` upwards (PERF_SAMPLE_STACK_USER).
    ///   - threadID: the sampled thread.
    ///   - live: reads the target's memory for addresses outside the copy (ptrace sampling);
    ///     nil when only the copy is available.
    /// - Returns: the frames, leaf first, and why unwinding stopped.
    public func unwind(
        registers: UserRegisters, stack: UnsafeRawBufferPointer, threadID: Int32, live: MemoryReader? = nil
    ) -> UnwoundStack {
        memory.begin(registers: registers, stack: stack, live: live)
        defer { memory.end() }
        guard !memory.modules.modules.isEmpty else {
            return UnwoundStack(
                frames: [UnwoundFrame(programCounter: registers.instructionPointer, isReturnAddress: false)],
                stop: .noUnwindInfo(programCounter: registers.instructionPointer))
        }
        return backend.unwind(threadID: threadID, maxFrames: session.maxFrames)
    }

    /// Unwinds from a stack copy held in an array.
    public func unwind(registers: UserRegisters, stack: [UInt8], threadID: Int32) -> UnwoundStack {
        stack.withUnsafeBytes { unwind(registers: registers, stack: $0, threadID: threadID) }
    }
}

/// What the two unwinders have in common.
protocol UnwindBackend: AnyObject {
    /// Reports a module (its CFI is parsed lazily, once).
    func add(_ module: LoadedModule)
    /// Forgets every module and all cached unwind information.
    func reset()
    /// Unwinds the sample currently in the shared ``SampleMemory``.
    func unwind(threadID: Int32, maxFrames: Int) -> UnwoundStack
}
