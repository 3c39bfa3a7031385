// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

@testable import SFlameSymbolication

@Suite("Kernel symbols from kallsyms")
struct KernelSymbolTableTests {
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/kallsyms/" + name, withExtension: "txt"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test(
        "lookups in text, modules, markers, data and past the end",
        arguments: [
            // (address, expected name, expected module)
            (0xffff_ffff_8100_0000, "startup_64", nil),  // a function wins over _stext/_text
            (0xffff_ffff_8100_0042, "startup_64", nil),
            (0xffff_ffff_8100_0060, "secondary_startup_64", nil),
            (0xffff_ffff_8100_00ff, "secondary_startup_64", nil),
            (0xffff_ffff_8100_0100, "entry_SYSCALL_64", nil),  // wins over __entry_text_start
            (0xffff_ffff_8100_0205, nil, nil),  // after __entry_text_end
            (0xffff_ffff_8100_0215, "__pfx_do_one_initcall", nil),
            (0xffff_ffff_8100_0220, "do_one_initcall", nil),
            (0xffff_ffff_8100_0401, "arch_cpu_idle", nil),  // weak
            (0xffff_ffff_8100_06ff, "schedule", nil),
            (0xffff_ffff_8100_0700, nil, nil),  // _etext
            (0xffff_ffff_8100_0800, nil, nil),
            (0xffff_ffff_8200_0050, nil, nil),  // data
            (0xffff_ffff_8200_0090, nil, nil),  // __key (bss)
            (0xffff_ffff_8300_0000, "early_init", nil),  // wins over _sinittext
            (0xffff_ffff_8300_0100, nil, nil),  // _einittext
            (0xffff_ffff_c000_1010, "ext4_lookup", "ext4"),
            (0xffff_ffff_c000_13ff, "ext4_iget", "ext4"),
            (0xffff_ffff_c000_1400, nil, nil),  // module data
            (0xffff_ffff_c000_2000, "nft_do_chain", "nf_tables"),
            (0xffff_ffff_c000_2310, "nft_lookup_eval", "nf_tables"),
            (0xffff_ffff_c000_2300 + KernelSymbolTable.lastSymbolSpan, nil, nil),
            (0xffff_ffff_8000_0000, nil, nil),  // below the first symbol
            (0x1000, nil, nil),  // absolute symbols do not count
        ] as [(UInt64, String?, String?)])
    func lookup(address: UInt64, name: String?, module: String?) throws {
        let table = KernelSymbolTable(kallsyms: try Self.fixture("modules-and-text"))
        let symbol = table.lookup(address)
        #expect(symbol?.name == name)
        #expect(symbol?.module == module)
        if let symbol {
            #expect(symbol.address <= address)
        }
    }

    @Test("counts text symbols once per address")
    func counts() throws {
        let table = KernelSymbolTable(kallsyms: try Self.fixture("modules-and-text"))
        #expect(table.count == 12)
        #expect(!table.isEmpty)
        #expect(!table.isRestricted)
        #expect(
            table.lookup(0xffff_ffff_8100_0500)
                == KernelSymbol(name: "schedule", module: nil, address: 0xffff_ffff_8100_0500))
    }

    @Test("all-zero addresses (kptr_restrict) make the table restricted and empty")
    func restricted() throws {
        let table = KernelSymbolTable(kallsyms: try Self.fixture("zero-addresses"))
        #expect(table.isRestricted)
        #expect(table.isEmpty)
        #expect(table.count == 0)
        #expect(table.lookup(0) == nil)
        #expect(table.lookup(0xffff_ffff_8100_0000) == nil)
    }

    @Test("empty and malformed input")
    func malformed() {
        let empty = KernelSymbolTable(kallsyms: "")
        #expect(empty.isEmpty)
        #expect(!empty.isRestricted)
        let junk = KernelSymbolTable(
            kallsyms: "garbage\nffffffff81000000 T\n\nzzzz T foo\n12345678901234567 T too_long\n")
        #expect(junk.isEmpty)
        let windows = KernelSymbolTable(kallsyms: "ffffffff81000000 T first\r\nffffffff81000100 t second\t[mod]\r\n")
        #expect(windows.lookup(0xffff_ffff_8100_0001)?.name == "first")
        #expect(
            windows.lookup(0xffff_ffff_8100_0101)
                == KernelSymbol(name: "second", module: "mod", address: 0xffff_ffff_8100_0100))
    }

    /// Read to the end: /proc files report size 0, and `String(contentsOfFile:)` stops after one read.
    static let realKallsyms: String? = {
        guard let handle = FileHandle(forReadingAtPath: "/proc/kallsyms"),
            let data = try? handle.readToEnd()
        else { return nil }
        try? handle.close()
        return String(decoding: data, as: UTF8.self)
    }()

    static var realKallsymsUsable: Bool {
        guard let text = realKallsyms else { return false }
        return text.split(separator: "\n", maxSplits: 50).contains { !$0.hasPrefix("0000000000000000") }
    }

    @Test(
        "this machine's /proc/kallsyms: schedule is found at address + 1",
        .enabled(if: realKallsymsUsable, "/proc/kallsyms unreadable or all zero (kernel.kptr_restrict, CAP_SYSLOG)"))
    func realKallsyms() throws {
        let text = try #require(Self.realKallsyms)
        let clock = ContinuousClock()
        var table: KernelSymbolTable?
        let elapsed = clock.measure { table = KernelSymbolTable(kallsyms: text) }
        let parsed = try #require(table)
        print("kallsyms: parsed \(text.utf8.count) bytes, \(parsed.count) text symbols in \(elapsed)")

        var scheduleAddress: UInt64?
        var moduleLine: (address: UInt64, module: String)?
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, let address = UInt64(fields[0], radix: 16) else { continue }
            if fields[2] == "schedule", fields[1] == "T" || fields[1] == "t" { scheduleAddress = address }
            if moduleLine == nil, fields.count == 4, "tT".contains(fields[1]), fields[3].hasPrefix("[") {
                moduleLine = (address, String(fields[3].dropFirst().dropLast()))
            }
        }
        let address = try #require(scheduleAddress, "schedule is not in /proc/kallsyms")
        #expect(!parsed.isEmpty)
        #expect(parsed.lookup(address + 1) == KernelSymbol(name: "schedule", module: nil, address: address))
        if let moduleLine {
            #expect(parsed.lookup(moduleLine.address)?.module == moduleLine.module)
        }
    }
}
