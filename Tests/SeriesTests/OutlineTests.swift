import Foundation
import Testing
import TestSupport
import Mail
import Series

/// Issue 13's streaming: an mbox file is grouped from outlines (envelope, in-body Subject, the
/// diff read from the body's bytes), and only the chosen series is read in full. The outlines
/// must group exactly as the full read does; these cases hold every way a mail can carry its
/// diff (plain, quoted-printable, base64, a MIME attachment) and every grouping rule.
struct OutlineTests {
    static func outlined(_ path: String) throws -> SeriesCollection {
        var builder = SeriesBuilder()
        try MailInput(path: path).forEachRawMessage { raw, _ in builder.addSkimmed(raw) }
        return builder.finish()
    }

    /// What `list` shows of a collection, series by series.
    static func listing(_ c: SeriesCollection) -> [String] {
        c.series.enumerated().map { k, s in
            "\(c.threads[k]) \(s.title) v\(s.version) \(s.patches.map(\.number)) of \(s.total) cover:\(s.coverLetter != nil) "
                + "replies:\(s.replies.count) resend:\(s.patches.contains { $0.subjectInfo.isResend })"
        }
    }

    static func diff(_ n: Int) -> String { defaultDiff.replacingOccurrences(of: "return 1;", with: "return \(n + 1);") }

    static let qpPatch = """
        From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
        From: Q P <qp@example.org>
        Subject: [PATCH] qp: an encoded patch
        Message-ID: <qp1>
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Encoded=20by a mailer.

        ---
        diff --git a/mm/qp.c b/mm/qp.c
        --- a/mm/qp.c
        +++ b/mm/qp.c
        @@ -1,1 +1,1 @@
        -int a =3D 0;
        +int a =3D 1;

        """

    static let attachedPatch = """
        From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
        From: M I M E <mime@example.org>
        Subject: fs: a patch as an attachment
        Message-ID: <mime1>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="XX"

        --XX
        Content-Type: text/plain

        See the attachment.
        --XX
        Content-Type: text/x-patch; name="a.patch"
        Content-Transfer-Encoding: base64

        \(Data("diff --git a/fs/a.c b/fs/a.c\n--- a/fs/a.c\n+++ b/fs/a.c\n@@ -1 +1 @@\n-x\n+y\n".utf8).base64EncodedString())
        --XX--

        """

    static let archive = [
        // A threaded v1 and its v2 in the same thread, a reply with a trailer.
        patchMail(subject: "[PATCH 0/2] thing", messageID: "c1", diff: ""),
        patchMail(subject: "[PATCH 1/2] a", messageID: "p1", inReplyTo: "c1", diff: diff(1)),
        patchMail(subject: "[PATCH 2/2] b", messageID: "p2", inReplyTo: "c1", diff: diff(2)),
        patchMail(subject: "Re: [PATCH 1/2] a", from: "R Eviewer <r@example.org>", messageID: "r1", inReplyTo: "p1",
                  body: "Looks right.\n\nReviewed-by: R Eviewer <r@example.org>\n", diff: ""),
        patchMail(subject: "[PATCH v2 1/1] a", messageID: "v2", inReplyTo: "c1", diff: diff(3)),
        // An unthreaded run by several authors, then its resend in a new thread.
        patchMail(subject: "[PATCH 1/2] x", from: "Ann <ann@example.org>", messageID: "u1", diff: diff(4)),
        patchMail(subject: "[PATCH 2/2] y", from: "Bob <bob@example.org>", messageID: "u2", diff: diff(5)),
        patchMail(subject: "[PATCH RESEND 1/2] x", from: "Ann <ann@example.org>", messageID: "u3", diff: diff(4)),
        patchMail(subject: "[PATCH RESEND 2/2] y", from: "Bob <bob@example.org>", messageID: "u4", diff: diff(5)),
        // The same change sent twice without a label; an in-body Subject naming the commit.
        patchMail(subject: "[PATCH] z", messageID: "z1", diff: diff(6)),
        patchMail(subject: "[PATCH] z", messageID: "z2", diff: diff(6)),
        patchMail(subject: "[PATCH] outer", messageID: "ib", body: "Subject: [PATCH] inner title\n\nWhy.\n", diff: diff(7)),
        // Mails that are no patch: a question, a pull request.
        patchMail(subject: "question", messageID: "q", body: "How do I...?\n", diff: ""),
        patchMail(subject: "[GIT PULL] fixes", messageID: "pr",
                  body: "The following changes since commit 0123:\n\n  x\n\nare available in the Git repository at:\n\n  git://example.org/x.git fixes\n",
                  diff: ""),
        qpPatch, attachedPatch,
    ].joined()

