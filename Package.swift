// swift-tools-version:6.1
// SPDX-License-Identifier: Apache-2.0
//
// sflame: a sampling profiler for Linux services. Target layout and import limits follow
// DESIGN.md ("Modules") and STYLE.md §2: dependencies point downwards only.
import PackageDescription

let package = Package(
    name: "sflame",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sflame", targets: ["sflame"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // No default traits: swift-protobuf's BinaryDelimitedStreams and Hummingbird's FullFoundation
        // and ConfigurationSupport import all of Foundation, which sflame does not use (it imports
        // FoundationEssentials only). Linked in, Foundation made the static binary 48 MB larger
        // and cost every run 2.7 MiB of resident memory and about a millisecond of start-up
        // (Tests/SFlameIntegrationTests/LinkageTests.swift keeps it out).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: C interop (declarations and static inline helpers only)
        .target(name: "CShims", path: "Sources/CShims"),
        .target(
            name: "CDemangle",
            path: "Sources/CDemangle",
            // libiberty (Debian's libiberty-dev) is a static, position-independent archive: its Rust
            // demangler links into the PIE executable.
            linkerSettings: [.linkedLibrary("stdc++"), .linkedLibrary("iberty")]
        ),
        .systemLibrary(
            name: "CElfutils",
            path: "Sources/CElfutils",
            pkgConfig: "libdw",
            providers: [.apt(["libdw-dev", "libelf-dev"])]
        ),
        .systemLibrary(
            name: "CLibunwind",
            path: "Sources/CLibunwind",
            pkgConfig: "libunwind-ptrace",
            providers: [.apt(["libunwind-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: pure targets (no OS access)
        .target(
            name: "SFlameProfile",
            dependencies: ["CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/README.md"]
        ),
        .target(name: "SFlameKernelFormats", dependencies: ["SFlameProfile"]),
        .target(name: "SFlameDiff", dependencies: ["SFlameProfile"]),
        .target(name: "SFlameRender", dependencies: ["SFlameDiff", "SFlameProfile"]),

        // MARK: over C
        .target(
            name: "SFlameUnwind",
            dependencies: ["CElfutils", "CLibunwind", "SFlameProfile"],
            // Debian's libunwind-ptrace.so leaves liblzma's symbols undefined without a
            // DT_NEEDED entry for it (it expects static linking); name it explicitly.
            linkerSettings: [.linkedLibrary("lzma")]
        ),
        .target(name: "SFlameSymbolication", dependencies: ["CElfutils", "CDemangle", "SFlameProfile"]),

        // MARK: OS edge
        .target(
            name: "SFlameSampling",
            dependencies: [
                "CShims", "SFlameKernelFormats", "SFlameProfile",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // MARK: orchestration
        .target(
            name: "SFlameRecord",
            dependencies: ["SFlameSampling", "SFlameUnwind", "SFlameSymbolication", "SFlameKernelFormats", "SFlameProfile"]
        ),
        // Allocation profiles record through SFlameRecord's EventRecorder and place probes with
        // SFlameSymbolication's symbol lookups (a deviation from DESIGN.md, see Sources/SFlameMemory/Module.swift).
        .target(
            name: "SFlameMemory",
            dependencies: ["SFlameRecord", "SFlameSymbolication", "SFlameSampling", "SFlameKernelFormats", "SFlameProfile"]
        ),

        // MARK: service mode (the only target over SwiftNIO: HTTP server and Prometheus exposition)
        .target(
            name: "SFlameAgent",
            dependencies: [
                "SFlameRecord", "SFlameMemory", "SFlameRender", "SFlameSampling", "SFlameKernelFormats", "SFlameProfile",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),

        // MARK: the CLI
        .executableTarget(
            name: "sflame",
            dependencies: [
                "SFlameRecord", "SFlameMemory", "SFlameRender", "SFlameDiff", "SFlameProfile", "SFlameSampling", "SFlameAgent", "CShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up cost of the one large executable (measured with tools/bench-formats):
            // - `-z pack-relative-relocs` stores the ~110,000 relative relocations of this PIE as a
            //   DT_RELR bitmap (glibc >= 2.36) instead of a 2.6 MB .rela.dyn table that ld.so reads
            //   page by page at every start.
            // - `--no-export-dynamic` undoes the `-export-dynamic` of the static Swift runtime's link
            //   arguments: nothing dlsym()s into sflame, and a 3 MB .dynsym/.dynstr goes away.
            // lld links it (gold, the driver's default, cannot write DT_RELR). Together: peak RSS of
            // the static release `sflame --version` 17.0 -> 13.4 MiB.
            linkerSettings: [
                .unsafeFlags([
                    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                    "-Xlinker", "--no-export-dynamic",
                ])
            ]
        ),

        // MARK: tests
        .target(name: "SFlameTestSupport", path: "Tests/SFlameTestSupport"),
        .testTarget(name: "SFlameRecordTests", dependencies: ["SFlameRecord", "SFlameKernelFormats", "SFlameTestSupport"]),
        .testTarget(
            name: "SFlameProfileTests", dependencies: ["SFlameProfile", "SFlameTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SFlameKernelFormatsTests", dependencies: ["SFlameKernelFormats", "SFlameProfile"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SFlameMemoryTests", dependencies: ["SFlameMemory", "SFlameRecord", "SFlameKernelFormats", "SFlameProfile"]),
        .testTarget(
            name: "SFlameRenderTests", dependencies: ["SFlameRender", "SFlameDiff", "SFlameProfile", "SFlameTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SFlameDiffTests", dependencies: ["SFlameDiff", "SFlameProfile", "SFlameTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SFlameSymbolicationTests",
            dependencies: ["SFlameSymbolication", "SFlameProfile"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SFlameUnwindTests", dependencies: ["SFlameUnwind"]),
        .testTarget(name: "SFlameAgentTests", dependencies: ["SFlameAgent", "SFlameSampling"]),
        .testTarget(
            name: "SFlameSamplingTests", dependencies: ["SFlameSampling", "SFlameKernelFormats", "SFlameTestSupport"]),
        .testTarget(
            name: "SFlameIntegrationTests", dependencies: ["sflame", "SFlameProfile", "SFlameTestSupport"]),
    ]
)
