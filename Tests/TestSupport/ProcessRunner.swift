import Foundation

/// How every test target runs a program. Output goes through files, not pipes, so nothing
/// deadlocks however much the program prints; stdin comes from a file too.
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `arguments` through `executable` (`/usr/bin/env` by default, so `arguments[0]` is
    /// looked up on PATH). `isolateGitConfig` hides the machine's and the user's git configuration.
    static let cacheHome: String = {
        let url = TestScratch.root.appendingPathComponent("spw-cache-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }()

    public static func run(_ arguments: [String], executable: String = "/usr/bin/env", in directory: URL? = nil,
                           environment extra: [String: String] = [:], stdin: Data? = nil, stdinFile: URL? = nil,
                           isolateGitConfig: Bool = false) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        // spw-review's caches (scan results, prefilter answers) go to this test process's own
        // directory: tests never write the developer's ~/.cache, and never read a stale one.
        environment["XDG_CACHE_HOME"] = Self.cacheHome
        if isolateGitConfig {
            environment["GIT_CONFIG_NOSYSTEM"] = "1"
            environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        }
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        let scratch = TestScratch.root.appendingPathComponent("spw-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        let inURL = stdinFile ?? scratch.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        if stdinFile == nil { _ = FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data()) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        process.waitUntilExit()
        try out.close(); try err.close(); try input.close()
        return Output(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `git` for test setup, with a throwaway identity; its output is discarded.
    @discardableResult
    public static func git(_ arguments: [String], in directory: String) throws -> Int32 {
        try run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org"] + arguments,
                in: URL(fileURLWithPath: directory)).status
    }
}