    /// A request-pull note is read from a mail's first 64 lines when they hold it: it must be the
    /// note every line gives, for real request-pull mails and for long ones whose base, URL or
    /// repository line comes late.
    @Test func pullRequestNotesAreTheFullReadsWhereverTheyAre() throws {
        func pull(_ shortlog: Int, urlAfter blanks: Int, sinceLate: Bool = false) -> String {
            let log = (1...max(shortlog, 1)).map { "      commit number \($0) of the branch" }.joined(separator: "\n")
            let since = "The following changes since commit 0123456789abcdef0123456789abcdef01234567:\n\n  base (2024-01-01)\n\n"
            return """
                From a@b Mon Sep 17 00:00:00 2001
                From: Maintainer <m@example.org>
                Subject: [GIT PULL] fixes for \(shortlog)/\(blanks)/\(sinceLate)
                Message-ID: <pull-\(shortlog)-\(blanks)-\(sinceLate)@example.org>

                Hi,

                \(sinceLate ? log + "\n\n" : "")\(since)are available in the Git repository at:
                \(String(repeating: "\n", count: blanks))
                  git://git.example.org/pub/scm/fixes.git tags/fixes-\(shortlog)

                for you to fetch changes up to 89abcdef0123456789abcdef0123456789abcdef:

                \(sinceLate ? "" : log)

                """
        }
        // Read from the bytes of a plain body: lines that decide with bytes over 0x7F (the text
        // decides), CRLF, blanks of every kind, the repository line first, no URL at all.
        func odd(_ name: String, _ body: String) -> String {
            "From a@b Mon Sep 17 00:00:00 2001\nFrom: M <m@example.org>\nSubject: [GIT PULL] \(name)\n"
                + "Message-ID: <odd-\(name)@example.org>\n\n\(body)\n"
        }
        let since = "The following changes since commit 0123456789abcdef0123456789abcdef01234567:\n"
        let odds = [
            odd("crlf", (since + "\nare available in the Git repository at:\n\n  git://example.org/crlf.git\n").replacingOccurrences(of: "\n", with: "\r\n")),
            odd("kelvin", since + "are available in the git repositor\u{212A} at:\n  git://example.org/kelvin.git\n"),
            odd("umlaut", since + "are available in the Git repository at (über):\n  git://example.org/umlaut.git\n"),
            odd("url-umlaut", since + "are available in the Git repository at:\n  git://example.org/ü.git\n"),
            odd("nbsp", since + "are available in the Git repository at:\n\u{00A0}\n  git://example.org/nbsp.git\n"),
            odd("blanks", since + "ARE AVAILABLE IN THE GIT REPOSITORY AT:\n \t\u{0B}\u{0C}\n\tgit://example.org/blanks.git \t\n"),
            odd("first", "are available in the Git repository at:\n  git://example.org/first.git\n\n" + since),
            odd("no-url", since + "are available in the Git repository at:\n"),
            odd("no-repository", since + "\n  git://example.org/none.git\n"),
            odd("nul-url", since + "are available in the Git repository at:\n\u{0}\n  git://example.org/nul.git\n"),
            odd("nul-repository", since + "are available in the git repos\u{0}itory at:\n  git://example.org/nul2.git\n"),
        ].joined()
        var archive = [pull(3, urlAfter: 1), pull(200, urlAfter: 1), pull(10, urlAfter: 70), pull(100, urlAfter: 2, sinceLate: true)].joined() + odds
        for name in ["0001-git-pull-request.mbox", "0002-git-pull-request-wrapped.mbox", "0003-git-pull-request-with-diff.mbox",
                     "0023-git-pull-request-newline-in-url.mbox", "0024-git-pull-request-trailing-space.mbox"] {
            let path = TestPaths.corpus.appendingPathComponent("patchwork/patchwork/tests/data/mail/" + name).path
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { archive += text.hasSuffix("\n") ? text : text + "\n" }
        }
        let url = TestScratch.root.appendingPathComponent("pull-\(UUID().uuidString).mbox")
        try archive.write(to: url, atomically: true, encoding: .utf8)
        func notes(_ c: SeriesCollection) -> [String] { c.diagnostics.filter { $0.code == "mail/pull-request" }.map(\.rendered) }
        let outline = notes(try Self.outlined(url.path)), full = notes(try readSeries([url.path]))
        #expect(outline == full)
        // The four generated ones and nine odd ones (the Kelvin sign's and the one without a
        // repository line are no request-pull), with or without the corpus' mails.
        #expect(outline.count >= 13, "\(outline)")
        #expect(outline.contains { $0.contains("fetch git://example.org/blanks.git and") }, "\(outline)")
        #expect(outline.contains { $0.contains("fetch git://git.example.org/pub/scm/fixes.git tags/fixes-10") })
    }

