// SPDX-License-Identifier: Apache-2.0
//
// A timeline as CSV and JSON, for people who plot themselves. CSV (one row per reading, an
// empty cell where the kernel lacks the field):
//
//   t_seconds,monotonic_ns,rss_bytes,rss_anon_bytes,…,threads,pss_bytes,…
//   0,84652130000,35651584,1048576,…,1,35700000,…
//
// JSON (`format` names the layout and its version):
//
//   {"format":"sflame-memory-timeline/1","pid":4242,"process_name":"api",…,
//    "fields":{"rss":{"source":"/proc/PID/status","key":"VmRSS","unit":"bytes"},…},
//    "samples":[{"t":0,"monotonic_ns":84652130000,"rss":35651584,…},…],
//    "mappings":[{"name":"[heap]","kind":"heap","first_rss":…,"last_rss":…,"peak_rss":…},…],
//    "analysis":{"verdict":"growing","reason":"…","rss_growth":{"bytes_per_second":…,"r_squared":…},…}}

extension MemoryTimeline {
    /// The samples as CSV (RFC 4180), columns `t_seconds`, `monotonic_ns`, then every field
    /// present in the timeline in `MemoryField` order (`<name>_bytes`, or `threads`).
    public func csv() -> String {
        let fields = presentFields
        var out = "t_seconds,monotonic_ns"
        for f in fields { out += "," + (f.unit == "bytes" ? "\(f.rawValue)_bytes" : f.rawValue) }
        out += "\n"
        for s in samples {
            out += Format.decimal(s.time, places: 3).trimmingFraction + ",\(s.monotonicNanoseconds)"
            for f in fields {
                out += ","
                if let v = s[f] { out += String(v) }
            }
            out += "\n"
        }
        return out
    }

    /// The timeline and its analysis as JSON (see the file comment for the layout).
    public func json(analysis: MemoryAnalysis) -> String {
        var j = JSONText()
        j.object { j in
            j.key("format")
            j.string("sflame-memory-timeline/1")
            j.key("pid")
            j.number(pid)
            j.key("process_name")
            j.string(processName)
            if !command.isEmpty {
                j.key("command")
                j.array { j in for a in command { j.string(a) } }
            }
            j.key("interval_seconds")
            j.number(intervalSeconds)
            j.key("smaps_every")
            j.number(smapsEvery)
            j.key("start_monotonic_ns")
            j.number(startMonotonicNanoseconds)
            j.key("start_unix_ns")
            j.number(startWallClockNanoseconds)
            j.key("duration_seconds")
            j.number(durationSeconds, places: 3)
            j.key("end")
            j.string(end.rawValue)
            j.key("rollup_source")
            j.string(rollupSource.rawValue)
            j.key("fields")
            j.object { j in
                for f in presentFields {
                    j.key(f.rawValue)
                    j.object { j in
                        j.key("source")
                        j.string(f.source.rawValue)
                        j.key("key")
                        j.string(f.kernelKey)
                        j.key("unit")
                        j.string(f.unit)
                    }
                }
            }
            j.key("samples")
            j.array { j in
                for s in samples {
                    j.object { j in
                        j.key("t")
                        j.number(s.time, places: 3)
                        j.key("monotonic_ns")
                        j.number(s.monotonicNanoseconds)
                        for f in MemoryField.allCases {
                            if let v = s[f] {
                                j.key(f.rawValue)
                                j.number(v)
                            }
                        }
                    }
                }
            }
            j.key("mappings")
            writeMappings(&j, analysis: analysis)
            j.key("analysis")
            Self.writeAnalysis(&j, analysis)
        }
        return j.text + "\n"
    }

    private func writeMappings(_ j: inout JSONText, analysis: MemoryAnalysis) {
        guard let last = mappingSnapshots.last else {
            j.array { _ in }
            return
        }
        let growing = Set(analysis.growingMappings.map(\.name))
        var names = Set(last.groups.keys)
        if let first = mappingSnapshots.first { names.formUnion(first.groups.keys) }
        let ordered = names.sorted { a, b in
            let ra = last.groups[a]?.rss ?? 0
            let rb = last.groups[b]?.rss ?? 0
            return (ra, b) > (rb, a)
        }
        j.array { j in
            for name in ordered {
                let series = mappingSnapshots.map { ($0.time, $0.groups[name]) }
                let latest = last.groups[name]
                j.object { j in
                    j.key("name")
                    j.string(name)
                    j.key("kind")
                    j.string((latest ?? mappingSnapshots.first?.groups[name])?.kind.rawValue ?? "other")
                    j.key("first_rss")
                    j.number(mappingSnapshots.first?.groups[name]?.rss ?? 0)
                    j.key("last_rss")
                    j.number(latest?.rss ?? 0)
                    j.key("peak_rss")
                    j.number(series.map { $0.1?.rss ?? 0 }.max() ?? 0)
                    for (key, value) in [
                        ("size", latest?.size), ("pss", latest?.pss), ("anonymous", latest?.anonymous),
                        ("private_dirty", latest?.privateDirty), ("swap", latest?.swap),
                    ] {
                        if let value {
                            j.key(key)
                            j.number(value)
                        }
                    }
                    j.key("mappings")
                    j.number(latest?.mappings ?? 0)
                    if growing.contains(name) {
                        j.key("rss_series")
                        j.array { j in
                            for (t, usage) in series {
                                j.array { j in
                                    j.number(t, places: 3)
                                    j.number(usage?.rss ?? 0)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func writeAnalysis(_ j: inout JSONText, _ a: MemoryAnalysis) {
        j.object { j in
            j.key("verdict")
            j.string(a.verdict.rawValue)
            j.key("reason")
            j.string(a.reason)
            j.key("duration_seconds")
            j.number(a.durationSeconds, places: 3)
            for (key, fit) in [("rss_growth", a.rssGrowth), ("anon_growth", a.anonymousGrowth)] {
                j.key(key)
                if let fit {
                    j.object { j in
                        j.key("bytes_per_second")
                        j.number(fit.slope, places: 1)
                        j.key("intercept_bytes")
                        j.number(fit.intercept, places: 1)
                        j.key("r_squared")
                        j.number(fit.rSquared, places: 4)
                        j.key("points")
                        j.number(fit.count)
                    }
                } else {
                    j.null()
                }
            }
            j.key("series")
            j.object { j in
                for s in a.series {
                    j.key(s.field.rawValue)
                    j.object { j in
                        j.key("first")
                        j.number(s.first)
                        j.key("peak")
                        j.number(s.peak)
                        j.key("peak_t")
                        j.number(s.peakTime, places: 3)
                        j.key("final")
                        j.number(s.final)
                        j.key("min")
                        j.number(s.minimum)
                        j.key("mean")
                        j.number(s.mean, places: 1)
                    }
                }
            }
            j.key("growing_mappings")
            j.array { j in
                for m in a.growingMappings {
                    j.object { j in
                        j.key("name")
                        j.string(m.name)
                        j.key("kind")
                        j.string(m.kind.rawValue)
                        j.key("first_rss")
                        j.number(m.firstRSS)
                        j.key("last_rss")
                        j.number(m.lastRSS)
                        j.key("peak_rss")
                        j.number(m.peakRSS)
                        j.key("growth")
                        j.number(m.growth)
                    }
                }
            }
        }
    }
}
