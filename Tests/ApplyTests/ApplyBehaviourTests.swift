import Foundation
import Testing
import Mail
import Series
import Git
@testable import Apply

@Suite(.serialized) struct ApplyBehaviourTests {
    static let cleanMail = try! String(contentsOfFile: TestPaths.cleanMbox, encoding: .utf8)

    // MARK: - Repair reproduces the exact postimage blobs

    @Test(arguments: [false, true])
    func damagedCleanSeriesRepairsToTheExactPostimages(collapse: Bool) throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let damaged = try readSeries(text: damage(Self.cleanMail, collapseInnerWhitespace: collapse))
        #expect(damaged.patches.allSatisfy { $0.isDamaged })
        let result = try SeriesApplier.apply(damaged, repositoryPath: repo.path)
        let clean = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path)
        #expect(result.patches.map(\.status) == [.repaired, .repaired, .repaired])
        #expect(result.patches.map(\.postimageVerified) == [true, true, true])
        #expect(result.patches.map(\.tree) == clean.patches.map(\.tree))
        #expect(result.patches.flatMap(\.files).allSatisfy { f in
            f.indexPostimage.map { f.postimageBlob?.hasPrefix($0) == true } ?? false
        })
    }

    /// New patches written for this test (continuation lines, nested unbraced if/else, a
    /// switch, a label, a block comment, a wrapped call), committed with git, sent through
    /// format-patch, damaged, and repaired back to git's own postimage blobs.
    @Test(arguments: [false, true])
    func freshPatchesSurviveDamage(collapse: Bool) throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let buffer = repo.appendingPathComponent("fs/buffer.c")
        var text = try String(contentsOf: buffer, encoding: .utf8)
        let helper = """
            EXPORT_SYMBOL(block_page_mkwrite);

            /*
             * spw_test_helper - a made-up helper for the repair tests
             * @page: the page
             *
             * Returns 0 or a negative errno.
             */
            static int spw_test_helper(struct page *page, unsigned long flags,
            \t\t\t   int retries)
            {
            \tint ret = 0;
            \tint i;

            \tfor (i = 0; i < retries; i++) {
            \t\tif (PageWriteback(page) &&
            \t\t    !(flags & 1))
            \t\t\twait_on_page_writeback(page);
            \t\telse if (flags & 2)
            \t\t\tret = -EAGAIN;
            \t\telse
            \t\t\tbreak;
            \t}
            \tswitch (flags) {
            \tcase 0:
            \t\tret = -EINVAL;
            \t\tbreak;
            \tdefault:
            \t\tgoto out;
            \t}
            out:
            \treturn ret;
            }
            """
        text = text.replacingOccurrences(of: "EXPORT_SYMBOL(block_page_mkwrite);", with: helper)
        try text.write(to: buffer, atomically: true, encoding: .utf8)
        try git(repo, "commit", "-q", "-a", "-m", "fs: add a test helper")
        text = text.replacingOccurrences(of: "\t\tret = block_commit_write(page, 0, end);",
                                         with: "\t\tret = block_commit_write(page, 0,\n\t\t\t\t\t end);")
        try text.write(to: buffer, atomically: true, encoding: .utf8)
        try git(repo, "commit", "-q", "-a", "-m", "fs: wrap a call")
        let mail = try git(repo, "format-patch", "--stdout", "-2", "HEAD") + "\n"
        let series = try readSeries(text: damage(mail, collapseInnerWhitespace: collapse))
        #expect(series.patches.count == 2)
        #expect(series.patches.allSatisfy { $0.isDamaged })
        let result = try SeriesApplier.apply(series, repositoryPath: repo.path)
        #expect(result.base.how == .guessed)
        #expect(result.base.commit == TestPaths.fixtureBase)
        #expect(result.base.walked == 3)
        #expect(result.patches.map(\.status) == [.repaired, .repaired])
        #expect(result.patches.map(\.postimageVerified) == [true, true])
        #expect(result.patches.map(\.tree) == [try treeOf(repo, "HEAD~1"), try treeOf(repo, "HEAD")])
        // Without index lines nothing can choose among candidates: the preferred repair must
        // already be right.
        let noIndex = damage(mail, collapseInnerWhitespace: collapse).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("index ") }.joined(separator: "\n")
        let unverified = try SeriesApplier.apply(try readSeries(text: noIndex), repositoryPath: repo.path,
                                                 configuration: ApplyConfiguration(base: TestPaths.fixtureBase))
        #expect(unverified.patches.map(\.postimageVerified) == [nil, nil])
        #expect(unverified.patches.map(\.tree) == [try treeOf(repo, "HEAD~1"), try treeOf(repo, "HEAD")])
    }

    // MARK: - Already applied, offsets, conflicts

    @Test func seriesAlreadyInTheTreeIsReportedAlreadyApplied() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        for n in 1...3 {
            let file = try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixtures.appendingPathComponent("series/format-patch").path)
                .first { $0.hasPrefix("000\(n)") }!
            try git(repo, "am", "-q", TestPaths.fixtures.appendingPathComponent("series/format-patch/\(file)").path)
        }
        let configuration = ApplyConfiguration(base: "HEAD")
        let clean = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path, configuration: configuration)
        #expect(clean.base.how == .given)
        #expect(clean.patches.map(\.status) == [.alreadyApplied, .alreadyApplied, .alreadyApplied])
        #expect(clean.resultTree == (try treeOf(repo, "HEAD")))
        #expect(clean.diagnostics.filter { $0.code == "apply/already-applied" }.count == 3)
        let pasted = try SeriesApplier.apply(try readSeries([TestPaths.seedThread]), repositoryPath: repo.path, configuration: configuration)
        #expect(pasted.patches.map(\.status) == [.alreadyApplied, .alreadyApplied, .alreadyApplied])
        #expect(pasted.resultTree == (try treeOf(repo, "HEAD")))
    }

    @Test func movedFileAppliesWithOffsets() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        for path in ["mm/filemap.c", "fs/buffer.c"] {
            let url = repo.appendingPathComponent(path)
            let text = try String(contentsOf: url, encoding: .utf8)
            let header = (1...10).map { "/* moved down, line \($0) */\n" }.joined()
            try (header + text).write(to: url, atomically: true, encoding: .utf8)
        }
        try git(repo, "commit", "-q", "-a", "-m", "move everything down 10 lines")
        let clean = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                            configuration: ApplyConfiguration(base: "HEAD"))
        #expect(clean.patches.map(\.status) == [.appliedWithOffset, .appliedWithOffset, .appliedWithOffset])
        #expect(clean.patches.flatMap(\.hunks).map(\.offset) == [10, 10, 10, 10])
        #expect(clean.patches.flatMap(\.hunks).allSatisfy { $0.message.contains("offset of 10 lines") })
        #expect(clean.patches.map(\.postimageVerified) == [nil, nil, nil])
        let pasted = try SeriesApplier.apply(try readSeries([TestPaths.seedThread]), repositoryPath: repo.path)
        #expect(pasted.patches.map(\.status) == [.repaired, .repaired, .repaired])
        #expect(pasted.patches.flatMap(\.hunks).map(\.offset) == [10, 10, 10, 10])
        #expect(pasted.resultTree == clean.resultTree)
        // Git agrees.
        for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixtures.appendingPathComponent("series/format-patch").path).sorted()
            where !name.hasPrefix("0000") {
            try git(repo, "am", "-q", TestPaths.fixtures.appendingPathComponent("series/format-patch/\(name)").path)
        }
        #expect(clean.resultTree == (try treeOf(repo, "HEAD")))
    }

    @Test func vanishedContextIsAConflictWithTheClosestPlace() throws {
        // A tree whose history never had the series' preimage: no three-way fallback.
        let source = try temporaryDirectory().appendingPathComponent("kernel")
        defer { try? FileManager.default.removeItem(at: source.deletingLastPathComponent()) }
        try FileManager.default.copyItem(at: TestPaths.fixtures.appendingPathComponent("kernel"), to: source)
        let filemap = source.appendingPathComponent("mm/filemap.c")
        let text = try String(contentsOf: filemap, encoding: .utf8)
        try text.replacingOccurrences(of: "\tpage = find_lock_page(mapping, index);\n\tif (page)\n\t\treturn page;",
                                      with: "\tpage = find_lock_page(mapping, index);\n\tif (page != NULL)\n\t\treturn page;")
            .write(to: filemap, atomically: true, encoding: .utf8)
        let repo = try temporaryDirectory().appendingPathComponent("kernel")
        defer { removeRepository(repo) }
        #expect(try run(["sh", TestPaths.fixtures.appendingPathComponent("kernel-repo.sh").path, source.path, repo.path]).status == 0)
        let result = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path)
        #expect(result.base.how == .guessed || result.base.how == .head)
        #expect(result.patches.map(\.status) == [.conflict, .applied, .applied])
        let hunk = try #require(result.patches[0].hunks.first { $0.status == .conflict })
        #expect(hunk.file == "mm/filemap.c")
        #expect(hunk.hunk == 1)
        #expect(hunk.message.contains("closest place at line 2288"))
        let closest = try #require(hunk.closest)
        #expect(closest.contains("+++ mm/filemap.c:2288"))
        #expect(closest.contains("-\tif (page)\n+\tif (page != NULL)\n"))
        #expect(result.patches[0].tree == result.trees[0]) // T1 = T0: nothing half-applied
        #expect(result.diagnostics.contains { $0.code == "apply/conflict" && $0.patch == 1 && $0.hunk == 1 && $0.severity == .error })
        #expect(!result.applied)
    }

    // MARK: - Three-way fallback

    @Test func threeWayFallbackMergesOrReportsWithoutMarkersInTheTree() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let buffer = repo.appendingPathComponent("fs/buffer.c")
        let original = try String(contentsOf: buffer, encoding: .utf8)
        try original.replacingOccurrences(of: "\t\t\tret = VM_FAULT_OOM;\n", with: "\t\t\tret = VM_FAULT_OOM; /* no memory */\n")
            .write(to: buffer, atomically: true, encoding: .utf8)
        try git(repo, "commit", "-q", "-a", "-m", "touch the context of patch 2")
        let merged = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                             configuration: ApplyConfiguration(base: "HEAD"))
        #expect(merged.patches.map(\.status) == [.applied, .applied, .applied])
        let hunk = merged.patches[1].hunks[0]
        #expect(hunk.method == "three-way")
        #expect(merged.diagnostics.contains { $0.code == "apply/three-way" })

        // Now a change to the very lines the patch changes: a conflict, reported, not applied.
        try original.replacingOccurrences(of: "\t} else\n\t\tret = VM_FAULT_LOCKED;", with: "\t} else\n\t\tret = VM_FAULT_LOCKED | VM_FAULT_RETRY;")
            .write(to: buffer, atomically: true, encoding: .utf8)
        try git(repo, "commit", "-q", "-a", "-m", "change the lines patch 2 changes")
        let conflicted = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                                 configuration: ApplyConfiguration(base: "HEAD"))
        #expect(conflicted.patches.map(\.status) == [.applied, .conflict, .applied])
        let conflict = conflicted.patches[1].hunks[0]
        #expect(conflict.method == "three-way")
        #expect(conflict.closest?.contains("<<<<<<< tree") == true)
        #expect(conflicted.patches[1].tree == conflicted.patches[0].tree)
        #expect(try git(repo, "status", "--porcelain").isEmpty)
    }

    // MARK: - Nothing is touched

    @Test func workingTreeIndexHeadAndRefsAreUntouched() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        try git(repo, "branch", "topic")
        try git(repo, "tag", "v0")
        let before = try snapshot(repo)
        #expect(before.keys.contains("/.git/index"))
        #expect(before.keys.contains("/.git/HEAD"))
        #expect(before.keys.contains("/.git/refs/heads/topic"))
        #expect(before.keys.contains("/mm/filemap.c"))
        let clean = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path)
        let pasted = try SeriesApplier.apply(try readSeries([TestPaths.seedThread]), repositoryPath: repo.path)
        let damaged = try SeriesApplier.apply(try readSeries(text: damage(Self.cleanMail, collapseInnerWhitespace: true)),
                                              repositoryPath: repo.path)
        #expect(clean.applied && pasted.applied && damaged.applied)
        let after = try snapshot(repo)
        #expect(after == before)
        // Not one object written: the result trees are not in the repository.
        let disk = try Repository(path: repo.path)
        #expect(!disk.contains(ObjectID(hex: clean.resultTree)!))
    }

    // MARK: - Hostile paths

    @Test func hostilePathsAreRefused() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        func mail(_ n: Int, _ path: String) -> String {
            """
            From 111111111111111111111111111111111111111\(n) Mon Sep 17 00:00:00 2001
            From: Evil <evil@example.org>
            Date: Thu, 26 May 2011 16:04:4\(n) -0700
            Subject: [PATCH \(n)/4] evil \(n)

            Touch something we should not.

            Signed-off-by: Evil <evil@example.org>
            ---
            diff --git a/\(path) b/\(path)
            new file mode 100644
            index 0000000..2222222
            --- /dev/null
            +++ b/\(path)
            @@ -0,0 +1 @@
            +evil

            """
        }
        let text = mail(1, "../outside") + mail(2, ".git/hooks/post-checkout") + mail(3, "fs/../../x") + mail(4, "fs/.GIT/config")
        let before = try snapshot(repo)
        let result = try SeriesApplier.apply(try readSeries(text: text), repositoryPath: repo.path,
                                             configuration: ApplyConfiguration(base: "HEAD"))
        #expect(result.patches.map(\.status) == [.skipped, .skipped, .skipped, .skipped])
        #expect(result.patches.allSatisfy { $0.message.hasPrefix("refused: ") })
        let refusals = result.diagnostics.filter { $0.code == "apply/unsafe-path" }
        #expect(refusals.count == 4)
        #expect(refusals.allSatisfy { $0.severity == .error })
        #expect(refusals[0].message.contains("climbs out of the tree"))
        #expect(refusals[1].message.contains("inside `.git/`"))
        #expect(result.resultTree == result.trees[0])
        #expect(try snapshot(repo) == before)
        #expect(PathSafety.problem("/etc/passwd") == "absolute path")
        #expect(PathSafety.problem("mm/filemap.c") == nil)
    }

    // MARK: - --apply-to-branch

    @Test func applyToBranchWritesRealCommitsOnANewBranchOnly() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let headBefore = try git(repo, "rev-parse", "HEAD")
        let indexBefore = try snapshot(repo).filter { !$0.key.hasPrefix("/.git/objects/") && !$0.key.hasPrefix("/.git/refs/heads/spw") && !$0.key.hasPrefix("/.git/logs/refs/heads/spw") }
        let result = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                             configuration: ApplyConfiguration(applyToBranch: "spw/v3.2"))
        #expect(result.branch == "spw/v3.2")
        #expect(result.patches.allSatisfy { $0.commit != nil })
        #expect(try git(repo, "rev-parse", "spw/v3.2") == result.branchTip)
        #expect(try git(repo, "rev-parse", "HEAD") == headBefore)
        #expect(try git(repo, "log", "--format=%an <%ae> %ad|%s", "--date=raw", "spw/v3.2").split(separator: "\n") == [
            "Darrick J. Wong <djwong@us.ibm.com> 1306451113 -0700|mm: generic_file_vm_ops should have a page_mkwrite that waits for writeback",
            "Darrick J. Wong <djwong@us.ibm.com> 1306451098 -0700|fs: block_page_mkwrite should wait for writeback to finish",
            "Darrick J. Wong <djwong@us.ibm.com> 1306451081 -0700|mm: Wait for writeback when grabbing pages to begin a write",
            "Fixture Kernel <fixture@example.org> 1305777994 -0700|Fixture kernel: a miniature 2.6.39-era tree",
        ])
        #expect(try git(repo, "log", "-1", "--format=%B", "spw/v3.2~2") == """
            mm: Wait for writeback when grabbing pages to begin a write

            When grabbing a page for a buffered IO write, the mm should wait for writeback
            on the page to complete so that the page does not become writable during the IO
            operation. This change is needed to provide page stability during writes for
            all filesystems.

            Signed-off-by: Darrick J. Wong <djwong@us.ibm.com>
            """)
        #expect(try treeOf(repo, "spw/v3.2") == result.resultTree)
        #expect(try git(repo, "fsck", "--strict", "--no-progress").isEmpty)
        // The working tree, index and HEAD are as they were.
        let after = try snapshot(repo).filter { !$0.key.hasPrefix("/.git/objects/") && !$0.key.hasPrefix("/.git/refs/heads/spw") && !$0.key.hasPrefix("/.git/logs/refs/heads/spw") }
        #expect(after == indexBefore)

        // An existing branch, or the checked-out one, is never touched.
        let series = try readSeries([TestPaths.cleanMbox])
        let existing = try #require(throws: ApplyError.self) {
            try SeriesApplier.apply(series, repositoryPath: repo.path, configuration: ApplyConfiguration(applyToBranch: "spw/v3.2"))
        }
        #expect(existing.message.contains("exists"))
        let checkedOut = try #require(throws: ApplyError.self) {
            try SeriesApplier.apply(series, repositoryPath: repo.path, configuration: ApplyConfiguration(applyToBranch: "master"))
        }
        #expect(checkedOut.message.contains("checked out"))
        try git(repo, "symbolic-ref", "HEAD", "refs/heads/unborn")
        let unborn = try #require(throws: ApplyError.self) {
            try SeriesApplier.apply(series, repositoryPath: repo.path, configuration: ApplyConfiguration(applyToBranch: "unborn"))
        }
        #expect(unborn.message.contains("checked out"))
        #expect(try git(repo, "rev-parse", "spw/v3.2") == result.branchTip)
    }

    @Test func applyToBranchRefusesASeriesThatDidNotApply() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let buffer = repo.appendingPathComponent("fs/buffer.c")
        try "gone\n".write(to: buffer, atomically: true, encoding: .utf8)
        try git(repo, "commit", "-q", "-a", "-m", "replace buffer.c")
        let result = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                             configuration: ApplyConfiguration(base: "HEAD", applyToBranch: "spw/broken"))
        #expect(result.branch == nil)
        #expect(result.diagnostics.contains { $0.code == "apply/branch-refused" })
        #expect(try !Repository(path: repo.path).branchExists("spw/broken"))
    }

    // MARK: - Base resolution

    @Test func baseIsGuessedFromAbbreviatedPreimageBlobsWithinTheBound() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        for n in 1...5 {
            try "\(n)\n".write(to: repo.appendingPathComponent("mm/filemap.c"), atomically: true, encoding: .utf8)
            try git(repo, "commit", "-q", "-a", "-m", "rewrite \(n)")
        }
        let withoutBase = Self.cleanMail.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("base-commit:") }.joined(separator: "\n")
        let series = try readSeries(text: withoutBase)
        #expect(series.footer.baseCommit == nil)
        let guessed = try SeriesApplier.apply(series, repositoryPath: repo.path)
        #expect(guessed.base.how == .guessed)
        #expect(guessed.base.commit == TestPaths.fixtureBase)
        #expect(guessed.base.walked == 6)
        #expect(guessed.base.matchedBlobs == 2 && guessed.base.totalBlobs == 2)
        #expect(guessed.applied)
        let bounded = try SeriesApplier.apply(series, repositoryPath: repo.path,
                                              configuration: ApplyConfiguration(baseSearchDepth: 3))
        #expect(bounded.base.how == .head)
        #expect(bounded.base.walked == 3)
        #expect(bounded.base.matchedBlobs == 1)
        #expect(bounded.diagnostics.contains { $0.code == "apply/base-head" && $0.message.contains("within 3 first-parent commits") })
        let given = try SeriesApplier.apply(series, repositoryPath: repo.path, configuration: ApplyConfiguration(base: "HEAD~5"))
        #expect(given.base.how == .given && given.base.commit == TestPaths.fixtureBase)
        #expect(throws: ApplyError.self) {
            try SeriesApplier.apply(series, repositoryPath: repo.path, configuration: ApplyConfiguration(base: "nope"))
        }
    }
}
