// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The per-path state of a ``Symbolizer``: the opened module (or why it could not be opened),
/// its ``ModuleInfo`` and the symbolized addresses, all behind one lock.
///
/// The lock also serializes every libdwfl call on the module, since a `Dwfl` session is not
/// thread-safe. Different modules are independent and can be used in parallel.
final class ModuleSlot: Sendable {
    private struct State {
        /// Nil until first use; a failure is kept so the path is never retried.
        var module: Result<ElfModule, SymbolizationError>?
        var info: ModuleInfo?
        /// Keyed by SVMA.
        var locations: [UInt64: SymbolizedLocation] = [:]
    }

    let path: String
    private let state = Mutex(State())

    init(path: String) {
        self.path = path
    }

    /// Runs `body` with the module under the lock, opening it on first use (and then calling
    /// `didOpen`).
    ///
    /// Throws: the error of the first open attempt, on every call.
    func withModule<Result: Sendable>(
        callbacks: DwflCallbacks,
        didOpen: () -> Void,
        _ body: (ElfModule, inout [UInt64: SymbolizedLocation], inout ModuleInfo?) -> Result
    ) throws(SymbolizationError) -> Result {
        try state.withLock { (state) throws(SymbolizationError) -> Result in
            let module: ElfModule
            switch state.module {
            case .success(let opened):
                module = opened
            case .failure(let error):
                throw error
            case nil:
                didOpen()
                do throws(SymbolizationError) {
                    module = try ElfModule(path: path, callbacks: callbacks)
                    state.module = .success(module)
                } catch {
                    state.module = .failure(error)
                    throw error
                }
            }
            return body(module, &state.locations, &state.info)
        }
    }
}
