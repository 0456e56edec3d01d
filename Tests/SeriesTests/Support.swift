import Foundation
import Mail
import Series

/// Paths the tests read: the package root, its fixtures, and the shared third-party corpus.
enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("fixtures")
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/peer-mail")
    static var seedThread: String { fixtures.appendingPathComponent("stable-page-writes-v3.2-thread.txt").path }
}

/// Runs a program and returns its standard output; stdin from `input` when given.
@discardableResult
func run(_ arguments: [String], input: Data? = nil, in directory: URL? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    // Files, not pipes: no deadlock however much the program prints.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("spw-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
    let inURL = scratch.appendingPathComponent("in")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    FileManager.default.createFile(atPath: inURL.path, contents: input ?? Data())
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let inHandle = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inHandle
    try process.run()
    process.waitUntilExit()
    try out.close(); try err.close(); try inHandle.close()
    return (process.terminationStatus, try Data(contentsOf: outURL), String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

/// Reads every item of an input path into a series collection.
func readSeries(_ paths: [String]) throws -> SeriesCollection {
    var builder = SeriesBuilder()
    for path in paths {
        let input = try MailInput(path: path)
        input.forEach { builder.add($0) }
    }
    return builder.finish()
}

func readSeries(text: String, name: String = "test.mbox") throws -> SeriesCollection {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spw-\(UUID().uuidString)-\(name)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    return try readSeries([url.path])
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spw-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
