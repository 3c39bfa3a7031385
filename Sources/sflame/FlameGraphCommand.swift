// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

struct FlameGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flamegraph", abstract: "Render a flame graph SVG.")
    func run() throws {}
}
