// SPDX-License-Identifier: Apache-2.0

import Foundation
import SFlameProfile
import Testing

@testable import SFlameSymbolication

@Suite("Separate debug files and module facts")
struct DebugInfoTests {
    @Test(".gnu_debuglink found in an extra debuginfo root")
    func debuglinkInExtraRoot() throws {
        let programs = try FixturePrograms.symbols.get()
        try expectSeparateDebugInfo(
            binary: programs.debuglinked, root: programs.debuglinkRoot, debugFile: programs.debuglinkDebugFile,
            reference: programs.pie
        )
    }

    @Test("debug file found by build-id under ROOT/.build-id/xx/rest.debug")
    func buildIDPath() throws {
        let programs = try FixturePrograms.symbols.get()
        try expectSeparateDebugInfo(
            binary: programs.buildIDOnly, root: programs.buildIDRoot, debugFile: programs.buildIDDebugFile,
            reference: programs.pie
        )
    }

    /// With the root, a static function gets its name and line from the debug file; without it
    /// (the control), it stays unnamed.
    private func expectSeparateDebugInfo(binary: String, root: String, debugFile: String, reference: String) throws {
        let symbols = try ReferenceTools.symbols(of: reference)
        let function = "sflame_fixture_static_delta"
        let address = try #require(symbols[function]).address + 2

        let plain = Symbolizer()
        #expect(plain.symbolize(modulePath: binary, fileAddress: address).frames.isEmpty)
        let plainInfo = try #require(plain.moduleInfo(path: binary))
        #expect(plainInfo.debugFilePath == nil)
        #expect(!plainInfo.hasDebugInfo)
        #expect(!plainInfo.hasSymbolTable)

        let symbolizer = Symbolizer(options: SymbolizerOptions(debugInfoPaths: [root]))
        let frames = symbolizer.symbolize(modulePath: binary, fileAddress: address).frames
        #expect(frames.map(\.name) == [function])
        #expect(frames.first?.file?.hasSuffix("symbols.c") == true)
        #expect(
            frames.first?.line == Symbolizer().symbolize(modulePath: reference, fileAddress: address).frames.first?.line
        )

        let info = try #require(symbolizer.moduleInfo(path: binary))
        #expect(info.debugFilePath == debugFile)
        #expect(info.hasDebugInfo)
        #expect(info.hasSymbolTable, "the debug file's .symtab counts")
        #expect(info.hasCFI)
        #expect(info.buildID?.description == (try ReferenceTools.buildID(of: binary)))
    }

    @Test("build-id agrees with readelf -n and file(1)")
    func buildIDMatchesReferenceTools() throws {
        let programs = try FixturePrograms.symbols.get()
        let symbolizer = Symbolizer()
        for path in [programs.pie, programs.nonPIE, programs.stripped] {
            let info = try #require(symbolizer.moduleInfo(path: path))
            let expected = try #require(try ReferenceTools.buildID(of: path))
            #expect(info.buildID == BuildID(hex: expected))
            #expect(info.buildID?.description == expected)
            if Tool.isInstalled("file") {
                #expect(try Tool.run("file", [path]).contains("BuildID[sha1]=" + expected))
            }
        }
    }

    @Test("facts of an unstripped -g build")
    func unstrippedModuleInfo() throws {
        let path = try FixturePrograms.symbols.get().pie
        let info = try #require(Symbolizer().moduleInfo(path: path))
        #expect(info.path == path)
        #expect(info.hasSymbolTable)
        #expect(info.hasDebugInfo)
        #expect(info.hasCFI)
        #expect(info.debugFilePath == nil, "the debug info is in the file itself")
    }

    @Test("search path syntax handed to libdwfl")
    func searchPath() {
        #expect(DwflCallbacks.searchPath(extraRoots: []) == ":.debug:/usr/lib/debug")
        #expect(
            DwflCallbacks.searchPath(extraRoots: ["/srv/debug", "", "/bad:path", "/opt/dbg"])
                == ":.debug:/srv/debug:/opt/dbg:/usr/lib/debug")
    }
}
