// SPDX-License-Identifier: Apache-2.0

/// One series of the memory timeline: a field of /proc/PID/status or /proc/PID/smaps_rollup.
///
/// Units: bytes, except `threads` (a count). Source: proc(5) and
/// Documentation/filesystems/proc.rst: `VmRSS` = `RssAnon` + `RssFile` + `RssShmem` (Linux 4.5+
/// for the three parts); `Pss*` split each shared page among the processes mapping it; `Swap`
/// and `SwapPss` count swapped-out anonymous pages.
public enum MemoryField: String, CaseIterable, Hashable, Sendable, Comparable {
    case rss = "rss"
    case rssAnon = "rss_anon"
    case rssFile = "rss_file"
    case rssShmem = "rss_shmem"
    case vmSwap = "vm_swap"
    case vmHWM = "vm_hwm"
    case threads = "threads"
    case pss = "pss"
    case pssAnon = "pss_anon"
    case pssFile = "pss_file"
    case pssShmem = "pss_shmem"
    case privateDirty = "private_dirty"
    case swap = "swap"
    case swapPss = "swap_pss"

    /// Which file the field comes from.
    public enum Source: String, Sendable {
        case status = "/proc/PID/status"
        case smapsRollup = "/proc/PID/smaps_rollup"
    }

    public var source: Source {
        switch self {
        case .rss, .rssAnon, .rssFile, .rssShmem, .vmSwap, .vmHWM, .threads: return .status
        default: return .smapsRollup
        }
    }

    /// The key as the kernel prints it.
    public var kernelKey: String {
        switch self {
        case .rss: return "VmRSS"
        case .rssAnon: return "RssAnon"
        case .rssFile: return "RssFile"
        case .rssShmem: return "RssShmem"
        case .vmSwap: return "VmSwap"
        case .vmHWM: return "VmHWM"
        case .threads: return "Threads"
        case .pss: return "Pss"
        case .pssAnon: return "Pss_Anon"
        case .pssFile: return "Pss_File"
        case .pssShmem: return "Pss_Shmem"
        case .privateDirty: return "Private_Dirty"
        case .swap: return "Swap"
        case .swapPss: return "SwapPss"
        }
    }

    /// `bytes`, or `count` for `threads`.
    public var unit: String { self == .threads ? "count" : "bytes" }

    /// A short label for charts and reports: "RSS", "anon", "PSS", …
    public var label: String {
        switch self {
        case .rss: return "RSS"
        case .rssAnon: return "anon"
        case .rssFile: return "file"
        case .rssShmem: return "shmem"
        case .vmSwap: return "swap"
        case .vmHWM: return "RSS high-water mark"
        case .threads: return "threads"
        case .pss: return "PSS"
        case .pssAnon: return "PSS anon"
        case .pssFile: return "PSS file"
        case .pssShmem: return "PSS shmem"
        case .privateDirty: return "private dirty"
        case .swap: return "swap (smaps)"
        case .swapPss: return "swap PSS"
        }
    }

    public static func < (a: MemoryField, b: MemoryField) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
