import Foundation
import TestSupport
import Testing

/// Issue 19: a patch is bytes. Every commit that git can mail applies to exactly its own tree.
struct ReplayHistoryTests {
    static func script(_ name: String) -> String { Binary.packageRoot.appendingPathComponent("scripts/\(name)").path }

    static func replayRepository() throws -> String {
        let dir = TestScratch.root.appendingPathComponent("spw-replay-\(UUID().uuidString)").path
        let made = try ProcessRunner.run(["bash", script("make-replay-repo.sh"), dir])
        try #require(made.status == 0, "\(made.stderr)")
        return dir
    }

    @Test func everyKindOfChangeGitCanMailAppliesToItsCommitsTree() throws {
        let repo = try Self.replayRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let replay = try ProcessRunner.run(["bash", Self.script("replay-history.sh"), repo], environment: ["SPW_REVIEW": Binary.path])
        #expect(replay.stdoutText.contains("34 commits, 34 exact, 0 mismatches, 0 errors"), "\(replay.stdoutText)\(replay.stderr)")
        #expect(replay.status == 0)
    }

    /// Issue 13: clean `git format-patch` output is never mailer damage (block comments, tabs,
    /// trailing whitespace in context, CRLF files, no final newline, mixed encodings).
    @Test func cleanFormatPatchOutputDrawsNoDamageWarning() throws {
        let repo = try Self.replayRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let commits = try ProcessRunner.run(["git", "rev-list", "--reverse", "HEAD~34..HEAD"], in: URL(fileURLWithPath: repo))
            .stdoutText.split(separator: "\n").map(String.init)
        #expect(commits.count == 34)
        for commit in commits {
            let mail = try ProcessRunner.run(["git", "format-patch", "--binary", "-1", "--stdout", commit], in: URL(fileURLWithPath: repo)).stdout
            let url = try writeTemporary(mail, name: "commit.mbox")
            let review = try Binary.run(["review", url.path, "--tree", repo, "--base", commit + "~1", "--format", "json"])
            let codes = (review.json["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(!codes.contains { ["mail/whitespace-damage", "mail/crlf-in-diff", "apply/repaired", "apply/conflict"].contains($0) },
                    "\(commit): \(codes)")
        }
    }

    /// The mail of a commit whose message is ASCII has no Content-Type, whatever its diff holds.
    @Test func mixedEncodingsApplyAsGitAmAppliesThemWithoutDamageWarnings() throws {
        let repo = try Self.replayRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let commit = try ProcessRunner.run(["git", "log", "--format=%H", "--grep=^fix spelling in every encoding$"], in: URL(fileURLWithPath: repo))
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(commit.count == 40)
        let mail = try ProcessRunner.run(["git", "format-patch", "-1", "--stdout", commit], in: URL(fileURLWithPath: repo)).stdout
        #expect(!String(decoding: mail, as: UTF8.self).lowercased().contains("content-type"))
        #expect(mail.contains(0xE9) && mail.contains(0x93), "Latin-1 and Windows-1252 bytes in the diff")
        let url = try writeTemporary(mail, name: "mixed.mbox")

        // git am, in a clone at the parent.
        let clone = repo + "-am"
        defer { try? FileManager.default.removeItem(atPath: clone) }
        try #require(try ProcessRunner.run(["git", "clone", "-q", repo, clone]).status == 0)
        try #require(try ProcessRunner.git(["reset", "-q", "--hard", commit + "~1"], in: clone) == 0)
        try #require(try ProcessRunner.git(["am", "-q", url.path], in: clone) == 0)
        let amTree = try ProcessRunner.run(["git", "rev-parse", "HEAD^{tree}"], in: URL(fileURLWithPath: clone)).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let ours = try Binary.run(["apply", url.path, "--tree", repo, "--base", commit + "~1", "--print-tree"])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == amTree)

        let review = try Binary.run(["review", url.path, "--tree", repo, "--base", commit + "~1", "--format", "json"])
        let codes = (review.json["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(!codes.contains("mail/whitespace-damage") && !codes.contains("mail/crlf-in-diff"), "\(codes)")
        #expect(review.status == 0, "\(review.stderr)")
    }

    @Test func aCRLFFileIsNotMailerDamage() throws {
        let repo = try Self.replayRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let commit = try ProcessRunner.run(["git", "log", "--format=%H", "--grep=^change a CRLF line$"], in: URL(fileURLWithPath: repo))
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let mail = try ProcessRunner.run(["git", "format-patch", "-1", "--stdout", commit], in: URL(fileURLWithPath: repo)).stdout
        let url = try writeTemporary(mail, name: "crlf.mbox")
        let review = try Binary.run(["review", url.path, "--tree", repo, "--base", commit + "~1", "--format", "json"])
        let patches = ((review.json["apply"] as? [String: Any])?["patches"] as? [[String: Any]]) ?? []
        #expect(patches.first?["tree"] as? String != nil)
        let expected = try ProcessRunner.run(["git", "rev-parse", commit + "^{tree}"], in: URL(fileURLWithPath: repo)).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(patches.first?["tree"] as? String == expected, "\(review.stdout.prefix(2000))")
        let codes = (review.json["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(!codes.contains("mail/crlf-in-diff"), "the file's own CRs: \(codes)")
    }
}

/// Issue 19: "postimage verified" only when every file of the patch is the blob it names.
struct PostimageVerifiedTests {
    @Test func aPatchWithAFileInConflictIsNotVerified() throws {
        let repo = try ScratchRepository("verified")
        defer { repo.remove() }
        try repo.commit(["a.c": "int a;\nint b;\nint c;\n", "b.c": "int x;\nint y;\nint z;\n"], "base")
        let base = try repo.git(["rev-parse", "HEAD"])
        try repo.commit(["a.c": "int a;\nint b2;\nint c;\n", "b.c": "int x;\nint y2;\nint z;\n"], "change both")
        let mail = try ProcessRunner.run(["git", "format-patch", "-1", "--stdout"], in: URL(fileURLWithPath: repo.path)).stdout
        let url = try writeTemporary(mail, name: "both.mbox")
        // Another base where b.c's lines are gone: a.c applies, b.c does not.
        try repo.git(["checkout", "-q", base])
        try repo.commit(["b.c": "long q;\n"], "rewrite b.c")
        let result = try Binary.run(["apply", url.path, "--tree", repo.path, "--base", "HEAD", "--format", "json"])
        #expect(result.status == 1)
        let patch = ((result.json["apply"] as? [String: Any])?["patches"] as? [[String: Any]])?.first
        #expect(patch?["postimageVerified"] is NSNull, "\(result.stdout.prefix(1500))")
        let text = try Binary.run(["apply", url.path, "--tree", repo.path, "--base", "HEAD"])
        #expect(!text.stdout.contains("postimage verified"))
        // On its own base every file is the blob its index line names.
        let clean = try Binary.run(["apply", url.path, "--tree", repo.path, "--base", base])
        #expect(clean.stdout.contains("postimage verified"), "\(clean.stdout)")
    }
}
