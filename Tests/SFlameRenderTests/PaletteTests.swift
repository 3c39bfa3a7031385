// SPDX-License-Identifier: Apache-2.0
import SFlameProfile
@testable import SFlameRender
import Testing

struct PaletteTests {
    @Test(arguments: [
        ("java/util/HashMap.get_[j]", ColorFamily.green), ("org/Foo.bar_[i]", .aqua), ("Ljava/lang/Thread.run", .green),
        ("io/netty/Channel.read", .green), ("Interpreter:::call", .green), ("std::vector<int>::at", .yellow),
        ("do_syscall_64_[k]", .orange), ("memcpy", .red), ("Lfoo/Bar", .red),
    ])
    func javaFamilies(_ name: String, _ family: ColorFamily) {
        #expect(Palette.java.family(of: name, isWaker: false) == family)
    }

    @Test(arguments: [
        ("/app/server.js:12_[j]", ColorFamily.green), ("Builtin:Call_[j]", .aqua), ("v8::internal::Run", .yellow),
        ("/srv/lib/util.js:40", .green), ("Builtin:ArgumentsAdaptor", .aqua), (" ", .green),
        ("tcp_sendmsg_[k]", .orange), ("node", .red),
    ])
    func jsFamilies(_ name: String, _ family: ColorFamily) {
        #expect(Palette.js.family(of: name, isWaker: false) == family)
    }

    @Test(arguments: [
        ("Foo::bar", ColorFamily.yellow), ("Perl_pp_entersub", .green), ("script.pl:10", .green),
        ("sys_read_[k]", .orange), ("malloc", .red),
    ])
    func perlFamilies(_ name: String, _ family: ColorFamily) {
        #expect(Palette.perl.family(of: name, isWaker: false) == family)
    }

    @Test func chainWakeupAndFlatPalettes() {
        #expect(Palette.chain.family(of: "schedule", isWaker: false) == .blue)
        #expect(Palette.chain.family(of: "schedule", isWaker: true) == .aqua)
        #expect(Palette.chain.family(of: "try_to_wake_up_[w]", isWaker: false) == .aqua)
        #expect(Palette.wakeup.family(of: "x", isWaker: false) == .aqua)
        #expect(Palette.hot.family(of: "x", isWaker: false) == nil)
        #expect(Palette.purple.family(of: "x_[k]", isWaker: false) == .purple)
    }

    @Test func everyPaletteKeepsItsColoursInItsRange() {
        for palette in Palette.allCases {
            var colorer = FrameColorer(palette: palette, mode: .hash, consistentPalette: nil, seed: 0)
            for i in 0..<200 {
                let c = colorer.color(of: "fn_\(i)", isWaker: false)
                switch palette {
                case .hot: #expect(c.red >= 205 && c.green <= 230 && c.blue <= 55)
                case .mem: #expect(c.red == 0 && c.green >= 190)
                case .io: #expect(c.red == c.green && c.blue >= 190)
                case .red, .perl, .java, .js: #expect(c.red >= 200 && c.green == c.blue)  // "fn_i": native, red
                case .blue, .chain: #expect(c.blue >= 205 && c.red == c.green)
                case .aqua, .wakeup: #expect(c.green >= 165 && c.green == c.blue)
                case .green: #expect(c.green >= 200 && c.red == c.blue)
                case .yellow: #expect(c.red == c.green && c.red >= 175)
                case .purple: #expect(c.red == c.blue && c.red >= 190)
                case .orange: #expect(c.blue == 0 && c.red >= 190)
                }
            }
        }
    }

    @Test func separatorsAreGrey() {
        var colorer = FrameColorer(palette: .hot, mode: .hash, consistentPalette: nil, seed: 0)
        #expect(colorer.color(of: "--", isWaker: false) == RGBColor(red: 160, green: 160, blue: 160))
        #expect(colorer.color(of: "-", isWaker: false) == RGBColor(red: 200, green: 200, blue: 200))
    }

    @Test func chainGraphColoursWakersAboveTheSeparator() throws {
        let p = profile([("sleep;schedule;--;wake_up;irq", 3), ("sleep;schedule", 1)])
        let (_, svg) = try render(p, FlameGraphOptions(colors: .chain))
        func rgb(_ hex: String) -> RGBColor { RGBColor(parsing: hex)! }
        for frame in svg.frames where frame.name != "all" && frame.name != "--" {
            let c = rgb(frame.fill)
            if frame.name == "wake_up" || frame.name == "irq" {
                #expect(c.green >= 165 && c.green == c.blue, "\(frame.name) should be aqua: \(c)")
            } else {
                #expect(c.blue >= 205 && c.red == c.green, "\(frame.name) should be blue: \(c)")
            }
        }
    }

