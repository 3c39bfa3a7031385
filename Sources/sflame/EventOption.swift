// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// `--event NAME` (or `--event-filter NAME`, stackcollapse-perf.pl's spelling) for every
/// command that reads `perf script` text: which event's samples to keep when the text holds
/// several (`perf record -e cpu-clock,page-faults`). Other input formats ignore it.
struct EventOption: ParsableArguments {
    @Option(
        name: [.customLong("event"), .customLong("event-filter")],
        help: ArgumentHelp(
            "For perf script input: keep only samples of this event (default: the first event in the input).",
            valueName: "NAME"))
    var name: String?
}
