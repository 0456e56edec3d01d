import Foundation
import Testing
import Mail
import Series

/// Every real third-party mail in ../shared/corpus/peer-mail is read without a crash, and what we
/// read agrees with `git mailinfo` (a real oracle, run here) on author, email, subject and the
/// diff's per-file line counts (`git apply --numstat` over mailinfo's patch output).
struct CorpusOracleTests {
    struct Inputs {
        static func all() -> [String] {
            guard let manifest = try? String(contentsOf: TestPaths.corpus.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
            else { return [] }
            return manifest.split(separator: "\n").dropFirst().compactMap { line in
                let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard columns.count >= 5 else { return nil }
                // git's expected outputs are not inputs.
                if columns[4].hasPrefix("EXPECTED") { return nil }
                return String(columns[0])
            }
        }
    }

    /// The corpus must be there: a missing manifest would otherwise run zero cases and pass. A
    /// machine without ../shared/corpus says so on purpose with `SPW_REVIEW_CORPUS=absent`
    /// (.ci/run does, loudly, when the directory is not there).
    @Test func theCorpusIsThere() throws {
        if ProcessInfo.processInfo.environment["SPW_REVIEW_CORPUS"] == "absent" { return }
        let manifest = TestPaths.corpus.appendingPathComponent("MANIFEST.tsv")
        #expect(FileManager.default.fileExists(atPath: manifest.path),
                "\(manifest.path) is missing: the corpus tests would run no case (set SPW_REVIEW_CORPUS=absent on a machine without it)")
        #expect(Inputs.all().count >= 40, "the corpus manifest lists \(Inputs.all().count) mails; expected dozens")
    }

    /// Differences we keep on purpose, by "file#message:field", each with its reason.
    static let deliberate: [String: String] = [
        "patchwork/patchwork/tests/data/mail/0010-invalid-charset.mbox#1:numstat":
            "git mailinfo gives up (\"cannot convert from none to UTF-8\", exit 1) and writes no patch; we read the part as UTF-8/Windows-1252, report mail/unknown-charset and keep the diff",
        "patchwork/patchwork/tests/data/fuzz/codec-null.mbox#1:numstat":
            "git mailinfo gives up on charset \"u\" (exit 1); we decode it as UTF-8 and report mail/unknown-charset",
        "patchwork/patchwork/tests/data/fuzz/charset.mbox#1:numstat":
            "fuzzer-mangled CVS diff: git apply stops at 'corrupt patch'; we read the hunks we can and report their damage",
        "patchwork/patchwork/tests/data/fuzz/msgidheader.mbox#1:numstat":
            "fuzzer-mangled CVS diff: git apply stops at 'corrupt patch'; we read the hunks we can and report their damage",
        "patchwork/patchwork/tests/data/fuzz/base64err.mbox#1:author":
            "a broken encoded word with spaces inside: git decodes it into mojibake; we leave it as written (RFC 2047 words have no spaces)",
        "patchwork/patchwork/tests/data/fuzz/unknown-encoding.mbox#1:author":
            "fuzzed mail with two From: headers: git keeps the last, we keep the first",
        "patchwork/patchwork/tests/data/fuzz/unknown-encoding.mbox#1:email":
            "fuzzed mail with two From: headers: git keeps the last, we keep the first",
        "patchwork/patchwork/tests/data/fuzz/unknown-encoding.mbox#1:numstat":
            "fuzzer-mangled CVS diff: git apply stops at 'corrupt patch'; we read the hunks we can and report their damage",
        "patchwork/patchwork/tests/data/fuzz/refshdr.mbox#1:numstat":
            "fuzzer-mangled headers ('--- a/' naming no file, a third section behind garbage git skips): we stop at the garbage and report it",
        "patchwork/patchwork/tests/data/mail/0009-git-rename-with-diff.mbox#1:numstat":
            "a hunk under a pure rename with no ---/+++ lines: git apply calls it corrupt; we keep the hunk on the renamed file",
    ]

    struct MailinfoResult {
        var author = "", email = "", subject = ""
        var numstat: [String] = []
        var numstatFromNamesOnly = false
    }

