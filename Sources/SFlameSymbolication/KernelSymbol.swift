// SPDX-License-Identifier: Apache-2.0

/// A kernel text symbol from /proc/kallsyms.
public struct KernelSymbol: Hashable, Sendable {
    /// The symbol name as kallsyms prints it (kernel names are not mangled).
    public var name: String
    /// The loadable module that holds the symbol (`ext4`, `nf_tables`), nil for the core kernel.
    public var module: String?
    /// The symbol's start address in the kernel's address space.
    public var address: UInt64

    public init(name: String, module: String?, address: UInt64) {
        self.name = name
        self.module = module
        self.address = address
    }
}