    @Test func colourModes() throws {
        let p = profile([("alpha_one;alpha_two;beta", 1)])
        let fills = { (o: FlameGraphOptions) in try render(p, o).1.frames.map(\.fill) }
        let hashed = try fills(FlameGraphOptions())
        let prefix = try fills(FlameGraphOptions(hash: false))
        #expect(hashed != prefix)
        #expect(try fills(FlameGraphOptions(hash: false)) == prefix)
        let seeded = try fills(FlameGraphOptions(random: true, randomSeed: 7))
        #expect(try fills(FlameGraphOptions(random: true, randomSeed: 7)) == seeded)
        #expect(try fills(FlameGraphOptions(random: true, randomSeed: 8)) != seeded)
        // Prefix mode: names that share their start are closer in colour than unrelated names.
        var colorer = FrameColorer(palette: .red, mode: .prefix, consistentPalette: nil, seed: 0)
        let a = colorer.color(of: "alpha_one", isWaker: false), b = colorer.color(of: "alpha_two", isWaker: false)
        #expect(abs(Int(a.red) - Int(b.red)) <= 3)
    }

    @Test func consistentPaletteWinsAndReportsNewNames() throws {
        let fixed = RGBColor(red: 1, green: 2, blue: 3)
        let options = FlameGraphOptions(random: true, randomSeed: 1, consistentPalette: ["main": fixed])
        let output = try FlameGraph.render(profile([("main;a", 1), ("main;b;a", 1)]), options: options)
        let svg = try ParsedSVG(output.svgText)
        #expect(svg.frames.first { $0.name == "main" }?.fill == "#010203")
        #expect(Set(output.newPaletteColors.keys) == ["all", "a", "b"])
        let aFills = Set(svg.frames.filter { $0.name == "a" }.map(\.fill))
        #expect(aFills == [output.newPaletteColors["a"]!.hex])  // one colour per name, even when random
        let again = try FlameGraph.render(
            profile([("main;a", 1)]),
            options: FlameGraphOptions(random: true, randomSeed: 99, consistentPalette: output.newPaletteColors))
        #expect(try ParsedSVG(again.svgText).frames.first { $0.name == "a" }?.fill == output.newPaletteColors["a"]!.hex)
        #expect(try FlameGraph.render(profile([("x", 1)])).newPaletteColors.isEmpty)
    }

    @Test func paletteMapRoundTrips() throws {
        let text = "b->rgb(1,2,3)\r\n\na->b->rgb(255,0,10)\nc->#0a0B0c\n"
        let map = try PaletteMap.parse(text)
        #expect(
            map == [
                "b": RGBColor(red: 1, green: 2, blue: 3), "a->b": RGBColor(red: 255, green: 0, blue: 10),
                "c": RGBColor(red: 10, green: 11, blue: 12),
            ])
        #expect(PaletteMap.text(map) == "a->b->rgb(255,0,10)\nb->rgb(1,2,3)\nc->rgb(10,11,12)\n")
        #expect(try PaletteMap.parse(PaletteMap.text(map)) == map)
        do {
            _ = try PaletteMap.parse("ok->rgb(1,2,3)\nbroken line\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalidInput && error.message.contains("line 2"))
        }
    }

    @Test func colourAndBackgroundParsing() {
        #expect(RGBColor(parsing: "rgb( 230, 0 ,230 )") == RGBColor(red: 230, green: 0, blue: 230))
        #expect(RGBColor(parsing: "#E600e6")?.hex == "#e600e6")
        #expect(RGBColor(parsing: "#fff") == RGBColor(red: 255, green: 255, blue: 255))
        for bad in ["rgb(256,0,0)", "rgb(1,2)", "#ggg", "#12345", "red", ""] { #expect(RGBColor(parsing: bad) == nil) }
        #expect(Background(parsing: "Gray") == .grey)
        #expect(Background(parsing: "#102030") == .flat(RGBColor(red: 16, green: 32, blue: 48)))
        #expect(Background(parsing: "pink") == nil)
        #expect(Palette.mem.defaultBackground == .green && Palette.chain.defaultBackground == .blue)
        #expect(Palette.aqua.defaultBackground == .grey && Palette.java.defaultBackground == .yellow)
        #expect(FlameGraphOptions.MinWidth(parsing: "0.5%") == .percent(0.5))
        #expect(FlameGraphOptions.MinWidth(parsing: "2") == .pixels(2))
        for bad in ["-1", "abc", "%", "1%%", "nan"] { #expect(FlameGraphOptions.MinWidth(parsing: bad) == nil) }
    }

    @Test func differentialColours() {
        #expect(FrameColorer.changeColor(0, fullChange: 0.1) == RGBColor(red: 255, green: 255, blue: 255))
        #expect(FrameColorer.changeColor(0.1, fullChange: 0.1) == RGBColor(red: 255, green: 0, blue: 0))
        #expect(FrameColorer.changeColor(0.3, fullChange: 0.1) == RGBColor(red: 255, green: 0, blue: 0))
        #expect(FrameColorer.changeColor(-0.1, fullChange: 0.1) == RGBColor(red: 90, green: 90, blue: 255))
        #expect(FrameColorer.changeColor(-0.05, fullChange: 0.1) == RGBColor(red: 173, green: 173, blue: 255))
        #expect(FrameColorer.changeColor(0.05, fullChange: 0.1) == RGBColor(red: 255, green: 128, blue: 128))
        // Continuous at zero: a tiny change is near-white, not a jump to pink.
        let tiny = FrameColorer.changeColor(0.0001, fullChange: 0.1)
        #expect(tiny.red == 255 && tiny.green >= 254 && tiny.blue >= 254)
        #expect(FrameColorer.changeColor(.nan, fullChange: 0.1) == RGBColor(red: 255, green: 255, blue: 255))
    }
}
