// swift-tools-version:6.0
import PackageDescription

// One target per stage; data flows one way (see docs/architecture.md):
// Mail -> Series -> (Apply) -> CSyntax -> (StablePages) -> Report -> spw-review; Support
// (diagnostics, tracing, byte helpers) under all of them.
let package = Package(
    name: "spw-review",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spw-review", targets: ["spw-review"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Latency percentiles of `spw-review stress` (issue 15 asks for HdrHistogram).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "Git", dependencies: ["CLibGit2"]),
        // zlib, for git's binary patches (deflated, then base85 in the mail).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // What every stage shares: diagnostics, performance tracing, byte-level text helpers.
        .target(name: "Support"),
        // The mbox reader's line skipping, sixteen bytes at a time (SSE2 where there is).
        .target(name: "CMboxScan"),
        .target(name: "Mail", dependencies: ["Support", "CMboxScan", "CZlib"]),
        .target(name: "Series", dependencies: ["Mail", "Support"]),
        .target(name: "Apply", dependencies: ["Series", "Git", "Support", "CZlib"]),
        .target(name: "CSyntax"),
        .target(name: "StablePages", dependencies: ["CSyntax", "Series", "Support"]),
        .target(name: "Report", dependencies: ["Series", "Apply", "StablePages", "Support"]),
        // `spw-review stress`: the 2011 thread's write-after-checksum experiment on a live system.
        // A stage of its own beside the pipeline: it reads no mail and analyses no code.
        .target(name: "CStressIO"),
        .target(name: "Stress", dependencies: [
            "CStressIO", "CZlib", .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(
            name: "spw-review",
            dependencies: [
                "Support", "Mail", "Series", "Git", "Apply", "CSyntax", "StablePages", "Report", "Stress",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks are a program of their own, never tests (see BENCHMARKS.md).
        .executableTarget(name: "spw-bench", dependencies: ["Support", "Mail", "Series", "StablePages", "CSyntax"]),
        .executableTarget(name: "csyntax-bench", dependencies: ["CSyntax"], path: "Benchmarks/CSyntaxBench"),
        // libFuzzer targets: `make fuzz-mail` builds them with -sanitize=fuzzer; a plain build
        // gives a replay program that runs the parsers over the files it is given.
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "fuzz-mail", dependencies: ["Mail", "Series", "Support", "FuzzSupport"], path: "Fuzz/fuzz-mail"),
        .executableTarget(name: "fuzz-csyntax", dependencies: ["CSyntax", "FuzzSupport"], path: "Fuzz/fuzz-csyntax"),
        .executableTarget(name: "fuzz-config", dependencies: ["StablePages", "FuzzSupport"], path: "Fuzz/fuzz-config"),
        .executableTarget(name: "fuzz-cache", dependencies: ["StablePages", "FuzzSupport"], path: "Fuzz/fuzz-cache"),
        // Process running shared by the test targets (not a product; tests only).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MailTests", dependencies: ["Mail", "Support", "TestSupport"]),
        .testTarget(name: "SeriesTests", dependencies: ["Series", "Mail", "Support", "TestSupport"]),
        .testTarget(name: "CSyntaxTests", dependencies: ["CSyntax"]),
        .testTarget(name: "StablePagesTests", dependencies: ["StablePages", "CSyntax", "Series", "Mail", "Support", "TestSupport", "Report"]),
        .testTarget(name: "GitTests", dependencies: ["Git", "TestSupport"]),
        .testTarget(name: "ApplyTests", dependencies: ["Apply", "Series", "Mail", "Support", "Git", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "StablePages", "Series", "Mail", "Support"],
                    exclude: ["Snapshots"]),
        .testTarget(name: "StressTests", dependencies: ["Stress", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Mail"]),
    ]
)
