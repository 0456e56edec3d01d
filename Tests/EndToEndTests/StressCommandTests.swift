import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `spw-review stress` as scripts run it: its exit statuses, its JSON, its file, and Ctrl-C.
struct StressCommandTests {
    static func directory() throws -> URL {
        let url = TestScratch.root.appendingPathComponent("stress-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aShortRunIsCleanAndItsJSONFollowsTheSchema() throws {
        let dir = try Self.directory()
        let r = try Binary.run(["stress", "--profiles", "a,b", "--threads", "4", "--duration", "200ms", "--file-size", "32K",
                                "--dir", dir.path, "--format", "json", "--keep"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = r.json
        #expect(json["schema"] as? String == "spw-review-stress/1")
        #expect(json["blocks"] as? Int == 32 * 1024 / Int(sysconf(Int32(_SC_PAGESIZE))))
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["profile"] as? String } == ["A", "B"])
        #expect(profiles.allSatisfy { $0["status"] as? String == "passed" && ($0["operations"] as? Int ?? 0) > 0 })
        let latency = try #require((profiles[0]["flushLatency"] as? [[String: Any]])?.first)
        #expect(latency["call"] as? String == "sync_file_range")
        #expect(Set(latency.keys).isSuperset(of: ["p50Microseconds", "p99Microseconds", "maxMicroseconds", "count"]))
        let file = try #require(json["file"] as? String)
        #expect(FileManager.default.fileExists(atPath: file), "--keep keeps the file")
        // A second run in the same process would pick the same name: never over an existing file.
        #expect(file.hasPrefix(dir.path + "/spw-review-stress-"))
    }

    @Test func usageAndDirectoryErrorsHaveTheirStatuses() throws {
        let bad = try Binary.run(["stress", "--profiles", "A,X"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--profiles"))
        let size = try Binary.run(["stress", "--file-size", "1000"])
        #expect(size.status == 2)
        let missing = try Binary.run(["stress", "--dir", "/nonexistent/spw-review-stress", "--duration", "100ms"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("cannot use directory '/nonexistent/spw-review-stress': No such file or directory"))
    }

    /// Ctrl-C: the writers stop, the profile that ran is verified and reported, the rest are
    /// marked not run, the file is removed, and the status is 130.
    @Test func anInterruptStillReportsWhatRan() throws {
        let dir = try Self.directory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["stress", "--profiles", "A,B", "--threads", "4", "--duration", "60s", "--file-size", "16K",
                             "--dir", dir.path, "--format", "json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.0)
        kill(process.processIdentifier, SIGINT)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["interrupted"] as? Bool == true)
        let profiles = try #require(json["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["status"] as? String } == ["passed", "not-run"])
        #expect((profiles[0]["seconds"] as? Double ?? 60) < 30)
        #expect(profiles[0]["verification"] is [String: Any])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
