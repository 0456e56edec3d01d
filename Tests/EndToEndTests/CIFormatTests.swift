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
        try CheckAndHookTests.dropBtrfsWait(in: repo)
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

/// Issue 13: follow-up trailers against the real b4 (`b4 am -m`): the same trailers applied, the
/// same ones refused as from/email mismatches. (Where b4 keeps `<mailto:…>` or a trailing dot in
/// an address, spw-review cleans them first; docs/grouping.md.)
struct B4TrailerAgreementTests {
    @Test func theSameFollowUpTrailersAsB4() throws {
        func mail(_ from: String, _ id: String, _ subject: String, _ body: String, replyTo: String? = nil) -> String {
            "From x Mon Sep 17 00:00:00 2001\nFrom: \(from)\nDate: Thu, 26 May 2011 16:04:37 -0700\nSubject: \(subject)\nMessage-ID: <\(id)>\n"
                + (replyTo.map { "In-Reply-To: <\($0)>\nReferences: <\($0)>\n" } ?? "") + "\n" + body + "\n"
        }
        let patch = "Do the thing.\n\nSigned-off-by: A U Thor <author@example.org>\n---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
            + "diff --git a/a.c b/a.c\nindex 1111111..2222222 100644\n--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,3 @@\n int a;\n-int b;\n+int b2;\n int c;\n-- \n2.39.2\n"
        let text = mail("A U Thor <author@example.org>", "p1@example.org", "[PATCH] fs: a change", patch)
            + mail("Rev Iewer <rev@example.org>", "r1@example.org", "Re: [PATCH] fs: a change",
                   "> Do the thing.\n\nLooks right.\n\nReviewed-by: Rev Iewer <rev@example.org>\n", replyTo: "p1@example.org")
            + mail("Some One <some@example.org>", "r2@example.org", "Re: [PATCH] fs: a change",
                   "Acked-by: Other Person <other@example.org>\nTested-by: Some One <some@example.org>\n", replyTo: "r1@example.org")
        let url = try writeTemporary(Data(text.utf8), name: "thread.mbox")
        let out = url.deletingLastPathComponent().appendingPathComponent("b4-out-\(UUID().uuidString)")
        let home = out.path + "-home"
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(atPath: home) }
        let b4 = try ProcessRunner.run([CIFormatTests.b4, "am", "-m", url.path, "-o", out.path, "p1@example.org"],
                                       environment: ["HOME": home])
        try #require(b4.status == 0, "\(b4.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".mbx") }
        let b4Mail = try String(contentsOf: out.appendingPathComponent(try #require(files.first)), encoding: .utf8)
        let keys = ["Reviewed-by:", "Acked-by:", "Tested-by:"]
        let b4Trailers = Set(b4Mail.split(separator: "\n").filter { line in keys.contains { line.hasPrefix($0) } }.map(String.init))
        #expect(b4Trailers == ["Reviewed-by: Rev Iewer <rev@example.org>", "Tested-by: Some One <some@example.org>"])
        #expect((b4.stdoutText + b4.stderr).contains("Acked-by: Other Person <other@example.org>"), "b4 names the mismatch")

        let ours = try Binary.run([url.path, "--format", "json"])
        let patches = ((ours.json["series"] as? [String: Any])?["patches"] as? [[String: Any]]) ?? []
        let collected = ((patches.first?["collectedTrailers"] as? [[String: Any]]) ?? []).map { "\($0["key"] ?? ""): \($0["value"] ?? "")" }
        #expect(Set(collected) == b4Trailers)
        let codes = (ours.json["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("mail/trailer-mismatch"))
    }

    /// What the real `b4 am` writes is an input as it stands: its output directory (the `.mbx`
    /// of every patch, the `.cover` beside it) and its Maildir (`-M`) are the whole series.
    @Test func b4AmOutputIsTheWholeSeries() throws {
        func mail(_ id: String, _ subject: String, _ body: String, replyTo: String? = nil) -> String {
            "From x Mon Sep 17 00:00:00 2001\nFrom: A U Thor <author@example.org>\nDate: Thu, 26 May 2011 16:04:37 -0700\n"
                + "Subject: \(subject)\nMessage-ID: <\(id)>\n" + (replyTo.map { "In-Reply-To: <\($0)>\nReferences: <\($0)>\n" } ?? "")
                + "\n" + body + "\n"
        }
        func patch(_ n: Int) -> String {
            "Change \(n).\n\nSigned-off-by: A U Thor <author@example.org>\n---\n"
                + "diff --git a/f\(n).c b/f\(n).c\nindex 1111111..2222222 100644\n--- a/f\(n).c\n+++ b/f\(n).c\n@@ -1,3 +1,3 @@\n int a;\n-int b;\n+int b\(n);\n int c;\n-- \n2.39.2\n"
        }
        let text = mail("c@example.org", "[PATCH 0/2] two changes", "Two changes.\n\nA U Thor (2):\n  one\n  two\n")
            + mail("p1@example.org", "[PATCH 1/2] one", patch(1), replyTo: "c@example.org")
            + mail("p2@example.org", "[PATCH 2/2] two", patch(2), replyTo: "c@example.org")
        let url = try writeTemporary(Data(text.utf8), name: "thread.mbox")
        for maildir in [false, true] {
            let out = url.deletingLastPathComponent().appendingPathComponent("b4-am-\(UUID().uuidString)")
            let home = out.path + "-home"
            defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(atPath: home) }
            let b4 = try ProcessRunner.run([CIFormatTests.b4, "am", "-m", url.path, "-o", out.path] + (maildir ? ["-M"] : []) + ["c@example.org"],
                                           environment: ["HOME": home])
            try #require(b4.status == 0, "\(b4.stderr)")
            let written = try FileManager.default.contentsOfDirectory(atPath: out.path)
            if !maildir { #expect(written.contains { $0.hasSuffix(".mbx") } && written.contains { $0.hasSuffix(".cover") }, "\(written)") }
            let listed = try Binary.run(["list", out.path, "--format", "json"])
            #expect(listed.status == 0, "\(listed.stderr)")
            let series = (listed.json["series"] as? [[String: Any]]) ?? []
            #expect(series.count == 1, "maildir \(maildir): \(series)")
            #expect(series.first?["patches"] as? Int == 2 && series.first?["complete"] as? Bool == true, "maildir \(maildir): \(series)")
            #expect(series.first?["coverLetter"] as? Bool == true, "maildir \(maildir): \(series)")
            if maildir {
                // The Maildir alone: the patches (b4 keeps the cover letter beside it).
                let folder = try #require(written.first { $0.hasSuffix(".maildir") }, "\(written)")
                let alone = try Binary.run(["list", out.appendingPathComponent(folder).path, "--format", "json"])
                let patches = ((alone.json["series"] as? [[String: Any]])?.first?["patches"] as? Int)
                #expect(patches == 2, "\(alone.stdout) \(alone.stderr)")
            }
        }
    }
}