    @Test func outlinesGroupAsTheFullReadDoes() throws {
        let url = TestScratch.root.appendingPathComponent("outline-\(UUID().uuidString).mbox")
        try Self.archive.write(to: url, atomically: true, encoding: .utf8)
        let full = try readSeries([url.path])
        let outline = try Self.outlined(url.path)
        #expect(Self.listing(outline) == Self.listing(full))
        #expect(full.series.count >= 6, "\(Self.listing(full))")
        #expect(Self.listing(full).contains { $0.contains("inner title") })
        #expect(Self.listing(full).contains { $0.contains("qp: an encoded patch") })
        #expect(Self.listing(full).contains { $0.contains("a patch as an attachment") })
        // The pull request's note comes out of both.
        #expect(outline.diagnostics.contains { $0.code == "mail/pull-request" })
        #expect(full.diagnostics.contains { $0.code == "mail/pull-request" })
        // Every mail of a series is where the outline says, copies included.
        let resent = try #require(outline.series.first { $0.title == "x" })
        #expect(resent.mailSources.count == 4)
    }

    @Test func theBundledSeriesOutlinesAsItReads() throws {
        let path = TestPaths.fixtures.appendingPathComponent("series/stable-page-writes-v3.2.mbox").path
        #expect(Self.listing(try Self.outlined(path)) == Self.listing(try readSeries([path])))
    }

    /// The change of a patch is hashed from its bytes the same way however the mail carried it:
    /// a plain patch and the same patch quoted-printable are one change sent twice.
    @Test func aResendInAnotherEncodingIsTheSameChange() throws {
        let plain = patchMail(subject: "[PATCH] enc", messageID: "e1", diff: Self.diff(9))
        let encoded = plain.replacingOccurrences(of: "Message-ID: <e1>",
                                                 with: "Message-ID: <e2>\nContent-Transfer-Encoding: quoted-printable")
        let url = TestScratch.root.appendingPathComponent("enc-\(UUID().uuidString).mbox")
        try (plain + encoded).write(to: url, atomically: true, encoding: .utf8)
        #expect(try Self.outlined(url.path).series.count == 1)
        #expect(try readSeries([url.path]).series.count == 1)
    }

    /// Bodies that look half like a diff, and hostile numbers: an outline must neither crash nor
    /// see a file the full read does not (a `---`/`+++` pair is a file only once a hunk follows).
    @Test func halfDiffsAndHugeNumbersOutlineAsTheyRead() throws {
        let mails = [
            patchMail(subject: "[PATCH 1/2] prose", messageID: "h1",
                      body: "A table in the message:\n--- before\n+++ after\nno hunk follows.\n", diff: ""),
            patchMail(subject: "[PATCH 2/2] huge", messageID: "h2", inReplyTo: "h1",
                      body: "Why.\n", diff: "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -99999999999999999999,1 +1,99999999999999999999 @@\n-a\n+b\n"),
            patchMail(subject: "[PATCH] latin", messageID: "l1", diff: Self.diff(11))
                .replacingOccurrences(of: "Message-ID: <l1>",
                                      with: "Message-ID: <l1>\nContent-Type: text/plain; charset=iso-8859-1; format=flowed"),
        ].joined()
        let url = TestScratch.root.appendingPathComponent("half-\(UUID().uuidString).mbox")
        try mails.write(to: url, atomically: true, encoding: .utf8)
        #expect(Self.listing(try Self.outlined(url.path)) == Self.listing(try readSeries([url.path])))
    }
}
