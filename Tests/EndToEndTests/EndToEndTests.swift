import Foundation
import TestSupport
import Testing

/// Runs the built `spw-review` on real files, the way users and CI scripts do.
enum Binary {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let path = packageRoot.appendingPathComponent(".build/debug/spw-review").path
    static let seed = packageRoot.appendingPathComponent("fixtures/stable-page-writes-v3.2-thread.txt").path
    static let cleanMbox = packageRoot.appendingPathComponent("fixtures/series/stable-page-writes-v3.2.mbox").path

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    directory: URL? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "build spw-review first (make test does): \(path)"])
        }
        let output = try ProcessRunner.run(arguments, executable: path, in: directory, environment: environment, stdin: stdin)
        return Result(status: output.status, stdout: output.stdoutText, stderr: output.stderr)
    }
}

func writeTemporary(_ data: Data, name: String) throws -> URL {
    let dir = TestScratch.root.appendingPathComponent("spw-e2e-in-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try data.write(to: url)
    return url
}

struct ReviewCommandTests {
    @Test func reviewIsTheDefaultCommandAndReportsDamage() throws {
        let result = try Binary.run([Binary.seed])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Series: stable-page-writes v3.2 (3 of 3 patches, cover letter, 2 replies)"))
        #expect(result.stdout.contains("stable-page-writes-v3.2-thread.txt:61: warning: mm/filemap.c hunk 1"))
        #expect(!result.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test func jsonFollowsTheContract() throws {
        let result = try Binary.run(["review", Binary.seed, "--format", "json"])
        #expect(result.status == 0)
        let json = result.json
        #expect(json["schema"] as? String == "spw-review/1")
        #expect(json.keys.contains("apply") && json["apply"] is NSNull)
        #expect((json["findings"] as? [Any])?.isEmpty == true)
        let series = try #require(json["series"] as? [String: Any])
        #expect(series["version"] as? String == "3.2")
        let cover = try #require(series["coverLetter"] as? [String: Any])
        #expect(Set(cover.keys).isSuperset(of: ["subject", "author", "body"]))
        let patches = try #require(series["patches"] as? [[String: Any]])
        #expect(patches.count == 3)
        for patch in patches {
            #expect(Set(patch.keys).isSuperset(of: ["number", "total", "subject", "author", "date", "messageId", "trailers", "files"]))
            let file = try #require((patch["files"] as? [[String: Any]])?.first)
            #expect(Set(file.keys).isSuperset(of: ["oldPath", "newPath", "oldBlob", "newBlob", "hunks"]))
            let hunk = try #require((file["hunks"] as? [[String: Any]])?.first)
            #expect(Set(hunk.keys).isSuperset(of: ["oldStart", "oldCount", "newStart", "newCount", "header"]))
        }
        let replies = try #require(series["replies"] as? [[String: Any]])
        #expect(replies.count == 2)
        #expect((replies[0]["inReplyTo"] as? [String: Any])?["cover"] as? Bool == true)
        #expect(Set(replies[0].keys).isSuperset(of: ["author", "inReplyTo", "trailers", "text"]))
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.contains { $0["code"] as? String == "mail/whitespace-damage" && $0["patch"] as? Int == 1 && $0["line"] as? Int == 61 })
        for d in diagnostics {
            #expect(Set(d.keys).isSuperset(of: ["code", "severity", "patch", "file", "line", "message"]))
        }
    }

    @Test func readsStandardInput() throws {
        let result = try Binary.run(["-"], stdin: try Data(contentsOf: URL(fileURLWithPath: Binary.cleanMbox)))
        #expect(result.status == 0)
        #expect(result.stdout.contains("Series: stable page writes v3.2"))
    }

    @Test func seriesVersionPicksAnother() throws {
        let result = try Binary.run([Binary.cleanMbox, "--series-version", "7"])
        #expect(result.status == 3)
        #expect(result.stdout.contains("no series with version 7"))
    }

    /// Issue 13: two series from separate threads are a question, not a silent pick.
    @Test func severalSeriesStopTheReviewUntilOneIsChosen() throws {
        let both = try Binary.run([Binary.cleanMbox, Binary.seed])
        #expect(both.status == 2)
        #expect(both.stdout.isEmpty)
        #expect(both.stderr.contains("error: 2 series in separate threads; choose one with --series N or --series-version V"))
        #expect(both.stderr.contains("1\tv3.2\t3/3") && both.stderr.contains("2\tv3.2\t3/3"))
        let applied = try Binary.run(["apply", Binary.cleanMbox, Binary.seed, "--tree", "/nonexistent"])
        #expect(applied.status == 2)
        let chosen = try Binary.run([Binary.cleanMbox, Binary.seed, "--series", "2", "--format", "json"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect((chosen.json["inputs"] as? [Any]) != nil)
        let none = try Binary.run([Binary.cleanMbox, Binary.seed, "--series", "3"])
        #expect(none.status == 3)
        #expect(none.stdout.contains("no series 3 in the input"))
    }

    @Test func listNamesEverySeries() throws {
        let result = try Binary.run(["list", Binary.cleanMbox, Binary.seed, "--format", "json"])
        #expect(result.status == 0)
        let series = try #require(result.json["series"] as? [[String: Any]])
        #expect(series.count == 2)
        for s in series {
            #expect(s["version"] as? String == "3.2")
            #expect(s["patches"] as? Int == 3 && s["total"] as? Int == 3)
            #expect(s["coverLetter"] as? Bool == true && s["complete"] as? Bool == true)
        }
    }

    /// lore's `t.mbox.gz` as it is downloaded: the same series as the plain mbox, from a file or
    /// from standard input; cut short, the mails before the cut are kept and the line it stopped
    /// in is named.
    @Test func aGzippedThreadIsTheSameSeries() throws {
        let plain = try Data(contentsOf: URL(fileURLWithPath: Binary.cleanMbox))
        let gzip = try ProcessRunner.run(["gzip", "-c", Binary.cleanMbox])
        try #require(gzip.status == 0)
        let url = try writeTemporary(gzip.stdout, name: "t.mbox.gz")
        let expected = try Binary.run(["list", Binary.cleanMbox])
        #expect(try Binary.run(["list", url.path]).stdout == expected.stdout)
        #expect(try Binary.run(["list", "-"], stdin: gzip.stdout).stdout == expected.stdout)
        let review = try Binary.run([url.path, "--format", "json"])
        #expect((review.json["series"] as? [String: Any])?["complete"] as? Bool == true, "\(review.stderr)")

        let cut = try writeTemporary(gzip.stdout.prefix(gzip.stdout.count * 3 / 4), name: "cut.mbox.gz")
        let cutReview = try Binary.run([cut.path, "--format", "json"])
        let readError = (cutReview.json["diagnostics"] as? [[String: Any]] ?? []).first { $0["code"] as? String == "mail/read-error" }
        let stoppedIn = try #require(readError?["line"] as? Int, "\(cutReview.stdout) \(cutReview.stderr)")
        // The line the stream stopped in: past most of the mail, within it.
        let lines = plain.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        #expect(stoppedIn > lines / 2 && stoppedIn < lines, "stopped in \(stoppedIn) of \(lines)")
        #expect((readError?["message"] as? String)?.contains("cut short") == true)
    }

    /// Issue 19: a mail with no patch is an error that says so (exit 3), not an empty line.
    @Test(arguments: ["text", "json"])
    func listSaysWhenThereIsNoPatch(format: String) throws {
        let mail = "From: A U Thor <author@example.org>\nSubject: a question\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
            + "Message-ID: <q@example.org>\n\nNo diff here.\n"
        let result = try Binary.run(["list", "-", "--format", format], stdin: Data(mail.utf8))
        #expect(result.status == 3)
        #expect(result.stderr.contains("<stdin>: error: no patch found"))
        if format == "json" {
            #expect((result.json["series"] as? [Any])?.isEmpty == true)
        } else {
            #expect(result.stdout.isEmpty)
        }
    }
}

struct BadInputTests {
    @Test func emptyFileIsUnreadable() throws {
        let url = try writeTemporary(Data(), name: "empty.mbox")
        let result = try Binary.run([url.path])
        #expect(result.status == 3)
        #expect(result.stderr == "\(url.path): error: empty input: no mail to read\n")
    }

    @Test func missingFileIsUnreadable() throws {
        let result = try Binary.run(["/nonexistent/series.mbox"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("/nonexistent/series.mbox: error: no such file or directory"))
    }

    @Test func binaryGarbageIsUnreadable() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let url = try writeTemporary(Data(bytes), name: "garbage.bin")
        let result = try Binary.run([url.path])
        #expect(result.status == 3)
        // `file:line:` names the line of the first byte that gives it away.
        #expect(result.stderr.range(of: #"^.*garbage\.bin:\d+: error: binary data, not mail \(byte 0x[0-9a-f]+ at offset \d+\)\n$"#, options: .regularExpression) != nil, "\(result.stderr)")
    }

    @Test func truncatedMboxStillYieldsWhatIsThere() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: Binary.cleanMbox))
        let url = try writeTemporary(full.prefix(full.count * 2 / 3), name: "truncated.mbox")
        let result = try Binary.run([url.path, "--format", "json"])
        #expect(result.status == 0 || result.status == 1)
        let series = try #require(result.json["series"] as? [String: Any])
        #expect((series["patches"] as? [Any])?.isEmpty == false)
    }

    @Test func hundredMegabyteLineIsReportedNotFatal() throws {
        var text = "From x Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\nSubject: [PATCH] huge\n\nmsg\n\n"
        text += "Signed-off-by: A <a@example.org>\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+"
        var data = Data(text.utf8)
        data.append(Data(repeating: 0x78, count: 100_000_000))
        data.append(0x0A)
        let url = try writeTemporary(data, name: "huge.mbox")
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try Binary.run([url.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("huge.mbox:14: warning: line is 100000001 bytes long"))
    }

    @Test func invalidBase64AndUnknownCharsetAreDiagnosed() throws {
        let mail = """
            From: A <a@example.org>
            Subject: [PATCH] b
            Content-Type: text/plain; charset=x-unheard-of
            Content-Transfer-Encoding: base64

            U2lnbmVkLW9mZi1ieTogQSA8YUBleGFtcGxlLm9yZz4K!!!
            """
        let url = try writeTemporary(Data(mail.utf8), name: "b64.eml")
        let result = try Binary.run([url.path])
        #expect(result.stdout.contains("b64.eml:6: warning: base64 part has 3 character(s) outside the alphabet"))
        #expect(result.stdout.contains("unknown charset 'x-unheard-of'"))
        #expect(result.status == 1, "a [PATCH] mail with no diff is an error")
    }

    @Test func hostilePathsAreRefused() throws {
        let mail = """
            From: A <a@example.org>
            Subject: [PATCH] evil

            Signed-off-by: A <a@example.org>
            ---
            diff --git a/../../etc/passwd b/../../etc/passwd
            --- a/../../etc/passwd
            +++ b/../../etc/passwd
            @@ -1 +1 @@
            -root
            +toor
            diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout
            new file mode 100755
            --- /dev/null
            +++ b/.git/hooks/post-checkout
            @@ -0,0 +1 @@
            +rm -rf ~
            """
        let url = try writeTemporary(Data(mail.utf8), name: "evil.eml")
        let result = try Binary.run([url.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("evil.eml:6: error: refusing diff path '../../etc/passwd': path leaves the tree ('..') [mail/hostile-path]"))
        #expect(result.stdout.contains("evil.eml:12: error: refusing diff path '.git/hooks/post-checkout': path inside .git/ [mail/hostile-path]"))
    }

    @Test func unknownFormatIsAUsageError() throws {
        let result = try Binary.run([Binary.seed, "--format", "yaml"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("yaml"))
    }
}

/// Issue 14: what the command line promises.
struct CommandLineTruthTests {
    @Test func aTreeThatIsNotARepositoryIsUnusableInput() throws {
        let dir = TestScratch.root.appendingPathComponent("spw-plain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for arguments in [["review", Binary.cleanMbox], ["apply", Binary.cleanMbox], ["check"]] {
            let result = try Binary.run(arguments + ["--tree", dir.path], environment: ["GIT_CEILING_DIRECTORIES": dir.deletingLastPathComponent().path])
            #expect(result.status == 3, "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.hasPrefix("\(dir.path): error: not a git repository"), "\(result.stderr)")
        }
        let missing = try Binary.run(["review", Binary.cleanMbox, "--tree", dir.path + "/nope"])
        #expect(missing.status == 3 && missing.stderr.contains("no such file or directory"))
    }

    @Test(arguments: ["review", "list", "apply", "scan", "check", "explain", "rules", "summary", "parse-c"])
    func everyCommandTakesColor(command: String) throws {
        let help = try Binary.run([command, "--help"])
        #expect(help.stdout.contains("--color <color>"), "\(command)")
        #expect(help.stdout.contains("(values: never, auto,"), "\(command)")
    }

    @Test func colorAlwaysAndNeverOverrideTheTerminalTest() throws {
        let always = try Binary.run([Binary.cleanMbox, "--color", "always"])
        #expect(always.stdout.contains("\u{1B}["))
        let never = try Binary.run([Binary.cleanMbox, "--color", "never"], environment: ["TERM": "xterm"])
        #expect(!never.stdout.contains("\u{1B}["))
        let bad = try Binary.run([Binary.cleanMbox, "--color", "sometimes"])
        #expect(bad.status == 64)
    }
}

/// The scan cache keeps one result per tree state scanned; it does not grow without bound.
struct ScanCachePruningTests {
    @Test func onlyTheNewestScansAreKept() throws {
        let cache = TestScratch.root.appendingPathComponent("spw-xdg-\(UUID().uuidString)")
        let directory = cache.appendingPathComponent("spw-review")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cache) }
        for k in 0..<40 {
            let file = directory.appendingPathComponent("scan-old\(k)").path
            try "0\n".write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(1_000_000 + k))], ofItemAtPath: file)
        }
        let kernel = Binary.packageRoot.appendingPathComponent("fixtures/kernel").path
        let scan = try Binary.run(["scan", "--tree", kernel, "--format", "json"], environment: ["XDG_CACHE_HOME": cache.path])
        #expect([0, 1].contains(scan.status))
        let scans = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("scan-") }
        #expect(scans.count == 32)
        #expect(!scans.contains("scan-old0") && scans.contains("scan-old39"), "the oldest go first")
        #expect(scans.contains { !$0.hasPrefix("scan-old") }, "this scan's result is kept")
    }
}

