// SPDX-License-Identifier: Apache-2.0

/// How stacks are collected.
public enum Sampler: String, Hashable, Sendable, CaseIterable {
    /// perf_event_open: the kernel samples on-CPU threads and never stops the target.
    case perf
    /// ptrace: sflame stops each thread briefly per sample (PTRACE_INTERRUPT), unwinds its live
    /// stack with libunwind-ptrace and resumes it. Sees blocked threads too: a wall-clock
    /// profile. Costs the target a stop per thread per sample.
    case ptrace
}
