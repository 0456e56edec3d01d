// swift-tools-version:6.0
import PackageDescription

// One target per stage; data flows one way (see docs/architecture.md):
// Mail -> Series -> (Apply) -> CSyntax -> (StablePages) -> Report -> spw-review.
let package = Package(
    name: "spw-review",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spw-review", targets: ["spw-review"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "Git", dependencies: ["CLibGit2"]),
        .target(name: "Mail"),
        .target(name: "Series", dependencies: ["Mail"]),
        .target(name: "Apply", dependencies: ["Series", "Git", "Mail"]),
        // TEMPORARY: CSyntax (issue 4) is being written in an isolated dev package; it joins
        // this manifest when it lands.
        // .target(name: "CSyntax"),
        .target(name: "Report", dependencies: ["Mail", "Series", "Apply"]),
        .executableTarget(
            name: "spw-review",
            dependencies: [
                "Mail", "Series", "Git", "Apply", "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // TEMPORARY while the CSyntax stage is being written in isolation (issue 4).
            exclude: ["ParseCCommand.swift"]
        ),
        // Benchmarks are a program of their own, never tests (see BENCHMARKS.md).
        .executableTarget(name: "spw-bench", dependencies: ["Mail", "Series"]),
        // libFuzzer targets: `make fuzz-mail` builds them with -sanitize=fuzzer; a plain build
        // gives a replay program that runs the parsers over the files it is given.
        .executableTarget(name: "fuzz-mail", dependencies: ["Mail", "Series"], path: "Fuzz/fuzz-mail"),
        .testTarget(name: "MailTests", dependencies: ["Mail"]),
        .testTarget(name: "SeriesTests", dependencies: ["Series", "Mail"]),
        // .testTarget(name: "CSyntaxTests", dependencies: ["CSyntax"]),
        .testTarget(name: "GitTests", dependencies: ["Git"]),
        .testTarget(name: "ApplyTests", dependencies: ["Apply", "Series", "Mail", "Git"]),
        .testTarget(name: "EndToEndTests", dependencies: []),
    ]
)
