// SPDX-License-Identifier: Apache-2.0
import SFlameProfile

/// How kernel frames in loadable modules are shown.
///
/// kallsyms names each module symbol's module (`nf_hook_slow [nf_tables]`, and `[bpf]` for
/// JIT-compiled BPF programs). The folded name stays `nf_hook_slow_[k]`, exactly what
/// `perf script | stackcollapse-perf.pl` prints, so folded stacks from both tools diff cleanly and
/// a search for the function finds it; the module goes where pprof keeps a frame's binary: the
/// location's mapping is `[nf_tables]` (kind kernel) instead of `[kernel.kallsyms]`, as perf
/// reports the DSO, and the function's file name is `[nf_tables]`.
enum KernelModules {
    /// The mapping of a module's frames, one per module.
    static func mapping(_ module: String, in mappings: inout [String: MappingID], builder: inout ProfileBuilder)
        -> MappingID
    {
        if let id = mappings[module] { return id }
        let id = builder.addMapping(start: 0, limit: 0, fileOffset: 0, filename: "[\(module)]", kind: .kernel)
        mappings[module] = id
        return id
    }
}