    static func mailinfo(_ message: URL, scratch: URL) throws -> MailinfoResult {
        let msg = scratch.appendingPathComponent("msg"), patch = scratch.appendingPathComponent("patch")
        let result = try run(["git", "mailinfo", "-u", msg.path, patch.path], input: try Data(contentsOf: message))
        var info = MailinfoResult()
        for line in String(decoding: result.stdout, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("Author: ") { info.author = String(line.dropFirst(8)) }
            if line.hasPrefix("Email: ") { info.email = String(line.dropFirst(7)) }
            if line.hasPrefix("Subject: ") { info.subject = String(line.dropFirst(9)) }
        }
        let patchData = (try? Data(contentsOf: patch)) ?? Data()
        if !patchData.isEmpty {
            let numstat = try run(["git", "apply", "--numstat", patch.path], in: scratch)
            if numstat.status == 0 {
                info.numstat = String(decoding: numstat.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            } else if numstat.stderr.contains("No valid patches") {
                info.numstat = []
            } else {
                // git apply cannot read it (e.g. binary patches it cannot name): fall back to the
                // files the `diff --git` lines name, with "-" counts.
                let text = String(decoding: patchData, as: UTF8.self)
                let named = text.split(separator: "\n").filter { $0.hasPrefix("diff --git ") }.map { line -> String in
                    // Both names are the same: the second half is the new name, prefix or not.
                    let s = line.dropFirst("diff --git ".count)
                    var name = String(s.suffix((s.count - 1) / 2))
                    if name.hasPrefix("b/") { name.removeFirst(2) }
                    return name
                }
                info.numstat = named.isEmpty ? ["<git apply: \(numstat.stderr.split(separator: "\n").first ?? "")>"] : named.map { "-\t-\t\($0)" }
                info.numstatFromNamesOnly = !named.isEmpty
            }
        }
        return info
    }

    static func ourNumstat(_ files: [FileDiff]) -> [String] {
        files.map { f in
            f.isBinary ? "-\t-\t\(f.path)" : "\(f.addedLines)\t\(f.removedLines)\t\(f.path)"
        }
    }

    @Test(arguments: Inputs.all())
    func agreesWithGitMailinfo(_ relativePath: String) throws {
        let path = TestPaths.corpus.appendingPathComponent(relativePath)
        try #require(FileManager.default.fileExists(atPath: path.path), "corpus missing: \(path.path)")
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }

        // Ours: never a crash; unreadable input is an error value, not a trap.
        let input: MailInput
        do {
            input = try MailInput(path: path.path)
        } catch {
            // Only empty input may be refused; git mailsplit finds no mail in it either.
            #expect(error.message.contains("empty"), "\(relativePath): \(error)")
            return
        }
        var ours: [PatchMail] = []
        input.forEach { item in
            if case .message(let m) = item { ours.append(PatchMail.read(m)) }
        }
        guard input.kind == .mbox || input.kind == .message else { return }

        // git's: split like `git am` does (mboxrd when the file is one), then mailinfo each.
        let splitDir = scratch.appendingPathComponent("split")
        try FileManager.default.createDirectory(at: splitDir, withIntermediateDirectories: true)
        var splitArgs = ["git", "mailsplit", "-b", "-o\(splitDir.path)"]
        if relativePath.hasSuffix("mboxrd") { splitArgs.append("--mboxrd") }
        splitArgs.append(path.path)
        let split = try run(splitArgs)
        try #require(split.status == 0, "git mailsplit failed on \(relativePath): \(split.stderr)")
        let pieces = try FileManager.default.contentsOfDirectory(atPath: splitDir.path).sorted()
        #expect(pieces.count == ours.count, "\(relativePath): git split \(pieces.count) mails, we read \(ours.count)")

        for (index, piece) in pieces.enumerated() where index < ours.count {
            let git = try Self.mailinfo(splitDir.appendingPathComponent(piece), scratch: scratch)
            let mine = ours[index]
            let key = "\(relativePath)#\(index + 1)"
            func check(_ field: String, _ a: String, _ b: String) {
                if Self.deliberate["\(key):\(field)"] != nil { return }
                #expect(a == b, "\(key) \(field): git says \(a.debugDescription), we say \(b.debugDescription)")
            }
            // git prints the address as the name when there is none; we keep the name empty.
            let name = mine.author.map { $0.name.isEmpty ? $0.email : $0.name } ?? ""
            check("author", git.author, name)
            check("email", git.email, mine.author?.email ?? "")
            check("subject", git.subject, mine.subjectInfo.title)
            if git.numstatFromNamesOnly {
                check("numstat", git.numstat.joined(separator: "|"), mine.files.map { "-\t-\t\($0.path)" }.joined(separator: "|"))
            } else {
                check("numstat", git.numstat.joined(separator: "|"), Self.ourNumstat(mine.files).joined(separator: "|"))
            }
        }
    }
}
