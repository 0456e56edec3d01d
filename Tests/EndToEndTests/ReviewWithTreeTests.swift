import Foundation
import TestSupport
import Testing

/// `spw-review review SERIES --tree REPO` on the fixture kernel: the whole pipeline, mail to
/// findings, for the pasted thread and the clean mbox.
struct ReviewWithTreeTests {
    static func fixtureRepository() throws -> String {
        let dir = TestScratch.root.appendingPathComponent("spw-e2e-kernel-\(UUID().uuidString)").path
        let made = try ProcessRunner.run([Binary.packageRoot.appendingPathComponent("fixtures/kernel-repo.sh").path,
                                          Binary.packageRoot.appendingPathComponent("fixtures/kernel").path, dir],
                                         executable: "/bin/bash")
        try #require(made.status == 0, "\(made.stderr)")
        return dir
    }

    static func findings(_ json: [String: Any]) -> [String: (present: [Int], introduced: Int?, resolved: Int?)] {
        var out: [String: (present: [Int], introduced: Int?, resolved: Int?)] = [:]
        for f in json["findings"] as? [[String: Any]] ?? [] {
            let key = "\(f["rule"] as? String ?? "") \(f["function"] as? String ?? "")"
            out[key] = (f["presentIn"] as? [Int] ?? [], f["introducedBy"] as? Int, f["resolvedBy"] as? Int)
        }
        return out
    }

