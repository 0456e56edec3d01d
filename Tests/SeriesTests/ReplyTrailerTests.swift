import Foundation
import Testing
import Series

/// Issue 13: follow-up trailers as b4 collects them (b4's documentation, `b4 am`'s "follow-up
/// trailers" and "trailer mismatch").
struct ReplyTrailerTests {
    func reply(from: String, to: String, id: String, body: String) -> String {
        "From x Mon Sep 17 00:00:00 2001\nFrom: \(from)\nDate: Thu, 26 May 2011 17:00:00 -0700\nSubject: Re: [PATCH 1/1] a\n"
            + "Message-ID: <\(id)>\nIn-Reply-To: <\(to)>\nReferences: <\(to)>\n\n\(body)\n"
    }

    func series(_ replies: [String], patchBody: String = "Do the thing.\n\nSigned-off-by: A U Thor <author@example.org>\n") throws -> (PatchSeries, [String]) {
        let text = patchMail(subject: "[PATCH 1/1] a", messageID: "p1", body: patchBody) + replies.joined()
        let collection = try readSeries(text: text)
        let s = try #require(collection.series.first)
        return (s, collection.diagnostics.map(\.code))
    }

    @Test func aTrailerFromThePersonItNamesIsApplied() throws {
        let (s, codes) = try series([reply(from: "Rev Iewer <rev@example.org>", to: "p1", id: "r1",
                                           body: "> quoted\n\nLooks good.\n\nReviewed-by: Rev Iewer <rev@example.org>")])
        #expect(s.patches[0].collectedTrailers == [Trailer(key: "Reviewed-by", value: "Rev Iewer <rev@example.org>")])
        #expect(!codes.contains("mail/trailer-mismatch"))
    }

    @Test func aTrailerForSomeoneElseIsListedNotApplied() throws {
        let (s, codes) = try series([reply(from: "Some One <some@example.org>", to: "p1", id: "r1",
                                           body: "Reviewed-by: Rev Iewer <rev@example.org>")])
        #expect(s.patches[0].collectedTrailers.isEmpty)
        #expect(s.patches[0].mismatchedTrailers.map(\.trailer.value) == ["Rev Iewer <rev@example.org>"])
        #expect(codes.contains("mail/trailer-mismatch"))
    }

    @Test(arguments: [
        ("Acked-by: Rev Iewer <mailto:rev@example.org>", "Rev Iewer <rev@example.org>"),
        ("Acked-by: Rev Iewer &lt;rev@example.org&gt;", "Rev Iewer <rev@example.org>"),
        ("Acked-by: Rev Iewer <rev@example.org>.", "Rev Iewer <rev@example.org>"),
        ("Acked-by: Rev Iewer <rev@example.org> (for the xfs part)", "Rev Iewer <rev@example.org>"),
        ("Acked-by: Rev Iewer <rev@example.org> # for xfs", "Rev Iewer <rev@example.org>"),
        ("Acked-by: Rev   Iewer  <rev@example.org>", "Rev Iewer <rev@example.org>"),
    ])
    func mailClientLitterIsCleaned(line: String, expected: String) throws {
        let (s, _) = try series([reply(from: "Rev Iewer <rev@example.org>", to: "p1", id: "r1", body: line)])
        #expect(s.patches[0].collectedTrailers.map(\.value) == [expected])
    }

    @Test func eachTrailerOnceInTheOrderReceivedAfterThePatchsOwn() throws {
        let own = "Do the thing.\n\nAcked-by: Rev Iewer <rev@example.org>\nSigned-off-by: A U Thor <author@example.org>\n"
        let (s, _) = try series([
            reply(from: "Rev Iewer <rev@example.org>", to: "p1", id: "r1", body: "Acked-by: Rev Iewer <rev@example.org>\nReviewed-by: Rev Iewer <rev@example.org>"),
            reply(from: "Tes Ter <test@example.org>", to: "p1", id: "r2", body: "Tested-by: Tes Ter <test@example.org>"),
            reply(from: "Rev Iewer <REV@example.org>", to: "r1", id: "r3", body: "Reviewed-by: Rev Iewer <rev@example.org>"),
        ], patchBody: own)
        #expect(s.patches[0].collectedTrailers.map(\.key) == ["Reviewed-by", "Tested-by"],
                "the Acked-by the patch has and the second Reviewed-by are not repeated; an address differing in case is the same person")
    }

    @Test func aTrailerOnTheCoverLetterGoesToEveryPatch() throws {
        let text = [
            patchMail(subject: "[PATCH 0/2] thing", messageID: "c", diff: ""),
            patchMail(subject: "[PATCH 1/2] a", messageID: "p1", inReplyTo: "c"),
            patchMail(subject: "[PATCH 2/2] b", messageID: "p2", inReplyTo: "c",
                      diff: defaultDiff.replacingOccurrences(of: "return 1;", with: "return 2;")),
            reply(from: "Rev Iewer <rev@example.org>", to: "c", id: "r", body: "For the series:\nReviewed-by: Rev Iewer <rev@example.org>"),
        ].joined()
        let s = try #require(try readSeries(text: text).series.first)
        #expect(s.patches.map { $0.collectedTrailers.count } == [1, 1])
    }
}
