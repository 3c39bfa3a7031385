// SPDX-License-Identifier: Apache-2.0
import SFlameSampling

/// The error type of SFlameRecord.
public struct RecordError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// No such process.
        case noSuchProcess
        /// The target is a kernel thread or a zombie, which has no user space to sample.
        case unsupportedTarget
        /// The kernel refused for lack of privilege.
        case permissionDenied
        /// The command could not be launched.
        case launchFailed
        /// Any other failure of the sampler.
        case samplingFailed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ error: SamplingError) {
        let kind: Kind
        switch error.kind {
        case .noSuchProcess: kind = .noSuchProcess
        case .unsupportedTarget: kind = .unsupportedTarget
        case .permissionDenied: kind = .permissionDenied
        case .launchFailed: kind = .launchFailed
        default: kind = .samplingFailed
        }
        self.init(kind, error.description)
    }

    public var description: String { message }
}
