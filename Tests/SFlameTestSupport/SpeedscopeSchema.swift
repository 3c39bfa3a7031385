// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Checks a speedscope file against the file-format schema
/// (https://www.speedscope.app/file-format-schema.json, generated from speedscope's
/// src/lib/file-format-spec.ts): required fields, types, enums, and the cross-references the
/// schema cannot state (frame indices in range, one weight per sample, events balanced).
/// Returns the problems; none means the file is valid.
public enum SpeedscopeSchema {
    public static func problems(_ bytes: [UInt8]) -> [String] {
    guard let json = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return ["not JSON"] }
    guard let file = json as? [String: Any] else { return ["the top level is not an object"] }
    var problems: [String] = []
    if file["$schema"] as? String != "https://www.speedscope.app/file-format-schema.json" {
        problems.append("$schema must be https://www.speedscope.app/file-format-schema.json")
    }
    for key in ["name", "exporter"] where file[key] != nil && !(file[key] is String) {
        problems.append("\(key) must be a string")
    }
    if let index = file["activeProfileIndex"], !(index is NSNumber) { problems.append("activeProfileIndex must be a number") }
    guard let shared = file["shared"] as? [String: Any], let frames = shared["frames"] as? [Any] else {
        return problems + ["shared.frames must be an array"]
    }
    for (i, frame) in frames.enumerated() {
        guard let f = frame as? [String: Any] else {
            problems.append("shared.frames[\(i)] must be an object")
            continue
        }
        if !(f["name"] is String) { problems.append("shared.frames[\(i)].name must be a string") }
        if f["file"] != nil && !(f["file"] is String) { problems.append("shared.frames[\(i)].file must be a string") }
        for key in ["line", "col"] where f[key] != nil && !(f[key] is NSNumber) {
            problems.append("shared.frames[\(i)].\(key) must be a number")
        }
    }
    guard let profiles = file["profiles"] as? [Any] else { return problems + ["profiles must be an array"] }
    let units: Set<String> = ["none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"]
    for (p, profile) in profiles.enumerated() {
        guard let prof = profile as? [String: Any] else {
            problems.append("profiles[\(p)] must be an object")
            continue
        }
        if !(prof["name"] is String) { problems.append("profiles[\(p)].name must be a string") }
        if !units.contains(prof["unit"] as? String ?? "") { problems.append("profiles[\(p)].unit must be one of \(units.sorted())") }
        guard let start = (prof["startValue"] as? NSNumber)?.doubleValue, let end = (prof["endValue"] as? NSNumber)?.doubleValue
        else {
            problems.append("profiles[\(p)].startValue and endValue must be numbers")
            continue
        }
        if end < start { problems.append("profiles[\(p)].endValue must be ≥ startValue") }
        switch prof["type"] as? String {
        case "sampled":
            guard let samples = prof["samples"] as? [[NSNumber]], let weights = prof["weights"] as? [NSNumber] else {
                problems.append("profiles[\(p)].samples must be arrays of numbers and weights an array of numbers")
                continue
            }
            if samples.count != weights.count { problems.append("profiles[\(p)] needs one weight per sample") }
            for (s, stack) in samples.enumerated() where stack.contains(where: { $0.intValue < 0 || $0.intValue >= frames.count }) {
                problems.append("profiles[\(p)].samples[\(s)] refers to a frame that does not exist")
            }
            let sum = weights.reduce(0.0) { $0 + $1.doubleValue }
            if sum > end - start + 1e-6 { problems.append("profiles[\(p)]: the weights exceed endValue − startValue") }
        case "evented":
            guard let events = prof["events"] as? [[String: Any]] else {
                problems.append("profiles[\(p)].events must be an array of objects")
                continue
            }
            var open: [Int] = []
            for (e, event) in events.enumerated() {
                guard let type = event["type"] as? String, let frame = (event["frame"] as? NSNumber)?.intValue,
                    event["at"] is NSNumber
                else {
                    problems.append("profiles[\(p)].events[\(e)] needs type, at and frame")
                    continue
                }
                if type == "O" { open.append(frame) } else if type == "C", open.last == frame { open.removeLast() } else {
                    problems.append("profiles[\(p)].events[\(e)] is unbalanced")
                }
            }
        default:
            problems.append("profiles[\(p)].type must be 'sampled' or 'evented'")
        }
    }
    return problems
}
}
