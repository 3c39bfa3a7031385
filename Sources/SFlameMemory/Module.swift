// SPDX-License-Identifier: Apache-2.0
//
// SFlameMemory: where a live process's memory goes.
//
// - The /proc timeline: `MemoryTimelineRecorder` reads /proc/PID/status and smaps_rollup every
//   interval and smaps per mapping every few intervals (through SFlameSampling's `ProcFS`, the
//   only code that makes syscalls); `MemoryTimeline`, `MemorySample`, `MappingUsage` hold the
//   readings; `MemoryAnalysis` (least-squares growth with R², the documented verdict rule of
//   `GrowthRule`, the mappings that grew most) and the CSV/JSON writers are pure.
// - Allocation profiles: `AllocationProfiler` places uprobes on the allocator the process uses
//   (`AllocatorLocator`: the executable, a preloaded or linked allocator such as jemalloc, else
//   the C library) and records through SFlameRecord's `EventRecorder`; `AllocationTracker` (pure)
//   turns the probe hits into bytes and calls per stack, and with return probes and frees into
//   the allocations still live. `PageFaultProfiler` samples the page-faults event the same way.
//
// Design constraints:
// - Never harm the target: the timeline only reads /proc; probes only trap and resume, and are
//   removed when the event descriptors close, which happens on every path (and by the kernel if
//   sflame dies). Nothing here writes to the target or stops it.
// - Values are bytes, times CLOCK_MONOTONIC; a field the kernel does not print is absent (nil),
//   never zero.
// - Library code never prints: the CLI reports (`MemoryError` says what failed, why, what to do).
//
// Deviation from DESIGN.md ("SFlameMemory may use Sampling, KernelFormats, Profile"): an
// allocation profile needs what a CPU recording needs — address spaces from /proc maps and
// MMAP2, the callchain of each sample, stack interning and symbolization into a `Profile` — so
// this module also uses SFlameRecord (its generic `EventRecorder`, which knows nothing about
// allocators) and SFlameSymbolication (`Symbolizer.symbolFileOffset` to find where to place the
// probes), instead of duplicating them. SFlameRecord does not import SFlameMemory: the edge
// points one way, and DWARF unwinding added to the recorder applies to allocation stacks too.
