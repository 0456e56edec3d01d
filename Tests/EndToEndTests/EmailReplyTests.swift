import Foundation
import Mail
import TestSupport
import Testing

/// Issue 14: `--format email` writes replies a maintainer sends as they are. Read back with our
/// own mail reader, with Python's `email` package, and by `git send-email --dry-run`.
struct EmailReplyTests {
    /// The fixture kernel with btrfs' wait dropped, mailed by git with To and Cc; the replies.
    static func replies() throws -> (mbox: URL, mail: URL, repo: String) {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        try CheckAndHookTests.dropBtrfsWait(in: repo)
        try #require(try ProcessRunner.git(["commit", "-qam", "btrfs: drop the stable-page wait\n\nSigned-off-by: B Author <b@example.org>",
                                            "--author", "B Author <b@example.org>"], in: repo) == 0)
        let mail = try ProcessRunner.run(["git", "format-patch", "-1", "--thread", "--stdout", "--to", "Maint Ainer <maint@example.org>",
                                          "--cc", "linux-fsdevel <linux-fsdevel@vger.kernel.org>", "--cc", "Rev Iewer <rev@example.org>"],
                                         in: URL(fileURLWithPath: repo))
        let mailURL = try writeTemporary(mail.stdout, name: "btrfs.mbox")
        try #require(try ProcessRunner.git(["reset", "-q", "--hard", "HEAD~1"], in: repo) == 0)
        let review = try Binary.run([mailURL.path, "--tree", repo, "--format", "email"],
                                    environment: ["GIT_AUTHOR_NAME": "Re Viewer", "GIT_AUTHOR_EMAIL": "reviewer@example.org"])
        #expect(review.status == 1, "the series opens a hole: \(review.stderr)")
        return (try writeTemporary(Data(review.stdout.utf8), name: "replies.mbox"), mailURL, repo)
    }

    @Test func repliesReadBackWithOurReaderAndFollowTheConventions() throws {
        let (mbox, mail, repo) = try Self.replies()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let original = try #require(Self.messages(mail).first)
        let replies = try Self.messages(mbox)
        try #require(replies.count == 1, "a series without a cover letter and one patch commented on: one reply")
        let reply = replies[0]
        #expect(reply.subject == "Re: " + original.subject)
        #expect(reply.inReplyTo == original.messageID)
        #expect(reply.references.last == original.messageID)
        #expect(reply.headers["to"] == "B Author <b@example.org>")
        let cc = reply.headers["cc"] ?? ""
        for address in ["maint@example.org", "linux-fsdevel@vger.kernel.org", "rev@example.org"] {
            #expect(cc.contains(address), "Cc keeps \(address): \(cc)")
        }
        #expect(reply.headers["from"] == "Re Viewer <reviewer@example.org>")
        let body = reply.body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // No top-posting: the attribution, then the quoted hunk, then the comments below it.
        #expect(body.first?.hasPrefix("On ") == true && body.first?.hasSuffix("wrote:") == true)
        #expect(body.dropFirst().first?.hasPrefix("> diff --git a/fs/btrfs/inode.c") == true)
        let removed = try #require(body.firstIndex { $0.hasPrefix("> -") && $0.contains("wait_on_page_writeback") })
        let comment = try #require(body.firstIndex { $0.hasPrefix("error: btrfs_page_mkwrite()") })
        #expect(removed < comment && !body[(removed + 1)..<comment].contains { $0.hasPrefix(">") && $0.count > 2 },
                "the comment is right below the quoted line it is about")
        #expect(body.contains("-- ") && body.last(where: { !$0.isEmpty }) == "spw-review")
        // Prose at 72 columns; quoted code and path steps stay whole.
        for line in body where line.count > 72 {
            #expect(line.hasPrefix("> ") || line.hasPrefix("  fs/"), "too long for a mail: \(line)")
        }
    }

    @Test func pythonsEmailPackageReadsTheSameHeaders() throws {
        let (mbox, mail, repo) = try Self.replies()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let script = """
            import mailbox, sys, email.policy
            original = next(iter(mailbox.mbox(sys.argv[2], factory=None)))
            for m in mailbox.mbox(sys.argv[1]):
                m = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
                assert m["In-Reply-To"].strip() == original["Message-Id"].strip(), (m["In-Reply-To"], original["Message-Id"])
                assert m["Subject"] == "Re: " + " ".join(original["Subject"].split()), m["Subject"]
                assert m["To"].addresses[0].addr_spec == "b@example.org"
                assert {a.addr_spec for a in m["Cc"].addresses} >= {"maint@example.org", "linux-fsdevel@vger.kernel.org", "rev@example.org"}
                assert m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8"
                body = m.get_content()
                assert "\\n-- \\nspw-review\\n" in body
                for line in body.splitlines():
                    assert len(line) <= 72 or line.startswith("> ") or line.startswith("  fs/"), line
            print("ok")
            """
        let python = try ProcessRunner.run(["python3", "-c", script, mbox.path, mail.path])
        #expect(python.status == 0 && python.stdoutText == "ok\n", "\(python.stderr)")
    }

    @Test func gitSendEmailAcceptsTheReplies() throws {
        let (mbox, _, repo) = try Self.replies()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let send = try ProcessRunner.run(["git", "send-email", "--dry-run", "--confirm=never", "--suppress-cc=all",
                                          "--from", "Re Viewer <reviewer@example.org>", "--no-validate", mbox.path],
                                         in: URL(fileURLWithPath: repo), isolateGitConfig: true)
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stdoutText.contains("Dry-OK. Log says:"), "\(send.stdoutText)")
        #expect(send.stdoutText.contains("To: B Author <b@example.org>"))
        #expect(send.stdoutText.contains("In-Reply-To: <"))
    }

    static func messages(_ url: URL) throws -> [MailMessage] {
        let input = try MailInput(path: url.path)
        var out: [MailMessage] = []
        input.forEach { item in if case .message(let m) = item { out.append(m) } }
        return out
    }
}
