import Foundation
import Testing
import Mail
@testable import Series

/// Builds a patch mail for tests: header lines, commit message, `---`, diffstat, diff.
func patchMail(
    subject: String, from: String = "A U Thor <author@example.org>", messageID: String, inReplyTo: String? = nil,
    body: String = "Do the thing.\n\nSigned-off-by: A U Thor <author@example.org>\n", diff: String = defaultDiff
) -> String {
    var headers = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
    headers += "From: \(from)\nDate: Thu, 26 May 2011 16:04:37 -0700\nSubject: \(subject)\nMessage-ID: <\(messageID)>\n"
    if let inReplyTo { headers += "In-Reply-To: <\(inReplyTo)>\nReferences: <\(inReplyTo)>\n" }
    return headers + "\n" + body + (diff.isEmpty ? "" : "---\n" + diff) + "\n"
}

let defaultDiff = """
     mm/filemap.c | 2 +-
     1 file changed, 1 insertion(+), 1 deletion(-)

    diff --git a/mm/filemap.c b/mm/filemap.c
    index 1111111..2222222 100644
    --- a/mm/filemap.c
    +++ b/mm/filemap.c
    @@ -10,3 +10,3 @@ int f(void)
     {
    -\treturn 0;
    +\treturn 1;
     }
    -- 
    2.39.2
    """

struct SubjectParserTests {
    @Test(arguments: [
        ("[PATCH v3.2 1/3] mm: wait", "mm: wait", "3.2", 1, 3, [String]()),
        ("[RFC PATCH] x", "x", "1", nil, nil, []),
        ("[PATCH RESEND] x", "x", "1", nil, nil, []),
        ("[PATCH net-next v2 03/12] net: y", "net: y", "2", 3, 12, ["net-next"]),
        ("Re: [PATCH 2/3] fs: z", "fs: z", "1", 2, 3, []),
        ("AW: Re: [PATCHv4 0/2] t", "t", "4", 0, 2, []),
        ("Fwd: [PATCH 1/1] q", "q", "1", 1, 1, []),
        ("[Patch]: Fix ld", "Fix ld", "1", nil, nil, []),
        ("[linux-mm] [PATCH V5 2/7] w", "w", "5", 2, 7, ["linux-mm"]),
    ] as [(String, String, String, Int?, Int?, [String])])
    func readsPrefixes(_ subject: String, _ title: String, _ version: String, _ n: Int?, _ m: Int?, _ tags: [String]) {
        let info = SubjectParser.parse(subject)
        #expect(info.title == title)
        #expect(info.version == version)
        #expect(info.number == n)
        #expect(info.total == m)
        #expect(info.tags == tags)
    }

    @Test func flagsRepliesRFCAndResends() {
        #expect(SubjectParser.parse("Re: [PATCH] a").isReply)
        #expect(SubjectParser.parse("[RFC PATCH] a").isRFC)
        #expect(SubjectParser.parse("[PATCH RESEND v2] a").isResend)
        #expect(!SubjectParser.parse("[PATCH] Re-add foo").isReply)
    }
}

struct TrailerTests {
    func lines(_ s: String) -> [TextLine] { TextLines.split(s) { $0 + 1 } }

    @Test func trailersAtTheEndEvenWithoutABlankLine() {
        let (message, trailers) = PatchBody.splitTrailers(lines("""
            Fix it.
            Fixes: 0123456789ab ("mm: break it")
            Reported-by: R <r@example.org>
            [djwong: tidied]
            signed-off-by: A <a@example.org>
            """))
        #expect(message.map { String($0.text) } == ["Fix it."])
        #expect(trailers.map(\.key) == ["Fixes", "Reported-by", "Signed-off-by"])
        #expect(trailers[2].person == Person(name: "A", email: "a@example.org"))
    }

    @Test func ordinaryLastLinesAreNotTrailers() {
        let (message, trailers) = PatchBody.splitTrailers(lines("Explain.\nNote: this is prose.\n"))
        #expect(trailers.isEmpty)
        #expect(message.count == 2)
    }

    /// A key with nothing after it but Unicode whitespace is no trailer (a reviewer's review found
    /// the byte-level reader taking it for one with an empty value).
    @Test func aKeyWithOnlyUnicodeWhitespaceIsNoTrailer() {
        for blank in ["\u{00A0}", " \u{3000} ", "\t\u{00A0}"] {
            let (message, trailers) = PatchBody.splitTrailers(lines("Fix the frobnicator.\n\nSigned-off-by:\(blank)\n"))
            #expect(trailers.isEmpty, "\(Array(blank.unicodeScalars))")
            #expect(message.count == 3)
            #expect(PatchBody.trailer("Reviewed-by:\(blank)"[...]) == nil)
            #expect(PatchBody.trailer("Tested-by:\(blank)"[...]) == nil)
        }
    }
}

struct SeriesGroupingTests {
    func mbox(_ mails: [String]) -> String { mails.joined() }

    @Test func picksTheNewestCompleteVersionAndListsAll() throws {
        let text = mbox([
            patchMail(subject: "[PATCH 0/2] thing", messageID: "v1-0", diff: ""),
            patchMail(subject: "[PATCH 1/2] a", messageID: "v1-1", inReplyTo: "v1-0"),
            patchMail(subject: "[PATCH 2/2] b", messageID: "v1-2", inReplyTo: "v1-0"),
            patchMail(subject: "[PATCH v2 0/2] thing", messageID: "v2-0", inReplyTo: "v1-0", diff: ""),
            patchMail(subject: "[PATCH v2 1/2] a", messageID: "v2-1", inReplyTo: "v2-0"),
            patchMail(subject: "[PATCH v2 2/2] b", messageID: "v2-2", inReplyTo: "v2-0"),
            patchMail(subject: "[PATCH v3 0/2] thing", messageID: "v3-0", diff: ""),
            patchMail(subject: "[PATCH v3 1/2] a", messageID: "v3-1", inReplyTo: "v3-0"),
        ])
        let collection = try readSeries(text: text)
        #expect(collection.series.map(\.version) == ["1", "2", "3"])
        #expect(collection.series.map(\.isComplete) == [true, true, false])
        #expect(collection.series[2].missingPatches == [2])
        #expect(collection.pick()?.version == "2", "v3 is incomplete")
        #expect(collection.pick(version: "1")?.patches.count == 2)
        #expect(collection.diagnostics.contains { $0.code == "mail/incomplete-series" })
    }

