// SPDX-License-Identifier: Apache-2.0
import ArgumentParser

/// Exit codes shared by every subcommand (STYLE.md §4): 1 runtime failure, 2 invalid input
/// (the argument parser's validation), 3 a regression found by `sflame diff --fail-on-regression`,
/// 4 insufficient permission, so scripts can react.
enum SFlameExit {
    static let failure = ExitCode(1)
    static let invalidInput = ExitCode(2)
    static let regression = ExitCode(3)
    static let permissionDenied = ExitCode(4)
}
