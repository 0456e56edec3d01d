import Foundation
import Testing
import Mail
@testable import Series

/// The acceptance checks of issue 2 on the original 2011 thread and on the clean versions of
/// the same series that we wrote (fixtures/series/).
struct SeedSeriesTests {
    static let expectedHunks: [[String]] = [
        ["mm/filemap.c @@ -2288,7 +2288,7 @@", "mm/filemap.c @@ -2301,6 +2301,8 @@"],
        ["fs/buffer.c @@ -2367,8 +2367,10 @@"],
        ["mm/filemap.c @@ -1713,8 +1713,27 @@"],
    ]

    static func hunkSummary(_ patch: Patch) -> [String] {
        patch.files.flatMap { f in
            f.hunks.map { "\(f.path) @@ -\($0.oldStart),\($0.oldCount) +\($0.newStart),\($0.newCount) @@" }
        }
    }

    /// The repaired lines with whitespace squeezed out: what both versions must agree on.
    static func normalisedLines(_ patch: Patch) -> [String] {
        patch.files.flatMap { $0.hunks.flatMap { $0.lines } }
            .filter { !($0.kind == .context && $0.text.trimmingWhitespace().isEmpty) }
            .map { "\($0.kind.rawValue):" + $0.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
    }

    @Test func pastedThreadParsesIntoTheSeries() throws {
        let collection = try readSeries([TestPaths.seedThread])
        let series = try #require(collection.pick())
        #expect(series.version == "3.2")
        #expect(series.title == "stable-page-writes")
        #expect(series.total == 3)
        #expect(series.isComplete)
        let cover = try #require(series.coverLetter)
        #expect(cover.body.hasPrefix("Hi all,\nThis is v3.2 of the stable-page-writes patchset"))
        #expect(cover.body.hasSuffix("--D"))
        #expect(cover.author?.name == "Darrick J. Wong")
        #expect(series.patches.map(Self.hunkSummary) == Self.expectedHunks)
        for patch in series.patches {
            #expect(patch.trailers.map(\.key) == ["Signed-off-by"])
            #expect(patch.author?.name == "Darrick J. Wong")
            #expect(patch.files.first?.oldBlob != nil)
        }
        #expect(series.patches[0].message.hasPrefix("When grabbing a page for a buffered IO write"))
        #expect(series.patches[2].files[0].hunks[0].lines.filter { $0.kind == .added }.count == 19)

        #expect(series.replies.count == 2)
        let hellwig = series.replies[0]
        #expect(hellwig.author?.name == "Christoph Hellwig")
        #expect(hellwig.date == "Fri, May 27, 2011 at 03:33:26AM -0400")
        #expect(hellwig.ownText.hasPrefix("Can you resend patches 1 and 2 ontop of current Linus' tree"))
        #expect(hellwig.inReplyTo == .cover)
        let answer = series.replies[1]
        #expect(answer.author?.name == "Darrick J. Wong")
        #expect(answer.ownText == "Sure thing. I'll have something ready by the afternoon (here).")
    }

    @Test func pastedThreadReportsDamagePerHunk() throws {
        let collection = try readSeries([TestPaths.seedThread])
        let series = try #require(collection.pick())
        let damagedHunks = series.patches.flatMap { $0.files.flatMap { $0.hunks } }.filter(\.isDamaged)
        #expect(damagedHunks.count == 4)
        let kinds = series.patches.map { p in Set(p.files.flatMap { $0.hunks.flatMap { $0.damage.map(\.kind) } }) }
        #expect(kinds[0] == [.missingContextPrefix, .indentationLost, .blankContextDropped])
        #expect(kinds[1] == [.missingContextPrefix, .indentationLost, .blankContextDropped])
        #expect(kinds[2] == [.missingContextPrefix, .indentationLost, .blankContextDropped])
        // Exact places: the first unprefixed context line of patch 1 is line 61 (`repeat:`).
        let first = series.patches[0].files[0].hunks[0].damage.first { $0.kind == .missingContextPrefix }
        #expect(first?.mailLine == 61)
        let dropped = series.patches[2].files[0].hunks[0].damage.first { $0.kind == .blankContextDropped }
        #expect(dropped?.detail.hasPrefix("2 ") == true)
        let diagnostics = series.patches.flatMap(\.diagnostics)
        #expect(diagnostics.contains { $0.code == "mail/whitespace-damage" && $0.patch == 2 && $0.hunk == 1 && $0.diffPath == "fs/buffer.c" })
        #expect(!diagnostics.contains { $0.code == "mail/diffstat-mismatch" })
    }

    @Test(arguments: ["series/stable-page-writes-v3.2.mbox", "series/format-patch", "series/quilt"])
    func cleanVersionsParseToTheSameSeries(_ relative: String) throws {
        let pasted = try #require(try readSeries([TestPaths.seedThread]).pick())
        let clean = try #require(try readSeries([TestPaths.fixtures.appendingPathComponent(relative).path]).pick())
        #expect(clean.total == 3)
        #expect(clean.patches.map(Self.hunkSummary) == Self.expectedHunks)
        #expect(clean.patches.map(Self.normalisedLines) == pasted.patches.map(Self.normalisedLines))
        #expect(clean.patches.allSatisfy { !$0.isDamaged }, "clean mail must not be reported as damaged")
        #expect(clean.patches.map { $0.trailers.filter { $0.key == "Signed-off-by" }.map { $0.person?.name } }
                == pasted.patches.map { $0.trailers.filter { $0.key == "Signed-off-by" }.map { $0.person?.name } })
        let noise = clean.patches.flatMap(\.diagnostics).filter { $0.severity != .info }
        #expect(noise.isEmpty, "\(noise.map(\.rendered))")
    }

    @Test func cleanMboxCarriesThreadingRepliesAndTrailers() throws {
        let path = TestPaths.fixtures.appendingPathComponent("series/stable-page-writes-v3.2.mbox").path
        let series = try #require(try readSeries([path]).pick())
        #expect(series.version == "3.2")
        #expect(series.title == "stable page writes")
        #expect(series.coverLetter?.author?.email == "djwong@us.ibm.com")
        #expect(series.footer.baseCommit == "33479b705eae5fb1ad13124063cb8b78d157388f")
        let review = try #require(series.replies.first { !$0.trailers.isEmpty })
        #expect(review.inReplyTo == .patch(2))
        #expect(review.trailers == [Trailer(key: "Reviewed-by", value: "Ada Reviewer <ada@example.org>")])
        #expect(series.patches[1].collectedTrailers == review.trailers)
        #expect(series.patches[0].collectedTrailers.isEmpty)
        let hellwig = try #require(series.replies.first { $0.author?.name == "Christoph Hellwig" })
        #expect(hellwig.inReplyTo == .cover)
        let answer = try #require(series.replies.first { $0.ownText.hasPrefix("Sure thing") })
        #expect(answer.inReplyTo == .cover, "a reply to a reply to the cover belongs to the cover")
    }
}
