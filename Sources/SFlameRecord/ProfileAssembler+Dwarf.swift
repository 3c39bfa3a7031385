// SPDX-License-Identifier: Apache-2.0
import SFlameSymbolication

/// Why DWARF stacks stopped early, in words that name the knob to turn.
extension ProfileAssembler {
    /// The module a truncated DWARF stack stopped in, and why.
    func dwarfBlame(key: StackKey, outermostModule: Int32?, symbolizer: Symbolizer) -> (String, String) {
        let moduleName =
            outermostModule.map { state.modules[Int($0)].path } ?? outermostAnonymousName(key) ?? "[unknown]"
        switch key.userStop {
        case .stackCopyExhausted?:
            return (moduleName, stackCopyAdvice(module: outermostModule))
        case .noUnwindInfo?:
            guard let index = outermostModule else {
                return (
                    moduleName,
                    "no CFI: the stack continues in code without a module file (JIT or generated code), which has no "
                        + "unwind tables"
                )
            }
            let info = symbolizer.moduleInfo(path: state.modules[Int(index)].openPath)
            if info?.hasCFI == false {
                return (
                    moduleName,
                    "no CFI in this module (no .eh_frame or .debug_frame); rebuild it with -fasynchronous-unwind-tables, "
                        + "install its debug info (--debuginfo-path, DEBUGINFOD_URLS), or use -g fp if it keeps frame pointers"
                )
            }
            return (
                moduleName,
                "no CFI covers the address where unwinding stopped (hand-written assembly or code built without "
                    + "unwind tables)"
            )
        case .memoryUnreadable?:
            return (moduleName, "a frame's CFI needed memory outside the stack copy (a corrupt or unusual frame)")
        case .frameLimit?:
            return (moduleName, "more than \(state.dwarf?.session.maxFrames ?? 0) frames (the unwinder's limit)")
        case .failed?:
            let message = state.dwarf?.failureMessages.max { $0.value < $1.value }?.key ?? "unknown error"
            return (moduleName, "the unwinder failed (\(message))")
        case .reachedBase?, nil:
            return (moduleName, "the stack ends here")
        }
    }

    /// "the stack copy (8192 bytes) ended before the stack's base; -g dwarf,24576 would have sufficed"
    private func stackCopyAdvice(module: Int32?) -> String {
        let copied = state.dwarf?.stackBytes ?? 0
        let head = "the stack copy (\(copied) bytes per sample) ended before the stack's base"
        guard let shortfall = state.dwarf?.shortfalls[module ?? -1], shortfall.neededBytes > 0 else {
            return head + "; use a larger copy, up to -g dwarf,\(CallGraph.maxStackBytes)"
        }
        // Round up to a whole KiB; the kernel's limit is 65528.
        let needed = (shortfall.neededBytes + 1023) / 1024 * 1024
        if needed > UInt64(CallGraph.maxStackBytes) {
            return head
                + "; these stacks need about \(shortfall.neededBytes) bytes, more than the largest copy "
                + "(\(CallGraph.maxStackBytes)): their root end cannot be unwound from a copy (build with frame pointers "
                + "and use -g fp)"
        }
        let qualifier = shortfall.isLowerBound ? "at least" : "a copy of"
        return head + "; \(qualifier) \(needed) bytes would have sufficed: use -g dwarf,\(needed)"
    }

    private func outermostAnonymousName(_ key: StackKey) -> String? {
        guard key.frames.count > key.kernelCount, case .anonymous(let name, _)? = key.frames.last else { return nil }
        return name
    }
}
