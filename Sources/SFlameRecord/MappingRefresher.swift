// SPDX-License-Identifier: Apache-2.0
import SFlameKernelFormats
import SFlameSampling

/// Rereads /proc/PID/maps when a sampled address is outside every known mapping, with backoff.
///
/// Most such addresses are not new code but garbage: a frame-pointer walk through code built
/// without frame pointers reads return addresses from random stack slots, and no mapping will
/// ever hold them. Reading and parsing the maps file for each of them is costly (a large
/// service has thousands of mappings), so the pause between rereads of a process doubles each
/// time the file is unchanged (0.1 s up to 5 s), and drops back to 0.1 s when it changed.
final class MappingRefresher {
    private var nextAllowed: [Int32: Double] = [:]
    private var interval: [Int32: Double] = [:]
    private var previous: [Int32: [ProcMapping]] = [:]
    static let shortest = 0.1
    static let longest = 5.0

    /// Fresh mappings of `pid` when they may be read again and have changed since the last
    /// read, else nil.
    func refresh(pid: Int32) -> [ProcMapping]? {
        let now = MonotonicClock.seconds()
        if let next = nextAllowed[pid], now < next { return nil }
        guard let maps = try? ProcFS.maps(pid: pid) else { return nil }
        let unchanged = previous[pid] == maps
        let pause = unchanged ? min((interval[pid] ?? Self.shortest) * 2, Self.longest) : Self.shortest
        interval[pid] = pause
        nextAllowed[pid] = now + pause
        previous[pid] = maps
        return unchanged ? nil : maps
    }
}
