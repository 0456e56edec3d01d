import Foundation
import Testing
import TestSupport
import Series
import Mail

/// How mails become series (docs/grouping.md): threads first, then runs of numbered patches,
/// then resends; several authors inside one series are normal.
struct GroupingTests {
    func diff(_ n: Int) -> String { defaultDiff.replacingOccurrences(of: "return 1;", with: "return \(n + 1);") }

    /// A new git repository with one commit per name, each adding `<name>.txt`, by `author(name)`.
    func repository(committing names: [String], by author: (String) -> String) throws -> URL {
        let repo = try temporaryDirectory()
        try ProcessRunner.git(["init", "-q"], in: repo.path)
        for name in names {
            try "\(name)\n".write(to: repo.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
            try ProcessRunner.git(["add", "."], in: repo.path)
            let who = author(name)
            let email = who.split(separator: " ")[0].lowercased() + "@example.org"
            let out = try ProcessRunner.run(["git", "-c", "user.name=\(who)", "-c", "user.email=\(email)",
                                             "commit", "-q", "-m", "add \(name)", "-m", "Signed-off-by: \(who) <\(email)>"],
                                            in: repo)
            #expect(out.status == 0, "\(out.stderr)")
        }
        return repo
    }

    @Test func threeAuthorsFromGitFormatPatchAreOneSeries() throws {
        let repo = try repository(committing: ["Alice", "Bob", "Carol"]) { "\($0) Example" }
        let mbox = try ProcessRunner.run(["git", "format-patch", "--root", "--stdout", "-3"], in: repo)
        #expect(mbox.status == 0)
        let collection = try readSeries(text: mbox.stdoutText)
        #expect(collection.series.count == 1)
        let series = try #require(collection.series.first)
        #expect(series.isComplete && series.patches.count == 3)
        #expect(series.patches.map { $0.author?.name ?? "" } == ["Alice Example", "Bob Example", "Carol Example"])
        guard case .series = collection.select() else { Issue.record("one series is not ambiguous"); return }
    }

    /// A directory's mbox files are read whole, as `git am dir/*` splits each file: the
    /// `format-patch --stdout` of a series, or b4's `.mbx` beside its `.cover`, is every patch,
    /// not its first mail.
    @Test func aDirectoryReadsEveryMailOfEachMbox() throws {
        let repo = try repository(committing: ["one", "two", "three"]) { _ in "Author Example" }
        let stdout = try ProcessRunner.run(["git", "format-patch", "--root", "--stdout", "--cover-letter", "-3"], in: repo)
        #expect(stdout.status == 0, "\(stdout.stderr)")
        let mails = stdout.stdoutText.components(separatedBy: "\nFrom ").count
        #expect(mails == 4)
        for (file, cover) in [("series.mbox", nil), ("v1_20261207_author.mbx", "v1_20261207_author.cover")] as [(String, String?)] {
            let directory = try temporaryDirectory()
            var text = stdout.stdoutText
            if let cover {
                // b4 am: the cover letter in a file of its own, the patches in the .mbx.
                let second = try #require(text.range(of: "\nFrom ", options: [], range: text.index(after: text.startIndex)..<text.endIndex))
                try String(text[..<second.lowerBound]).appending("\n").write(to: directory.appendingPathComponent(cover), atomically: true, encoding: .utf8)
                text = String(text[text.index(after: second.lowerBound)...])
            }
            try text.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
            let collection = try readSeries([directory.path])
            #expect(collection.series.count == 1, "\(file)")
            let series = try #require(collection.series.first)
            #expect(series.isComplete && series.patches.map(\.number) == [1, 2, 3], "\(file): \(series.patches.map(\.number))")
            #expect(series.coverLetter != nil, "\(file)")
        }
        // `b4 am -M`: a Maildir of one mail per file (no `From ` line), read in name order
        // from `cur` and `new`; an entry starting with a dot is not a mail.
        let maildir = try temporaryDirectory()
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let pieces = stdout.stdoutText.components(separatedBy: "\nFrom ").enumerated().map { k, piece in
            (k == 0 ? String(piece.dropFirst(5)) : piece).drop { $0 != "\n" }.dropFirst()
        }
        for (k, piece) in pieces.enumerated() {
            // The first patch in `cur` (read), the rest in `new`, the cover letter first by name.
            let sub = k == 1 ? "cur" : "new"
            try String(piece).write(to: maildir.appendingPathComponent("\(sub)/\(String(format: "%04d", k))_mail.eml"), atomically: true, encoding: .utf8)
        }
        try "not a mail".write(to: maildir.appendingPathComponent("new/.hidden"), atomically: true, encoding: .utf8)
        let input = try MailInput(path: maildir.path)
        #expect(input.kind == .maildir)
        let fromMaildir = try readSeries([maildir.path])
        let series = try #require(fromMaildir.series.first)
        #expect(fromMaildir.series.count == 1 && series.coverLetter != nil && series.patches.map(\.number) == [1, 2, 3],
                "\(fromMaildir.series.map { "\($0.title) \($0.patches.map(\.number))" })")
    }

