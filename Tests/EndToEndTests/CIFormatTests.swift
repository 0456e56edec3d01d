import Foundation
import TestSupport
import Testing

/// Issue 14: where reviewers already work — b4's per-patch check and patchwork's checks API.
struct CIFormatTests {
    /// The fixture kernel on a b4 prep branch: one patch that drops btrfs' wait, one harmless.
    static func preparedBranch() throws -> String {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        for (key, value) in [("user.name", "B Author"), ("user.email", "b@example.org"),
                             ("b4.prep-perpatch-check-cmd", "\(Binary.path) review - --format b4")] {
            try #require(try ProcessRunner.git(["config", key, value], in: repo) == 0)
        }
        let b4 = try ProcessRunner.run([Self.b4, "prep", "-n", "stable-fix"], in: URL(fileURLWithPath: repo),
                                       environment: ["HOME": repo + "-home"])
        try #require(b4.status == 0, "b4 prep -n: \(b4.stderr)")
        let file = repo + "/fs/btrfs/inode.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let wait = "\twait_on_page_writeback(page);\n"
        try text.replacingOccurrences(of: wait, with: "", options: [], range: text.range(of: wait))
            .write(toFile: file, atomically: true, encoding: .utf8)
        try #require(try ProcessRunner.git(["commit", "-qam", "btrfs: drop a wait\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)
        let ext2 = repo + "/fs/ext2/file.c"
        try (try String(contentsOfFile: ext2, encoding: .utf8) + "/* a comment */\n").write(toFile: ext2, atomically: true, encoding: .utf8)
        try #require(try ProcessRunner.git(["commit", "-qam", "ext2: a comment\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)
        return repo
    }

    static let b4 = Binary.packageRoot.appendingPathComponent(".build/b4-venv/bin/b4").path

    @Test func b4PrepCheckRunsSpwReviewPerPatch() throws {
        let repo = try Self.preparedBranch()
        defer { try? FileManager.default.removeItem(atPath: repo); try? FileManager.default.removeItem(atPath: repo + "-home") }
        let check = try ProcessRunner.run([Self.b4, "prep", "--check", "--no-cache"], in: URL(fileURLWithPath: repo),
                                          environment: ["HOME": repo + "-home", "NO_COLOR": "1"])
        let out = check.stdoutText + check.stderr
        #expect(out.contains("spw-review: fs/btrfs/inode.c:36: ERROR: btrfs_page_mkwrite() returns VM_FAULT_LOCKED"), "\(out)")
        #expect(out.contains("WARNING: patch 1/2 removes wait_on_page_writeback()"), "\(out)")
        #expect(out.contains("Success: 1, Warning: 1, Error: 1"), "the harmless patch passes: \(out)")
    }

    @Test func patchworkCheckBodiesOnePerPatch() throws {
        let repo = try Self.preparedBranch()
        defer { try? FileManager.default.removeItem(atPath: repo); try? FileManager.default.removeItem(atPath: repo + "-home") }
        let mails = try ProcessRunner.run(["git", "format-patch", "--thread", "--stdout", "HEAD~2"], in: URL(fileURLWithPath: repo)).stdout
        let url = try writeTemporary(mails, name: "two.mbox")
        let result = try Binary.run([url.path, "--tree", repo, "--base", "HEAD~2", "--format", "patchwork-check",
                                     "--target-url", "https://ci.example.org/run/7"])
        #expect(result.status == 1)
        let checks = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]])
        #expect(checks.count == 2)
        let bodies = checks.compactMap { $0["check"] as? [String: Any] }
        #expect(bodies.map { $0["state"] as? String } == ["fail", "success"])
        for body in bodies {
            #expect(Set(body.keys) == ["state", "target_url", "description", "context"])
            #expect(body["context"] as? String == "spw-review")
            #expect(body["target_url"] as? String == "https://ci.example.org/run/7")
            #expect(((body["description"] as? String)?.count ?? 999) <= 255)
        }
        #expect((checks.first?["messageID"] as? String)?.isEmpty == false)
    }
}