    @Test func unthreadedPatchesOfOneSeriesGroupTogether() throws {
        let collection = try readSeries(text: mbox([
            patchMail(subject: "[PATCH 2/2] b", messageID: "u2"),
            patchMail(subject: "[PATCH 1/2] a", messageID: "u1"),
        ]))
        #expect(collection.series.count == 1)
        #expect(collection.series[0].patches.map(\.number) == [1, 2])
        #expect(collection.series[0].title == "a")
    }

    @Test func reviewTrailersOnTheCoverGoToEveryPatch() throws {
        let reply = """
            From x Mon Sep 17 00:00:00 2001
            From: Rev Iewer <rev@example.org>
            Subject: Re: [PATCH 0/2] thing
            Message-ID: <r1>
            In-Reply-To: <c0>

            On Thu, someone wrote:
            > Reviewed-by: Not Me <not@example.org>
            Looks good.

            Reviewed-by: Rev Iewer <rev@example.org>

            """
        let collection = try readSeries(text: mbox([
            patchMail(subject: "[PATCH 0/2] thing", messageID: "c0", diff: ""),
            patchMail(subject: "[PATCH 1/2] a", messageID: "c1", inReplyTo: "c0"),
            patchMail(subject: "[PATCH 2/2] b", messageID: "c2", inReplyTo: "c0"),
            reply,
        ]))
        let series = try #require(collection.pick())
        #expect(series.replies.count == 1)
        #expect(series.replies[0].inReplyTo == .cover)
        for patch in series.patches {
            #expect(patch.collectedTrailers == [Trailer(key: "Reviewed-by", value: "Rev Iewer <rev@example.org>")])
        }
    }

    @Test func signOffChecks() throws {
        let unsigned = try #require(try readSeries(text: patchMail(subject: "[PATCH] a", messageID: "s1", body: "No sign-off.\n")).pick())
        #expect(unsigned.patches[0].diagnostics.contains { $0.code == "mail/missing-signoff" })
        let other = try #require(try readSeries(text: patchMail(
            subject: "[PATCH] a", from: "Someone Else <else@example.org>", messageID: "s2")).pick())
        #expect(other.patches[0].diagnostics.contains { $0.code == "mail/from-signoff-mismatch" })
        let inBody = try #require(try readSeries(text: patchMail(
            subject: "[PATCH] a", from: "Sender <sender@example.org>", messageID: "s3",
            body: "From: A U Thor <author@example.org>\n\nDo it.\n\nSigned-off-by: A U Thor <author@example.org>\n")).pick())
        #expect(inBody.patches[0].author?.email == "author@example.org")
        #expect(!inBody.patches[0].diagnostics.contains { $0.code == "mail/from-signoff-mismatch" })
    }

    @Test func footerFieldsAreRead() throws {
        let diff = defaultDiff.replacingOccurrences(of: "-- \n2.39.2", with: "\nbase-commit: 0123456789abcdef0123456789abcdef01234567\nprerequisite-patch-id: 1111111111111111111111111111111111111111\nchange-id: 20240101-thing-abc\n-- \n2.39.2")
        let series = try #require(try readSeries(text: patchMail(subject: "[PATCH] a", messageID: "f1", diff: diff)).pick())
        #expect(series.footer.baseCommit == "0123456789abcdef0123456789abcdef01234567")
        #expect(series.footer.prerequisitePatchIDs == ["1111111111111111111111111111111111111111"])
        #expect(series.footer.changeID == "20240101-thing-abc")
    }
}

struct PullRequestTests {
    // A request-pull mail we wrote, in the shape git prints (old git said "git repository").
    static let mail = """
        From maintainer@example.org Mon Jan  2 00:00:00 2023
        From: Some Maintainer <maintainer@example.org>
        Subject: [GIT PULL] stable page fixes for 6.2
        Message-ID: <pull-1@example.org>

        Hi Linus,

        The following changes since commit 0123456789abcdef0123456789abcdef01234567:

          mm: something (2023-01-01 00:00:00 +0000)

        are available in the git repository at:

          git://git.example.org/pub/scm/linux/kernel/git/someone/linux.git stable-pages

        for you to fetch changes up to 89abcdef0123456789abcdef0123456789abcdef:

          fs: wait for stable pages (2023-01-01 00:00:00 +0000)

        """

    @Test func namesTheBranchToFetchInsteadOfABareNoPatch() throws {
        let collection = try readSeries(text: Self.mail)
        #expect(collection.series.isEmpty)
        let note = try #require(collection.diagnostics.first { $0.code == "mail/pull-request" })
        #expect(note.location?.line == 8)
        #expect(note.message.contains("git://git.example.org/pub/scm/linux/kernel/git/someone/linux.git stable-pages"))
    }

    @Test func anOrdinaryMailWithoutAPatchGetsNoPullRequestNote() throws {
        let collection = try readSeries(text: Self.mail.replacingOccurrences(of: "are available in", with: "were merged into"))
        #expect(!collection.diagnostics.contains { $0.code == "mail/pull-request" })
    }
}
