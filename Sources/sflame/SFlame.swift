// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// The `sflame` command tree. Subcommands live in one file each; this type only lists them.
@main
struct SFlame: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sflame",
        abstract: "A sampling profiler for Linux services: flame graphs, comparisons and memory.",
        version: "0.1.0",
        subcommands: [
            RecordCommand.self,
            FlameGraphCommand.self,
            ReplayCommand.self,
            DiffCommand.self,
            MemCommand.self,
            CollapseCommand.self,
            ConvertCommand.self,
            ReportCommand.self,
            AgentCommand.self,
        ]
    )
}
