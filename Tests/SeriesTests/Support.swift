import Foundation
import TestSupport
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
    let output = try ProcessRunner.run(arguments, in: directory, stdin: input)
    return (output.status, output.stdout, output.stderr)
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
    let url = TestScratch.root.appendingPathComponent("spw-\(UUID().uuidString)-\(name)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    return try readSeries([url.path])
}

func temporaryDirectory() throws -> URL {
    let url = TestScratch.root.appendingPathComponent("spw-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