    @Test func pastedThreadAndCleanMboxGiveTheSameFindingsAndTrees() throws {
        let repo = try Self.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let pasted = try Binary.run([Binary.seed, "--tree", repo, "--format", "json"])
        let clean = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"])
        // ext4's fast path stays flagged in T3, but the series did not introduce it: exit 0.
        #expect(pasted.status == 0, "\(pasted.stderr)")
        #expect(clean.status == 0)
        let pastedApply = try #require(pasted.json["apply"] as? [String: Any])
        let cleanApply = try #require(clean.json["apply"] as? [String: Any])
        #expect(pastedApply["resultTree"] as? String == cleanApply["resultTree"] as? String)
        let statuses = (pastedApply["patches"] as? [[String: Any]] ?? []).map { $0["status"] as? String }
        #expect(statuses == ["repaired", "repaired", "repaired"])
        #expect((cleanApply["base"] as? [String: Any])?["how"] as? String == "base-commit")

        let a = Self.findings(pasted.json), b = Self.findings(clean.json)
        #expect(Set(a.keys) == Set(b.keys))
        for (key, value) in a { #expect(b[key]?.present == value.present, "\(key)") }
        #expect(a["stable-pages/write-begin-without-wait ext4_write_begin"]?.resolved == 1)
        #expect(a["stable-pages/mkwrite-without-wait xfs_vm_page_mkwrite"]?.resolved == 2)
        #expect(a["stable-pages/mkwrite-without-wait nilfs_page_mkwrite"]?.resolved == 2)
        #expect(a["stable-pages/mmap-without-mkwrite ext2_file_operations"]?.resolved == 3)
        #expect(a["stable-pages/mmap-without-mkwrite fat_file_operations"]?.resolved == 3)
        #expect(a["stable-pages/mkwrite-without-wait ext4_page_mkwrite"]?.present == [0, 1, 2, 3])
        #expect(!a.keys.contains { $0.contains("btrfs") || $0.contains("fb_deferred") })
        let first = try #require((pasted.json["findings"] as? [[String: Any]])?.first)
        #expect(Set(first.keys).isSuperset(of: ["rule", "severity", "function", "file", "line", "slot", "message", "path",
                                                "presentIn", "introducedBy", "resolvedBy"]))
    }

    /// The prefilter cache: written by a review, used by the next one with the same output,
    /// and neither read nor written with --no-cache.
    @Test func prefilterCacheKeepsOutputAndNoCacheLeavesNoFile() throws {
        let repo = try Self.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let cacheHome = TestScratch.root.appendingPathComponent("spw-xdg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cacheHome) }
        let env = ["XDG_CACHE_HOME": cacheHome]
        let facts = cacheHome + "/spw-review/prefilter-facts"

        let uncached = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json", "--no-cache"], environment: env)
        #expect(!FileManager.default.fileExists(atPath: facts))
        let first = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        let written = try #require(FileManager.default.contents(atPath: facts))
        #expect(String(decoding: written, as: UTF8.self).hasPrefix("spw-review prefilter facts 1 "))
        let summaries = try #require(FileManager.default.contents(atPath: cacheHome + "/spw-review/summaries"))
        #expect(String(decoding: summaries, as: UTF8.self).hasPrefix("spw-review summaries 1 "))
        let second = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        #expect(first.stdout == uncached.stdout)
        #expect(second.stdout == first.stdout)
        #expect(second.status == first.status)
    }

    @Test func scanAuditsATreeWithoutASeries() throws {
        let result = try Binary.run(["scan", "--tree", Binary.packageRoot.appendingPathComponent("fixtures/kernel").path,
                                     "--format", "json"])
        #expect(result.status == 1)
        let functions = Set((result.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["function"] as? String })
        #expect(functions.isSuperset(of: ["xfs_vm_page_mkwrite", "nilfs_page_mkwrite", "ext4_page_mkwrite", "ext2_file_operations", "fat_file_operations"]))
        #expect(!functions.contains("btrfs_page_mkwrite"))
    }

    @Test func explainPrintsARule() throws {
        let result = try Binary.run(["explain", "mkwrite-without-wait"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("# `stable-pages/mkwrite-without-wait`"))
        #expect(result.stdout.contains("//~ finding"))
    }
}

struct RuleDocsTests {
    @Test func docsRulesMatchesTheRuleDescriptions() throws {
        let generated = try Binary.run(["rules", "--markdown"])
        let committed = try String(contentsOf: Binary.packageRoot.appendingPathComponent("docs/rules.md"), encoding: .utf8)
        #expect(generated.stdout == committed, "regenerate with: spw-review rules --markdown > docs/rules.md")
    }

    @Test func docsModelMatchesTheBuiltInModel() throws {
        let generated = try Binary.run(["rules", "--model"])
        let committed = try String(contentsOf: Binary.packageRoot.appendingPathComponent("docs/model.md"), encoding: .utf8)
        #expect(generated.stdout == committed, "regenerate with: spw-review rules --model > docs/model.md")
        #expect(committed.contains("| `i_fop` |") && committed.contains("| `shmem_write_begin` |"))
    }
}

struct ReportFormatTests {
    @Test func sarifMarkdownAndEmailRenderTheSameReview() throws {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let sarif = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "sarif"])
        #expect(sarif.status == 0)
        let run = try #require((sarif.json["runs"] as? [[String: Any]])?.first)
        #expect(sarif.json["version"] as? String == "2.1.0")
        let results = run["results"] as? [[String: Any]] ?? []
        let ruleIDs = Set(results.compactMap { $0["ruleId"] as? String })
        #expect(ruleIDs.contains("stable-pages/mkwrite-without-wait"))
        let withFlow = try #require(results.first { $0["codeFlows"] != nil })
        #expect((withFlow["locations"] as? [[String: Any]])?.isEmpty == false)
        // Issue 14: the base the findings are measured against, and where the code lives.
        try #require(try ProcessRunner.git(["remote", "add", "origin", "https://example.org/linux.git"], in: repo) == 0)
        let withRemote = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "sarif"])
        let provenance = ((withRemote.json["runs"] as? [[String: Any]])?.first?["versionControlProvenance"] as? [[String: Any]])?.first
        #expect(provenance?["repositoryUri"] as? String == "https://example.org/linux.git")
        #expect((provenance?["revisionId"] as? String)?.count == 40)
        #expect(results.filter { ($0["ruleId"] as? String)?.hasPrefix("stable-pages/") == true }
            .allSatisfy { $0["partialFingerprints"] != nil })

        let markdown = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "markdown"])
        #expect(markdown.stdout.hasPrefix("## spw-review: stable page writes v3.2"))
        #expect(markdown.stdout.contains("### Resolved by the series"))
        #expect(markdown.stdout.contains("`mm/filemap.c:1716` generic_file_vm_ops"))

        let email = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "email"])
        #expect(email.stdout.hasPrefix("From spw-review "))
        #expect(email.stdout.contains("\nSubject: Re: [PATCH v3.2 0/3] stable page writes\nIn-Reply-To: <"))
        #expect(email.stdout.contains("(resolved by patch 2/3 fs: block_page_mkwrite should wait"))
        #expect(email.stdout.hasSuffix("-- \nspw-review\n"))

        // Issue 14: by default each format shows what the series changes and counts the rest.
        let ext4 = "ext4_page_mkwrite"
        let count = "1 finding already in the base tree, unchanged: --all to list it"
        for format in ["text", "markdown", "email"] {
            let plain = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", format])
            #expect(plain.stdout.contains(count), "\(format)")
            #expect(!plain.stdout.contains(ext4), "\(format): the unchanged ext4 finding is only counted")
            let all = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", format, "--all"])
            #expect(!all.stdout.contains(count) && all.stdout.contains(ext4), "\(format) --all")
        }
        let json = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"])
        let states = (json.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(states.contains("unchanged") && states.contains("resolved"), "JSON carries every state")
    }

    @Test func formatsACommandCannotRenderAreUsageErrors() throws {
        let result = try Binary.run(["list", Binary.cleanMbox, "--format", "sarif"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("The value 'sarif' is invalid for '--format <format>'. Please provide one of 'text' and 'json'."))
        // and --help offers only what the command writes (issue 14)
        let help = try Binary.run(["list", "--help"])
        #expect(help.stdout.contains("values: text, json;"))
        let scanHelp = try Binary.run(["scan", "--help"])
        #expect(scanHelp.stdout.contains("values: text, json, markdown, sarif;"))
    }
}

