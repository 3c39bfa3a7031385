// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// Exit codes shared by every subcommand (STYLE.md §4): 1 runtime failure, 2 invalid input
/// (the argument parser's validation), 4 insufficient permission, so scripts can react.
enum SFlameExit {
    static let failure = ExitCode(1)
    static let invalidInput = ExitCode(2)
    static let permissionDenied = ExitCode(4)
}