    /// A directory that holds a directory named `series` (this repository's `fixtures/`) is
    /// no quilt stack: its patch files are read.
    @Test func aSeriesDirectoryIsNoQuiltSeriesFile() throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("series"), withIntermediateDirectories: true)
        try patchMail(subject: "[PATCH] one", messageID: "one", diff: diff(1))
            .write(to: directory.appendingPathComponent("0001-one.patch"), atomically: true, encoding: .utf8)
        let input = try MailInput(path: directory.path)
        #expect(input.kind == .formatPatchDirectory)
        #expect(try readSeries([directory.path]).series.map(\.title) == ["one"])
    }

    /// One file given twice, or an archive and a copy of part of it: the same mails (same
    /// Message-IDs) are one series, cover letter included, threaded or not.
    @Test func theSameMailsTwiceAreOneSeries() throws {
        let threaded = [
            patchMail(subject: "[PATCH v3 0/2] thing", messageID: "cover", diff: ""),
            patchMail(subject: "[PATCH v3 1/2] a", messageID: "one", inReplyTo: "cover", diff: diff(1)),
            patchMail(subject: "[PATCH v3 2/2] b", messageID: "two", inReplyTo: "cover", diff: diff(2)),
        ].joined()
        let unthreaded = [
            patchMail(subject: "[PATCH 1/2] x", messageID: "x1", diff: diff(3)),
            patchMail(subject: "[PATCH 2/2] y", messageID: "x2", diff: diff(4)),
        ].joined()
        for (name, text) in [("threaded", threaded), ("unthreaded", unthreaded)] {
            let collection = try readSeries(text: text + text)
            #expect(collection.series.count == 1, "\(name): \(collection.series.map { "\($0.title) \($0.patches.count)/\($0.total)" })")
            #expect(collection.series.first?.isComplete == true, "\(name)")
            #expect(collection.series.first?.patches.count == 2, "\(name)")
            if name == "threaded" { #expect(collection.series.first?.coverLetter != nil) }
        }
        // Unrelated unthreaded series of the same count stay apart from a cover read twice.
        let other = [
            patchMail(subject: "[PATCH v3 1/2] c", messageID: "o1", diff: diff(5)),
            patchMail(subject: "[PATCH v3 2/2] d", messageID: "o2", diff: diff(6)),
        ].joined()
        let mixed = try readSeries(text: threaded + threaded + other)
        #expect(mixed.series.count == 2, "\(mixed.series.map { "\($0.title) \($0.patches.count)/\($0.total)" })")
    }

    @Test func theThreadDecidesWhenASubjectForgetsItsVersion() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH v2 0/2] thing", messageID: "c", diff: ""),
            patchMail(subject: "[PATCH v2 1/2] a", messageID: "p1", inReplyTo: "c", diff: diff(1)),
            patchMail(subject: "[PATCH 2/2] b", messageID: "p2", inReplyTo: "c", diff: diff(2)),
        ].joined())
        #expect(collection.series.count == 1)
        #expect(collection.series.first?.version == "2")
        #expect(collection.series.first?.isComplete == true)
    }

    @Test func versionsInOneThreadAreNotAmbiguous() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 1/1] a", messageID: "v1", diff: diff(1)),
            patchMail(subject: "[PATCH v2 1/1] a", messageID: "v2", inReplyTo: "v1", diff: diff(2)),
        ].joined())
        #expect(collection.series.map(\.version) == ["1", "2"])
        guard case .series(let chosen) = collection.select() else { Issue.record("one thread"); return }
        #expect(chosen.version == "2")
    }

    @Test func separateThreadsAreNeverPickedSilently() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 1/1] fs: one thing", messageID: "a", diff: diff(1)),
            patchMail(subject: "[PATCH 1/1] mm: another", from: "O Ther <other@example.org>", messageID: "b", diff: diff(2)),
        ].joined())
        #expect(collection.series.count == 2)
        #expect(collection.threads == [1, 2])
        guard case .ambiguous(let all) = collection.select() else { Issue.record("two threads"); return }
        #expect(all.count == 2)
        guard case .series(let second) = collection.select(number: 2) else { Issue.record("--series 2"); return }
        #expect(second.title == "mm: another")
        guard case .none = collection.select(number: 3) else { Issue.record("no third"); return }
    }

    @Test func interleavedSeriesOfTwoSendersStayApart() throws {
        let other = "O Ther <other@example.org>"
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 1/2] a1", messageID: "a1", diff: diff(1)),
            patchMail(subject: "[PATCH 1/2] b1", from: other, messageID: "b1", diff: diff(2)),
            patchMail(subject: "[PATCH 2/2] a2", messageID: "a2", diff: diff(3)),
            patchMail(subject: "[PATCH 2/2] b2", from: other, messageID: "b2", diff: diff(4)),
        ].joined())
        #expect(collection.series.map { $0.patches.map(\.subjectInfo.title) } == [["a1", "a2"], ["b1", "b2"]])
    }

    @Test func aNumberSeenAgainWithOtherChangesStartsANewSeries() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 1/2] a", messageID: "x1", diff: diff(1)),
            patchMail(subject: "[PATCH 2/2] b", messageID: "x2", diff: diff(2)),
            patchMail(subject: "[PATCH 1/2] c", messageID: "y1", diff: diff(3)),
            patchMail(subject: "[PATCH 2/2] d", messageID: "y2", diff: diff(4)),
        ].joined())
        #expect(collection.series.map { $0.patches.map(\.subjectInfo.title) } == [["a", "b"], ["c", "d"]])
    }

    @Test func aResendInANewThreadIsTheSameSeriesWithANote() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 0/2] thing", messageID: "c", diff: ""),
            patchMail(subject: "[PATCH 1/2] a", messageID: "p1", inReplyTo: "c", diff: diff(1)),
            patchMail(subject: "[PATCH 2/2] b", messageID: "p2", inReplyTo: "c", diff: diff(2)),
            patchMail(subject: "[PATCH RESEND 0/2] thing", messageID: "rc", diff: ""),
            patchMail(subject: "[PATCH RESEND 1/2] a", messageID: "r1", inReplyTo: "rc", diff: diff(1)),
            patchMail(subject: "[PATCH RESEND 2/2] b", messageID: "r2", inReplyTo: "rc", diff: diff(2)),
        ].joined())
        #expect(collection.series.count == 1)
        #expect(collection.series.first?.patches.map(\.messageID) == ["r1", "r2"], "the later copies are used")
        #expect(collection.diagnostics.filter { $0.code == "mail/duplicate-patch" }.count == 2)
        guard case .series = collection.select() else { Issue.record("a resend is not a second series"); return }
    }

    @Test func anUnthreadedPlaceholderCoverJoinsItsSeriesWithAWarning() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH 0/2] *** SUBJECT HERE ***", messageID: "c", body: "*** BLURB HERE ***\n", diff: ""),
            patchMail(subject: "[PATCH 1/2] a", messageID: "p1", diff: diff(1)),
            patchMail(subject: "[PATCH 2/2] b", messageID: "p2", diff: diff(2)),
        ].joined())
        #expect(collection.series.count == 1)
        #expect(collection.series.first?.coverLetter != nil)
        #expect(collection.diagnostics.contains { $0.code == "mail/placeholder-cover" && $0.severity == .warning })
    }

    @Test func unnumberedPatchesInOneThreadAreOneSeries() throws {
        let collection = try readSeries(text: [
            patchMail(subject: "[PATCH] a", messageID: "p1", diff: diff(1)),
            patchMail(subject: "[PATCH] b", messageID: "p2", inReplyTo: "p1", diff: diff(2)),
        ].joined())
        #expect(collection.series.count == 1)
    }
}