struct DiagnosticCatalogTests {
    @Test func everyDocumentedCodeIsExplainedByTheBinary() throws {
        let doc = try String(contentsOf: Binary.packageRoot.appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        let codes = Set(doc.split(separator: "\n").filter { $0.hasPrefix("| `mail/") }.flatMap { line in
            line.split(separator: "|")[0].split(separator: "`").filter { $0.hasPrefix("mail/") }.map(String.init)
        })
        #expect(codes.count > 20)
        for code in codes {
            let result = try Binary.run(["explain", code])
            #expect(result.status == 0 && result.stdout.hasPrefix(code), "\(code): \(result.stderr)")
        }
    }
}

/// What `review` keeps by tree id, and a tree it cannot read whole.
struct TreeCacheTests {
    /// The reads and results of T0..Tn are kept; a review answered from them (every tree known)
    /// prints what the first did.
    @Test func treeReadsAndResultsKeepTheOutput() throws {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let cacheHome = TestScratch.root.appendingPathComponent("spw-xdg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cacheHome) }
        let env = ["XDG_CACHE_HOME": cacheHome]
        let first = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        for name in ["tree-reads", "tree-results"] {
            let kept = try #require(FileManager.default.contents(atPath: cacheHome + "/spw-review/" + name), "\(name)")
            #expect(String(decoding: kept, as: UTF8.self).hasPrefix("spw-review \(name.replacingOccurrences(of: "-", with: " ")) 1 "))
        }
        let again = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"],
                                   environment: env.merging(["SPW_REVIEW_TRACE_PERFORMANCE": "1"]) { a, _ in a })
        #expect(again.stdout == first.stdout)
        #expect(again.status == first.status)
        // Nothing was read again: every tree's result was kept.
        #expect(!again.stderr.contains("reading and parsing"), "\(again.stderr)")
    }

