import Foundation
import TestSupport

enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("fixtures")
    static let fixtureBase = "33479b705eae5fb1ad13124063cb8b78d157388f"
}

func temporaryDirectory() throws -> URL {
    let url = TestScratch.root.appendingPathComponent("spw-git-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a program (through env) in `directory`; returns status and standard output.
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, stdout: String) {
    let output = try ProcessRunner.run(arguments, in: directory, isolateGitConfig: true)
    return (output.status, output.stdoutText)
}

/// A fresh git repository of the fixture kernel (fixtures/kernel-repo.sh), in a temp dir.
func fixtureRepository() throws -> URL {
    let dest = try temporaryDirectory().appendingPathComponent("kernel")
    let result = try run(["sh", TestPaths.fixtures.appendingPathComponent("kernel-repo.sh").path,
                          TestPaths.fixtures.appendingPathComponent("kernel").path, dest.path])
    precondition(result.status == 0, "kernel-repo.sh failed")
    return dest
}

/// Every file under `directory` (the .git directory included), path → SHA-1 of its bytes.
func snapshot(_ directory: URL) throws -> [String: String] {
    var out: [String: String] = [:]
    let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])!
    for case let url as URL in enumerator {
        guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
        let result = try run(["git", "hash-object", "--no-filters", url.path])
        out[String(url.path.dropFirst(directory.path.count))] = result.stdout
    }
    return out
}
