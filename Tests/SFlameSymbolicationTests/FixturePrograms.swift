// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The fixture programs of Fixtures/programs, compiled once per test run into a temporary
/// directory (removed at exit). Nothing binary is checked in; see Fixtures/README.md.
enum FixturePrograms {
    /// Paths of the builds of symbols.c and their debug files.
    struct Symbols: Sendable {
        /// -O2 -g, PIE (ET_DYN).
        var pie: String
        /// -O2 -g -no-pie (ET_EXEC).
        var nonPIE: String
        /// -O2 -g -rdynamic, then `strip --strip-all`: .dynsym names the exported functions.
        var strippedExported: String
        /// The unstripped -rdynamic build, for nm.
        var exportedUnstripped: String
        /// `pie` stripped with `strip --strip-all`: .dynsym holds only imports.
        var stripped: String
        /// `pie` stripped, with a .gnu_debuglink to `debuglinkDebugFile`.
        var debuglinked: String
        /// The directory passed as an extra debuginfo root, holding `debuglinkDebugFile`.
        var debuglinkRoot: String
        var debuglinkDebugFile: String
        /// `pie` stripped, without a debuglink; its debug file is under `buildIDRoot/.build-id/`.
        var buildIDOnly: String
        var buildIDRoot: String
        var buildIDDebugFile: String
    }

    static let directory: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sflame-symbolication-tests-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: FixturePrograms.directory)
        }
        return path
    }()

    static func source(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures/programs/" + name, withExtension: nil) else {
            throw ToolError(description: "fixture source \(name) is missing from the test bundle")
        }
        return url.path
    }

    private static func output(_ name: String) -> String { directory + "/" + name }

    static let symbols: Result<Symbols, ToolError> = Result {
        let source = try Self.source("symbols.c")
        let pie = output("symbols-pie")
        try Tool.run("gcc", ["-O2", "-g", "-fPIE", "-pie", "-Wl,--build-id", "-o", pie, source])
        let nonPIE = output("symbols-nopie")
        try Tool.run("gcc", ["-O2", "-g", "-fno-pie", "-no-pie", "-Wl,--build-id", "-o", nonPIE, source])
        let exported = output("symbols-rdynamic")
        try Tool.run("gcc", ["-O2", "-g", "-rdynamic", "-Wl,--build-id", "-o", exported, source])
        let strippedExported = output("symbols-rdynamic-stripped")
        try Tool.run("strip", ["--strip-all", "-o", strippedExported, exported])
        let stripped = output("symbols-stripped")
        try Tool.run("strip", ["--strip-all", "-o", stripped, pie])

        // Separate debug info found by .gnu_debuglink in an extra root (not next to the binary).
        let debuglinkRoot = output("debuglink-root")
        try FileManager.default.createDirectory(atPath: debuglinkRoot, withIntermediateDirectories: true)
        let debuglinkDebugFile = debuglinkRoot + "/symbols-debuglinked.debug"
        try Tool.run("objcopy", ["--only-keep-debug", pie, debuglinkDebugFile])
        let debuglinked = output("symbols-debuglinked")
        try Tool.run("objcopy", ["--strip-all", "--add-gnu-debuglink=" + debuglinkDebugFile, pie, debuglinked])

        // Separate debug info found by build-id: ROOT/.build-id/xx/rest.debug.
        let buildIDOnly = output("symbols-buildid")
        try Tool.run("strip", ["--strip-all", "-o", buildIDOnly, pie])
        guard let buildID = try ReferenceTools.buildID(of: pie), buildID.count > 2 else {
            throw ToolError(description: "gcc produced no build-id for \(pie)")
        }
        let buildIDRoot = output("buildid-root")
        let buildIDDirectory = buildIDRoot + "/.build-id/" + buildID.prefix(2)
        try FileManager.default.createDirectory(atPath: buildIDDirectory, withIntermediateDirectories: true)
        let buildIDDebugFile = buildIDDirectory + "/" + buildID.dropFirst(2) + ".debug"
        try Tool.run("objcopy", ["--only-keep-debug", pie, buildIDDebugFile])

        return Symbols(
            pie: pie, nonPIE: nonPIE, strippedExported: strippedExported, exportedUnstripped: exported,
            stripped: stripped, debuglinked: debuglinked, debuglinkRoot: debuglinkRoot,
            debuglinkDebugFile: debuglinkDebugFile, buildIDOnly: buildIDOnly, buildIDRoot: buildIDRoot,
            buildIDDebugFile: buildIDDebugFile
        )
    }.mapError(toolError)

    /// inline.cpp, -O2 -g.
    static let inline: Result<String, ToolError> = Result {
        let path = output("inline")
        try Tool.run("g++", ["-O2", "-g", "-o", path, try source("inline.cpp")])
        return path
    }.mapError(toolError)

    /// names.cpp, -O2 -g.
    static let names: Result<String, ToolError> = Result {
        let path = output("names")
        try Tool.run("g++", ["-O2", "-g", "-o", path, try source("names.cpp")])
        return path
    }.mapError(toolError)

    /// frame-pointer.c at -O2 with and without frame pointers.
    static let framePointers: Result<(with: String, without: String), ToolError> = Result {
        let source = try Self.source("frame-pointer.c")
        let with = output("fp-with")
        let without = output("fp-without")
        try Tool.run("gcc", ["-O2", "-fno-omit-frame-pointer", "-o", with, source])
        try Tool.run("gcc", ["-O2", "-fomit-frame-pointer", "-o", without, source])
        return (with, without)
    }.mapError(toolError)

    private static func toolError(_ error: any Error) -> ToolError {
        error as? ToolError ?? ToolError(description: "\(error)")
    }
}
