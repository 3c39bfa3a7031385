// SPDX-License-Identifier: Apache-2.0
import Prometheus
import SFlameMemory
import SFlameRecord
import SFlameSampling
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The agent's Prometheus metrics (text exposition, `GET /metrics`).
///
/// - Per target (the allowlisted processes; with `--all`, those profiled so far that still run),
///   read from /proc/PID/status and /proc/PID/smaps_rollup at every scrape, labels `pid` and
///   `process`: `sflame_target_rss_bytes`, `_rss_anon_bytes`, `_rss_file_bytes`,
///   `_rss_shmem_bytes`, `_vm_swap_bytes`, `_vm_hwm_bytes`, `_pss_bytes`, `_pss_anon_bytes`,
///   `_pss_file_bytes`, `_pss_shmem_bytes`, `_private_dirty_bytes`, `_swap_bytes`,
///   `_swap_pss_bytes` (bytes) and `sflame_target_threads`. Series of processes that exited are
///   removed.
/// - The agent's own: `sflame_agent_requests_total{path,code}`,
///   `sflame_agent_request_duration_seconds{path}` (histogram), `sflame_agent_recordings_total{profile,end}`,
///   `sflame_agent_recordings_in_progress`, `sflame_agent_samples_total{profile}`,
///   `sflame_agent_lost_records_total{profile}`, `sflame_agent_unwind_failures_total` (user
///   stacks that did not unwind to their base), `sflame_agent_resident_memory_bytes`.
///
/// Source: the Prometheus text exposition format 0.0.4, written by swift-prometheus.
final class AgentMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let targetGauges = Mutex<[GaugeKey: Gauge]>([:])
    private let inProgress: Gauge
    private let unwindFailures: Counter
    private let agentRSS: Gauge

    private struct GaugeKey: Hashable {
        var pid: Int32
        var process: String
        var field: MemoryField
    }

    /// The request paths with series of their own; any other path counts as `other`.
    static let paths: Set<String> = [
        "/debug/pprof/profile", "/debug/pprof/allocs", "/flamegraph.svg", "/metrics", "/debug/pprof/", "/",
    ]

    /// Upper bounds of the request duration buckets: scrapes take milliseconds, profiles their
    /// `seconds` (up to 300) plus symbolization.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]

    init() {
        inProgress = registry.makeGauge(
            descriptor: Self.name("agent", "recordings_in_progress", unit: "", help: "Recordings running now."))
        unwindFailures = registry.makeCounter(
            descriptor: Self.name(
                "agent", "unwind_failures", unit: "total",
                help: "Samples whose user stack did not unwind to its base (truncated), over all recordings."))
        agentRSS = registry.makeGauge(
            descriptor: Self.name("agent", "resident_memory", unit: "bytes", help: "The agent's own resident set (VmRSS)."))
    }

    private static func name(_ subsystem: String, _ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sflame", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    /// Counts a finished request.
    func recordRequest(path: String, code: Int, duration: Duration) {
        let path = Self.paths.contains(path) ? path : "other"
        registry.makeCounter(
            descriptor: Self.name("agent", "requests", unit: "total", help: "HTTP requests answered, by path and status code."),
            labels: [("path", path), ("code", String(code))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("agent", "request_duration", unit: "seconds", help: "HTTP request durations, by path."),
            labels: [("path", path)], buckets: Self.durationBuckets
        ).record(duration)
    }

    /// Counts a finished recording: `profile` is `cpu` or `allocs`, `end` how it ended.
    func recordRecording(profile: String, end: RecordingEnd, cancelled: Bool, stats: SamplingStats, quality: UnwindQuality) {
        let endName: String
        if cancelled {
            endName = "cancelled"
        } else {
            switch end {
            case .duration: endName = "duration"
            case .targetExited: endName = "target_exited"
            case .signal: endName = "signal"
            }
        }
        registry.makeCounter(
            descriptor: Self.name("agent", "recordings", unit: "total", help: "Recordings finished, by profile and how they ended."),
            labels: [("profile", profile), ("end", endName)]
        ).increment()
        registry.makeCounter(
            descriptor: Self.name("agent", "samples", unit: "total", help: "Samples recorded, by profile."),
            labels: [("profile", profile)]
        ).increment(by: Int64(stats.samples))
        registry.makeCounter(
            descriptor: Self.name(
                "agent", "lost_records", unit: "total", help: "Records the kernel dropped (ring buffers full), by profile."),
            labels: [("profile", profile)]
        ).increment(by: Int64(clamping: stats.lost))
        unwindFailures.increment(by: Int64(quality.truncatedSamples))
    }

    /// Counts a recording that could not start.
    func recordFailedRecording(profile: String) {
        registry.makeCounter(
            descriptor: Self.name("agent", "recordings", unit: "total", help: "Recordings finished, by profile and how they ended."),
            labels: [("profile", profile), ("end", "failed")]
        ).increment()
    }

    /// Reads the targets' memory and the agent's own, and returns the exposition text.
    func exposition(targets: [Int32], recordingsInProgress: Int) -> [UInt8] {
        inProgress.set(Int64(recordingsInProgress))
        if let status = try? ProcFS.status(pid: getpid()), let rss = status.bytes("VmRSS") { agentRSS.set(Int64(rss)) }
        var samples: [GaugeKey: UInt64] = [:]
        for pid in targets {
            guard let status = try? ProcFS.status(pid: pid) else { continue }
            var sample = MemorySample(time: 0)
            sample.add(status: status)
            if let rollup = try? ProcFS.smapsRollup(pid: pid) { sample.add(smapsRollup: rollup) }
            let process = ProcFS.processName(pid: pid) ?? ""
            for (field, value) in sample.values { samples[GaugeKey(pid: pid, process: process, field: field)] = value }
        }
        return targetGauges.withLock { gauges in
            for (key, gauge) in gauges where samples[key] == nil {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
            for (key, value) in samples {
                let gauge =
                    gauges[key]
                    ?? registry.makeGauge(
                        descriptor: Self.name(
                            "target", key.field.rawValue, unit: key.field.unit == "bytes" ? "bytes" : "",
                            help: Self.help(key.field)),
                        labels: [("pid", String(key.pid)), ("process", key.process)])
                gauges[key] = gauge
                gauge.set(Int64(clamping: value))
            }
            return registry.emitToBuffer()
        }
    }

    private static func help(_ field: MemoryField) -> String {
        "\(field.label) of the target process (\(field.kernelKey) in \(field.source.rawValue))"
            + (field.unit == "bytes" ? ", bytes." : ".")
    }
}
