import Foundation
import TestSupport
import Mail
import Series
import Git

enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("fixtures")
    static let fixtureBase = "33479b705eae5fb1ad13124063cb8b78d157388f"
    static var seedThread: String { fixtures.appendingPathComponent("stable-page-writes-v3.2-thread.txt").path }
    static var cleanMbox: String { fixtures.appendingPathComponent("series/stable-page-writes-v3.2.mbox").path }
    /// The trees after the clean series' three commits (fixtures/series/README.md), as made by git am.
    static let cleanCommits = ["2ed8d8c37b23d6c30f1e79b7e67feb702c83d4b9", "c3d858c728176d553f6e4caf3ebf5d203478acbd",
                               "3e40b79a09e049e7af852964ff137efb256f8939"]
}

func temporaryDirectory() throws -> URL {
    let url = TestScratch.root.appendingPathComponent("spw-apply-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a program (through env), git configuration isolated; status, stdout and stderr.
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil, environment extra: [String: String] = [:]) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let output = try ProcessRunner.run(arguments, in: directory, environment: extra, isolateGitConfig: true)
    return (output.status, output.stdoutText, output.stderr)
}

/// Runs git in `repo` with a fixed identity and dates.
@discardableResult
func git(_ repo: URL, _ arguments: String...) throws -> String {
    let result = try run(["git"] + arguments, in: repo, environment: [
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_AUTHOR_DATE": "2011-05-20 10:00:00 +0000",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_COMMITTER_DATE": "2011-05-20 10:00:00 +0000",
    ])
    if result.status != 0 { throw TestFailure("git \(arguments) failed: \(result.stderr)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A fresh git repository of the fixture kernel (fixtures/kernel-repo.sh), in a temp dir.
func fixtureRepository() throws -> URL {
    let dest = try temporaryDirectory().appendingPathComponent("kernel")
    let result = try run(["sh", TestPaths.fixtures.appendingPathComponent("kernel-repo.sh").path,
                          TestPaths.fixtures.appendingPathComponent("kernel").path, dest.path])
    precondition(result.status == 0, "kernel-repo.sh failed: \(result.stderr)")
    return dest
}

func removeRepository(_ url: URL) { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }

/// Every regular file under `directory` (`.git` included) → its bytes' SHA-1 (git hash-object).
func snapshot(_ directory: URL) throws -> [String: String] {
    var paths: [String] = []
    let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])!
    for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
        paths.append(url.path)
    }
    let list = try temporaryDirectory().appendingPathComponent("paths")
    try paths.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: list.deletingLastPathComponent()) }
    let hashes = try run(["git", "hash-object", "--no-filters", "--stdin-paths"], in: nil, environment: [:], input: list)
    let ids = hashes.stdout.split(separator: "\n").map(String.init)
    var out: [String: String] = [:]
    for (path, id) in zip(paths, ids) { out[String(path.dropFirst(directory.path.count))] = id }
    return out
}

@discardableResult
func run(_ arguments: [String], in directory: URL?, environment extra: [String: String], input: URL) throws
    -> (status: Int32, stdout: String) {
    let output = try ProcessRunner.run(arguments, in: directory, environment: extra, stdinFile: input)
    return (output.status, output.stdoutText)
}

/// Reads a series from files.
func readSeries(_ paths: [String]) throws -> PatchSeries {
    var builder = SeriesBuilder()
    for path in paths {
        let input = try MailInput(path: path)
        input.forEach { builder.add($0) }
    }
    guard let series = builder.finish().pick() else { throw TestFailure("no series in \(paths)") }
    return series
}

func readSeries(text: String, name: String = "test.mbox") throws -> PatchSeries {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return try readSeries([url.path])
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The tree id of a commit, via git.
func treeOf(_ repo: URL, _ revision: String) throws -> String {
    try git(repo, "rev-parse", "\(revision)^{tree}")
}