    /// A second series on a base reviewed before reads the base's files from the outlines the
    /// first run kept (parsing only the bodies it walks), says what a review without caches
    /// says, and adds its own outlines at the end of the file.
    @Test func aSecondSeriesOnAKnownBaseReadsItsFilesFromKeptOutlines() throws {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let cacheHome = TestScratch.root.appendingPathComponent("spw-xdg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cacheHome) }
        let env = ["XDG_CACHE_HOME": cacheHome, "SPW_REVIEW_TRACE_PERFORMANCE": "1"]
        let outlines = cacheHome + "/spw-review/parse-outlines"
        _ = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        let kept = try #require(FileManager.default.contents(atPath: outlines))
        #expect(String(decoding: kept, as: UTF8.self).hasPrefix("spw-review parse outlines 1 "))
        // A one-patch series: btrfs' page_mkwrite loses its wait.
        let git = ["git", "-C", repo, "-c", "user.name=B", "-c", "user.email=b@example.org"]
        let file = repo + "/fs/btrfs/inode.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ProcessRunner.run(git + ["commit", "-qam", "btrfs: drop the wait"]).status == 0)
        let patch = try ProcessRunner.run(git + ["format-patch", "-1", "--stdout"]).stdoutText
        #expect(try ProcessRunner.run(git + ["reset", "-q", "--hard", "HEAD~1"]).status == 0)
        let mbox = cacheHome + "/one.mbox"
        try patch.write(toFile: mbox, atomically: true, encoding: .utf8)
        let warm = try Binary.run([mbox, "--tree", repo, "--format", "json"], environment: env)
        let fresh = try Binary.run([mbox, "--tree", repo, "--format", "json", "--no-cache"])
        #expect(warm.status == 1 && fresh.status == 1, "\(warm.stderr)")
        #expect(warm.stdout == fresh.stdout)
        #expect(warm.stderr.contains(" files recorded"), "\(warm.stderr)")
        #expect(warm.stderr.contains("T0: parse of 0 of the "), "every file of T0 from its outline: \(warm.stderr)")
        // Appended: the file begins with what the first run wrote.
        let grown = try #require(FileManager.default.contents(atPath: outlines))
        #expect(grown.count > kept.count && grown.prefix(kept.count) == kept)
    }

    /// A blob the analysis reads is missing (as in a partial clone): no verdict, exit 3, and
    /// nothing kept of the trees, so a later run with the object back is not answered from an
    /// incomplete read.
    @Test func aMissingObjectStopsTheReviewAndIsNotKept() throws {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let cacheHome = TestScratch.root.appendingPathComponent("spw-xdg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cacheHome) }
        let env = ["XDG_CACHE_HOME": cacheHome]
        let blob = try ProcessRunner.run(["git", "-C", repo, "rev-parse", "HEAD:fs/ext4/inode.c"]).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let object = repo + "/.git/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        let saved = try #require(FileManager.default.contents(atPath: object), "the fixture's objects are loose")
        try FileManager.default.removeItem(atPath: object)
        let broken = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        #expect(broken.status == 3, "\(broken.stderr)")
        #expect(broken.stderr.contains("error: cannot read fs/ext4/inode.c"), "\(broken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cacheHome + "/spw-review/tree-results"))
        // The object back: the review runs in full and gives the verdict it gives without caches.
        try FileManager.default.createDirectory(atPath: (object as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try saved.write(to: URL(fileURLWithPath: object))
        let mended = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json"], environment: env)
        let fresh = try Binary.run([Binary.cleanMbox, "--tree", repo, "--format", "json", "--no-cache"])
        #expect(mended.status == 0, "\(mended.stderr)")
        #expect(mended.stdout == fresh.stdout)
    }
}
