// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "record", abstract: "Record a CPU profile.")
    func run() throws {}
}