/// Issue 13: an mbox file is listed from outlines and the chosen series is read again in full;
/// stdin (read once, in full) gives the same listing, and a review of one series carries only
/// that series' mail diagnostics.
struct TwoPassInputTests {
    @Test func aFileAndStdinListAlikeAndTheChosenSeriesIsReadInFull() throws {
        let seed = try Data(contentsOf: URL(fileURLWithPath: Binary.cleanMbox))
        let other = Data("""
            From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
            From: O Ther <other@example.org>
            Subject: [PATCH] lib: something else
            Message-ID: <other-1@example.org>

            A mail with a NUL\u{0} byte in its text.

            Signed-off-by: O Ther <other@example.org>
            ---
            diff --git a/lib/x.c b/lib/x.c
            --- a/lib/x.c
            +++ b/lib/x.c
            @@ -1 +1 @@
            -int x;
            +int y;

            """.utf8)
        let url = try writeTemporary(seed + other, name: "two.mbox")
        let fromFile = try Binary.run(["list", url.path, "--format", "json"])
        let fromStdin = try Binary.run(["list", "-", "--format", "json"], stdin: seed + other)
        #expect(fromFile.status == 0 && fromStdin.status == 0)
        #expect(fromFile.json["series"] as? NSArray == fromStdin.json["series"] as? NSArray)
        #expect((fromFile.json["series"] as? [Any])?.count == 2)

        let review = try Binary.run(["review", url.path, "--series", "1", "--format", "json"])
        #expect(review.status == 0, "\(review.stderr)")
        let series = try #require(review.json["series"] as? [String: Any])
        let patches = try #require(series["patches"] as? [[String: Any]])
        #expect(patches.count == 3)
        #expect(patches.allSatisfy { ($0["files"] as? [Any])?.isEmpty == false }, "read in full: the diffs are there")
        let diagnostics = (review.json["diagnostics"] as? [[String: Any]]) ?? []
        #expect(!diagnostics.contains { $0["code"] as? String == "mail/nul-byte" }, "the other series' mail is not read in full")
        let other2 = try Binary.run(["review", url.path, "--series", "2", "--format", "json"])
        #expect(((other2.json["diagnostics"] as? [[String: Any]]) ?? []).contains { $0["code"] as? String == "mail/nul-byte" })
    }
}
