// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Caching and thread safety")
struct CachingTests {
    @Test("100k lookups open the module once")
    func opensOnce() throws {
        let programs = try FixturePrograms.symbols.get()
        let symbols = try ReferenceTools.symbols(of: programs.pie)
        let alpha = try #require(symbols["sflame_fixture_exported_alpha"])
        let symbolizer = Symbolizer()
        let span = try #require(alpha.size)
        let offset = try #require(try ReferenceTools.fileOffset(of: alpha.address, in: programs.pie))

        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for index in 0..<100_000 {
                let location = symbolizer.symbolize(modulePath: programs.pie, fileOffset: offset + UInt64(index) % span)
                precondition(location.frames.first?.systemName == "sflame_fixture_exported_alpha")
            }
        }
        #expect(symbolizer.moduleOpenCount == 1)
        print("symbolize: 100000 lookups (\(span) distinct addresses, cached) in \(elapsed)")
    }

    @Test("distinct addresses across all text, uncached: timing")
    func distinctAddresses() throws {
        let path = try FixturePrograms.names.get()
        let symbols = try ReferenceTools.symbols(of: path).values.filter {
            "tT".contains($0.type) && ($0.size ?? 0) > 0
        }
        let addresses = symbols.flatMap { symbol in (0..<(symbol.size ?? 0)).map { symbol.address + $0 } }
        let symbolizer = Symbolizer()
        let clock = ContinuousClock()
        var named = 0
        let elapsed = clock.measure {
            for address in addresses where !symbolizer.symbolize(modulePath: path, fileAddress: address).frames.isEmpty
            {
                named += 1
            }
        }
        #expect(named == addresses.count, "every byte of a sized function symbol is named")
        #expect(symbolizer.moduleOpenCount == 1)
        print("symbolize: \(addresses.count) distinct addresses with DWARF (inline chains, lines) in \(elapsed)")
    }

    @Test("failures are cached too")
    func failuresCached() {
        let symbolizer = Symbolizer()
        let missing = FixturePrograms.directory + "/missing-module"
        for index in 0..<10_000 {
            #expect(!symbolizer.symbolize(modulePath: missing, fileOffset: UInt64(index)).moduleFound)
        }
        #expect(symbolizer.moduleInfo(path: missing) == nil)
        #expect(symbolizer.moduleOpenCount == 1)
    }

    @Test("concurrent lookups from many tasks agree with serial ones")
    func concurrent() async throws {
        let programs = try FixturePrograms.symbols.get()
        let inline = try FixturePrograms.inline.get()
        let paths = [programs.pie, programs.nonPIE, inline, try FixturePrograms.names.get()]
        var items: [(String, UInt64)] = []
        for path in paths {
            for symbol in try ReferenceTools.symbols(of: path).values where "tT".contains(symbol.type) {
                items.append((path, symbol.address + (symbol.size ?? 1) / 2))
            }
        }
        let work = items
        let expected = Dictionary(
            uniqueKeysWithValues: work.map { item in
                ("\(item.0)@\(item.1)", Symbolizer().symbolize(modulePath: item.0, fileAddress: item.1))
            })
        let shared = Symbolizer()
        let results = await withTaskGroup(of: [(String, SymbolizedLocation)].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    work.shuffled().map { item in
                        ("\(item.0)@\(item.1)", shared.symbolize(modulePath: item.0, fileAddress: item.1))
                    }
                }
            }
            var all: [(String, SymbolizedLocation)] = []
            for await part in group { all += part }
            return all
        }
        #expect(results.count == work.count * 8)
        for (key, location) in results {
            #expect(location == expected[key])
        }
        #expect(shared.moduleOpenCount == paths.count)
    }
}
