import Foundation
import TestSupport
import Testing

/// `spw-review check` on local commits, and the git hooks, in real repositories made here.
struct CheckAndHookTests {
    static func git(_ arguments: [String], in directory: String) throws -> Int32 {
        try ProcessRunner.git(arguments, in: directory)
    }

    /// The fixture kernel with the clean seed series committed on top.
    static func repositoryWithSeries() throws -> String {
        let repo = try ReviewWithTreeTests.fixtureRepository()
        let patches = Binary.packageRoot.appendingPathComponent("fixtures/series/format-patch")
        let files = try FileManager.default.contentsOfDirectory(atPath: patches.path)
            .filter { $0.hasSuffix(".patch") && !$0.hasPrefix("0000") }.sorted().map { patches.appendingPathComponent($0).path }
        try #require(try git(["am", "-q"] + files, in: repo) == 0)
        return repo
    }

    /// Removes the first `wait_on_page_writeback(page);` line of btrfs' inode.c in `repo` (the
    /// fixture kernel): the regression the tests make a reviewer catch. Not committed.
    static func dropBtrfsWait(in repo: String) throws {
        let file = repo + "/fs/btrfs/inode.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let wait = "\twait_on_page_writeback(page);\n"
        let range = try #require(text.range(of: wait))
        try text.replacingCharacters(in: range, with: "").write(toFile: file, atomically: true, encoding: .utf8)
    }

    static func inDirectory<T>(_ dir: String, _ body: () throws -> T) rethrows -> T {
        let old = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir)
        defer { FileManager.default.changeCurrentDirectoryPath(old) }
        return try body()
    }

    @Test func checkReviewsLocalCommitsLikeMail() throws {
        let repo = try Self.repositoryWithSeries()
        defer { try? FileManager.default.removeItem(atPath: repo) }
        let result = try Binary.run(["check", "HEAD~3..HEAD", "--tree", repo, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let findings = result.json["findings"] as? [[String: Any]] ?? []
        let resolved = Dictionary(findings.map { ("\($0["function"] as? String ?? "")", $0["resolvedBy"] as? Int) }, uniquingKeysWith: { a, _ in a })
        #expect(resolved["xfs_vm_page_mkwrite"] == .some(2))
        #expect(resolved["ext2_file_operations"] == .some(3))
        let patches = (result.json["series"] as? [String: Any])?["patches"] as? [[String: Any]] ?? []
        #expect(patches.count == 3)
    }

    @Test func checkFailsOnACommitThatOpensAHoleAndThePrePushHookStopsThePush() throws {
        let repo = try Self.repositoryWithSeries()
        let remote = TestScratch.root.appendingPathComponent("spw-remote-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: repo)
            try? FileManager.default.removeItem(atPath: remote)
        }
        // Drop btrfs's wait: a regression a reviewer must not miss.
        try Self.dropBtrfsWait(in: repo)
        try #require(try Self.git(["commit", "-qam", "btrfs: drop a wait\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)

        let check = try Binary.run(["check", "HEAD~1..HEAD", "--tree", repo, "--format", "json"])
        #expect(check.status == 1)
        let introduced = (check.json["findings"] as? [[String: Any]] ?? []).filter { $0["introducedBy"] as? Int == 1 }
        #expect(Set(introduced.compactMap { $0["rule"] as? String }) == ["stable-pages/mkwrite-without-wait", "stable-pages/wait-removed"])

        let install = try Binary.run(["hook", "install", "--tree", repo])
        #expect(install.status == 0)
        #expect(FileManager.default.isExecutableFile(atPath: repo + "/.git/hooks/pre-push"))
        #expect(try Binary.run(["hook", "install", "--tree", repo]).status == 0, "installing again over our own hooks is fine")
        try #require(try Self.git(["init", "-q", "--bare", remote], in: repo) == 0)
        #expect(try Self.git(["push", "-q", remote, "HEAD~1:refs/heads/master"], in: repo) == 0, "the clean series goes through")
        #expect(try Self.git(["push", "-q", remote, "HEAD:refs/heads/master"], in: repo) != 0, "the regression is stopped")
        #expect(try Self.git(["push", "-q", "--no-verify", remote, "HEAD:refs/heads/master"], in: repo) == 0)
    }
}

/// Issue 14: the pre-push hook checks every commit a push sends, not only the tip.
struct PrePushNewBranchTests {
    @Test func aNewBranchIsCheckedFromWhereTheRemotesAre() throws {
        let repo = try CheckAndHookTests.repositoryWithSeries()
        let remote = TestScratch.root.appendingPathComponent("spw-remote-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: repo)
            try? FileManager.default.removeItem(atPath: remote)
        }
        try #require(try CheckAndHookTests.git(["init", "-q", "--bare", remote], in: repo) == 0)
        try #require(try CheckAndHookTests.git(["remote", "add", "origin", remote], in: repo) == 0)
        try #require(try CheckAndHookTests.git(["push", "-q", "origin", "HEAD:refs/heads/master"], in: repo) == 0)
        try #require(try CheckAndHookTests.git(["fetch", "-q", "origin"], in: repo) == 0)
        // A topic branch: the regression first, then an innocent commit on top of it.
        try #require(try CheckAndHookTests.git(["checkout", "-q", "-b", "topic"], in: repo) == 0)
        try CheckAndHookTests.dropBtrfsWait(in: repo)
        try #require(try CheckAndHookTests.git(["commit", "-qam", "btrfs: drop a wait\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)
        try "notes\n".write(toFile: repo + "/NOTES", atomically: true, encoding: .utf8)
        try #require(try CheckAndHookTests.git(["add", "NOTES"], in: repo) == 0)
        try #require(try CheckAndHookTests.git(["commit", "-qm", "add notes\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)
        #expect(try Binary.run(["hook", "install", "--tree", repo, "--only", "pre-push"]).status == 0)
        let push = try ProcessRunner.run(["git", "push", "origin", "topic"], in: URL(fileURLWithPath: repo))
        #expect(push.status != 0, "the regression two commits below the tip is in the push")
        #expect(push.stderr.contains("2 new commit(s)"), "\(push.stderr)")
        #expect((push.stdoutText + push.stderr).contains("btrfs_page_mkwrite"), "\(push.stdoutText)")
    }

    @Test func aRootCommitIsChecked() throws {
        let repo = try ScratchRepository("prepush-root")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "first")
        let remote = repo.path + "-remote.git"
        defer { try? FileManager.default.removeItem(atPath: remote) }
        try repo.git(["init", "-q", "--bare", remote])
        #expect(try Binary.run(["hook", "install", "--tree", repo.path, "--only", "pre-push"]).status == 0)
        let push = try ProcessRunner.run(["git", "push", remote, "HEAD:refs/heads/master"], in: URL(fileURLWithPath: repo.path),
                                         isolateGitConfig: true)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("1 new commit(s)"), "\(push.stderr)")
    }
}

struct SendemailValidateTests {
    @Test func coverLettersPassAndRegressionsAreStopped() throws {
        let cover = Binary.packageRoot.appendingPathComponent("fixtures/series/format-patch/0000-cover-letter.patch").path
        let ok = try Binary.run(["hook", "sendemail-validate", cover])
        #expect(ok.status == 0, "a cover letter has nothing to validate: \(ok.stderr)")
        let mail = """
            From: A <a@example.org>
            Subject: [PATCH] fs: drop a wait

            Signed-off-by: A <a@example.org>
            ---
            diff --git a/fs/foo.c b/fs/foo.c
            --- a/fs/foo.c
            +++ b/fs/foo.c
            @@ -10,4 +10,3 @@ static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
             \tlock_page(page);
            -\twait_on_page_writeback(page);
             \treturn VM_FAULT_LOCKED;
             }
            """
        let url = try writeTemporary(Data(mail.utf8), name: "0001-drop.patch")
        let bad = try Binary.run(["hook", "sendemail-validate", url.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("[stable-pages/wait-removed]"))
        #expect(bad.stderr.contains("--no-validate"))
    }
}

/// A scratch repository driven by the real git (isolated from the user's configuration).
struct ScratchRepository {
    let path: String

    init(_ label: String) throws {
        path = TestScratch.root.appendingPathComponent("spw-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = try git(["init", "-q"])
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        let out = try ProcessRunner.run(["git", "-c", "user.name=A U Thor", "-c", "user.email=author@example.org"] + arguments,
                                        in: URL(fileURLWithPath: path), isolateGitConfig: true)
        try #require(out.status == 0, "git \(arguments.joined(separator: " ")): \(out.stderr)")
        return String(decoding: out.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Commits `files`, with a signed-off message.
    func commit(_ files: [String: String], _ subject: String) throws {
        for (name, text) in files { try write(name, text) }
        try git(["add"] + files.keys.sorted())
        try git(["commit", "-q", "-m", subject + "\n\nSigned-off-by: A U Thor <author@example.org>"])
    }
}

/// Issue 19: `apply` uses the repository it is run in, also for a series that only adds files.
struct ApplyInTheEnclosingRepositoryTests {
    @Test func aSeriesThatOnlyAddsFilesAppliesWhereItIsRun() throws {
        let repo = try ScratchRepository("adds")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["newdir/x.c": "int x;\n"], "newdir: add x.c")
        let expected = try repo.git(["rev-parse", "HEAD^{tree}"])
        let mail = try repo.git(["format-patch", "-1", "--stdout"])
        try repo.git(["reset", "-q", "--hard", "HEAD~1"])

        let result = try Binary.run(["apply", "-", "--print-tree"], stdin: Data((mail + "\n").utf8),
                                    directory: URL(fileURLWithPath: repo.path))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        #expect(try repo.git(["status", "--porcelain"]).isEmpty)  // the work tree is left alone
    }

    @Test func outsideAnyRepositoryTheMessageSaysWhere() throws {
        let dir = TestScratch.root.appendingPathComponent("spw-norepo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Binary.run(["apply", Binary.cleanMbox], environment: ["GIT_CEILING_DIRECTORIES": dir.deletingLastPathComponent().path],
                                    directory: dir)
        #expect(result.status == 64)
        #expect(result.stderr.contains("no git repository contains"))
        #expect(result.stderr.contains("--tree DIR"))
    }
}

/// Issue 19, "damage only where there is damage": a file indented with spaces in the tree itself
/// looks, in the mail alone, like tabs expanded by a mailer. With the tree at hand the hunk
/// applies exactly as sent, and the warning is withdrawn; without it, it stays.
struct WhitespaceConfirmedByTheTreeTests {
    @Test func spacesTheTreeHasAreNotDamage() throws {
        let repo = try ScratchRepository("spaces")
        defer { repo.remove() }
        let before = "int demo(int x)\n{\n    int y = x;\n\n    return y;\n}\n"
        try repo.commit(["lib/demo.c": before], "base")
        try repo.commit(["lib/demo.c": before.replacingOccurrences(of: "    return y;", with: "    return y + 1;")], "lib: demo returns one more")
        let mail = try repo.git(["format-patch", "-1", "--stdout"]) + "\n"
        try repo.git(["reset", "-q", "--hard", "HEAD~1"])
        let outside = TestScratch.root.appendingPathComponent("spw-notree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        func warnings(_ arguments: [String]) throws -> [String] {
            let result = try Binary.run(["review", "-", "--format", "json"] + arguments, stdin: Data(mail.utf8),
                                        environment: ["GIT_CEILING_DIRECTORIES": outside.deletingLastPathComponent().path],
                                        directory: outside)
            let diagnostics = result.json["diagnostics"] as? [[String: Any]] ?? []
            return diagnostics.compactMap { $0["code"] as? String }.filter { $0 == "mail/whitespace-damage" }
        }
        #expect(try warnings(["--tree", repo.path]).isEmpty)
        #expect(try warnings([]).count == 1)  // the mail alone: the guess stands, as a warning
    }

    /// A new file has no lines the tree could confirm: its guess stands, tree or not.
    @Test func aNewFileIsNotConfirmedByAnything() throws {
        let repo = try ScratchRepository("newfile")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["lib/new.c": "int demo(int x)\n{\n    return x;\n}\n"], "lib: add new.c")
        let mail = try repo.git(["format-patch", "-1", "--stdout"]) + "\n"
        try repo.git(["reset", "-q", "--hard", "HEAD~1"])
        let result = try Binary.run(["review", "-", "--tree", repo.path, "--format", "json"], stdin: Data(mail.utf8))
        let codes = (result.json["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.filter { $0 == "mail/whitespace-damage" }.count == 1)
    }
}

/// Issue 14: `check --fail-on warning`, as `review` has it: a commit that only draws a warning
/// passes by default and fails when warnings are asked to.
struct CheckFailOnTests {
    @Test func warningsFailOnlyWhenAsked() throws {
        let repo = try ScratchRepository("failon")
        defer { repo.remove() }
        let helper = "void demo_settle(struct page *page)\n{\n\tlock_page(page);\n\twait_on_page_writeback(page);\n\tunlock_page(page);\n}\n"
        try repo.commit(["lib/settle.c": helper], "lib: settle pages")
        try repo.commit(["lib/settle.c": helper.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "")],
                        "lib: settle without waiting")
        let plain = try Binary.run(["check", "HEAD~1..HEAD", "--tree", repo.path, "--format", "json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let codes = (plain.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(codes.contains("stable-pages/wait-removed"))
        let strict = try Binary.run(["check", "HEAD~1..HEAD", "--tree", repo.path, "--format", "json", "--fail-on", "warning"])
        #expect(strict.status == 1)
    }
}

/// Issue 14: `hook install` writes where git will run the hooks, `core.hooksPath` included.
struct HookInstallPathTests {
    @Test func coreHooksPathIsFollowed() throws {
        let repo = try ScratchRepository("hookspath")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["lib/x.c": "int x;\n"], "lib: add x.c")
        try repo.git(["config", "core.hooksPath", ".githooks"])
        let install = try Binary.run(["hook", "install", "--tree", repo.path])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: repo.path + "/.githooks/pre-push"))
        #expect(FileManager.default.isExecutableFile(atPath: repo.path + "/.githooks/sendemail-validate"))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.git/hooks/pre-push"))
        // git itself runs it from there: a push with the hook in place reaches spw-review.
        let remote = repo.path + "-remote.git"
        defer { try? FileManager.default.removeItem(atPath: remote) }
        try repo.git(["init", "-q", "--bare", remote])
        let push = try ProcessRunner.run(["git", "push", remote, "HEAD:refs/heads/master"], in: URL(fileURLWithPath: repo.path),
                                         isolateGitConfig: true)
        #expect(push.status == 0, "\(push.stderr)")
        // The hook ran from .githooks: remove it and a push that it would stop goes through.
        try repo.commit(["lib/y.c": "int y;\n"], "lib: add y.c")
        try FileManager.default.removeItem(atPath: repo.path + "/.githooks/pre-push")
        try "#!/bin/sh\necho hook-from-githooks >&2\nexit 1\n".write(toFile: repo.path + "/.githooks/pre-push", atomically: true, encoding: .utf8)
        chmod(repo.path + "/.githooks/pre-push", 0o755)
        let stopped = try ProcessRunner.run(["git", "push", remote, "HEAD:refs/heads/master"], in: URL(fileURLWithPath: repo.path),
                                            isolateGitConfig: true)
        #expect(stopped.status != 0 && stopped.stderr.contains("hook-from-githooks"))
    }
}

/// Issue 14: hooks that follow git — chained over existing hooks, removable, and the
/// two-argument `sendemail-validate` newer git calls.
struct HookChainTests {
    @Test func installForceChainsAndUninstallRestores() throws {
        let repo = try ScratchRepository("chain")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["lib/x.c": "int x;\n"], "lib: add x.c")
        let hooks = repo.path + "/.git/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        let own = "#!/bin/sh\necho \"own pre-push: $(cat | wc -l) ref line(s)\" >&2\nexit 0\n"
        try own.write(toFile: hooks + "/pre-push", atomically: true, encoding: .utf8)
        chmod(hooks + "/pre-push", 0o755)
        #expect(try Binary.run(["hook", "install", "--tree", repo.path]).status == 1, "an existing hook is not replaced without --force")
        let install = try Binary.run(["hook", "install", "--tree", repo.path, "--force"])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(FileManager.default.fileExists(atPath: hooks + "/pre-push.spw-review-chained"))

        let remote = repo.path + "-remote.git"
        defer { try? FileManager.default.removeItem(atPath: remote) }
        try repo.git(["init", "-q", "--bare", remote])
        let push = try ProcessRunner.run(["git", "push", remote, "HEAD:refs/heads/master"], in: URL(fileURLWithPath: repo.path),
                                         isolateGitConfig: true)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("own pre-push: 1 ref line(s)"), "the chained hook ran first, with git's input: \(push.stderr)")
        #expect(push.stderr.contains("new commit(s)"), "then spw-review: \(push.stderr)")

        let uninstall = try Binary.run(["hook", "uninstall", "--tree", repo.path])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(try String(contentsOfFile: hooks + "/pre-push", encoding: .utf8) == own, "the developer's hook is back")
        #expect(!FileManager.default.fileExists(atPath: hooks + "/sendemail-validate"))
        #expect(!FileManager.default.fileExists(atPath: hooks + "/pre-push.spw-review-chained"))
    }

    @Test func sendemailValidateTakesGitsSecondArgument() throws {
        let repo = try ScratchRepository("sendemail")
        defer { repo.remove() }
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["lib/x.c": "int x;\n"], "lib: add x.c")
        let headers = repo.path + "/smtp-headers"
        try "To: someone@example.org\n".write(toFile: headers, atomically: true, encoding: .utf8)
        let patch = try repo.git(["format-patch", "-1", "-o", repo.path + "/out"])
        let direct = try Binary.run(["hook", "sendemail-validate", patch, headers])
        #expect(direct.status == 0, "\(direct.stderr)")
        // And as git runs it.
        #expect(try Binary.run(["hook", "install", "--tree", repo.path, "--only", "sendemail-validate"]).status == 0)
        let send = try ProcessRunner.run(["git", "send-email", "--dry-run", "--validate", "--confirm=never", "--suppress-cc=all",
                                          "--from", "A <a@example.org>", "--to", "b@example.org", patch],
                                         in: URL(fileURLWithPath: repo.path),
                                         environment: ["GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org",
                                                       "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org"],
                                         isolateGitConfig: true)
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stdoutText.contains("Dry-OK"), "\(send.stdoutText)")
    }
}

/// Issue 14's bad input for `check`: each a clear error or a clear result, nothing changed.
struct CheckBadInputTests {
    static func repository() throws -> ScratchRepository {
        let repo = try ScratchRepository("checkbad")
        try repo.commit(["README": "top\n"], "base")
        try repo.commit(["lib/x.c": "int x;\n"], "lib: add x.c")
        return repo
    }

    @Test func aRangeThatDoesNotResolveIsAUsageError() throws {
        let repo = try Self.repository()
        defer { repo.remove() }
        let result = try Binary.run(["check", "nosuch..HEAD", "--tree", repo.path])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("nosuch..HEAD: error: not a range of commits in "), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage:"))
    }

    @Test func aShallowCloneSaysWhyTheHistoryIsMissing() throws {
        let repo = try Self.repository()
        defer { repo.remove() }
        let shallow = repo.path + "-shallow"
        defer { try? FileManager.default.removeItem(atPath: shallow) }
        try #require(try ProcessRunner.run(["git", "clone", "-q", "--depth", "1", "file://" + repo.path, shallow]).status == 0)
        let result = try Binary.run(["check", "HEAD~1..HEAD", "--tree", shallow])
        #expect(result.status == 64)
        #expect(result.stderr.contains("shallow clone: `git fetch --unshallow`"), "\(result.stderr)")
    }

    @Test func aBareRepositoryAndADetachedHeadAreChecked() throws {
        let repo = try Self.repository()
        defer { repo.remove() }
        let bare = repo.path + "-bare.git"
        defer { try? FileManager.default.removeItem(atPath: bare) }
        try #require(try ProcessRunner.run(["git", "clone", "-q", "--bare", repo.path, bare]).status == 0)
        let onBare = try Binary.run(["check", "HEAD~1..HEAD", "--tree", bare, "--format", "json"])
        #expect(onBare.status == 0, "\(onBare.stderr)")
        #expect(((onBare.json["series"] as? [String: Any])?["patches"] as? [Any])?.count == 1)
        try repo.git(["checkout", "-q", "--detach", "HEAD"])
        let before = try repo.git(["rev-parse", "HEAD"])
        let detached = try Binary.run(["check", "--tree", repo.path])
        #expect(detached.status == 0, "\(detached.stderr)")
        #expect(detached.stderr.contains("checking 1 commit(s) in HEAD~1..HEAD"), "no upstream, no remote: the tip: \(detached.stderr)")
        #expect(try repo.git(["rev-parse", "HEAD"]) == before && (try repo.git(["status", "--porcelain"])).isEmpty)
    }
}

/// Issue 14's acceptance on the fixture kernel: a commit that deletes the wait inside the shared
/// helper (`block_page_mkwrite`) fails `check`, naming every handler it reopens, and the pre-push
/// hook refuses the push.
struct SharedHelperRegressionTests {
    @Test func checkAndPrePushStopAWaitDeletedInASharedHelper() throws {
        let repo = try CheckAndHookTests.repositoryWithSeries()
        let remote = TestScratch.root.appendingPathComponent("spw-remote-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: repo)
            try? FileManager.default.removeItem(atPath: remote)
        }
        let file = repo + "/fs/buffer.c"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        // The wait the series' patch 2 put into block_page_mkwrite (after its lock_page).
        let start = try #require(text.range(of: "block_page_mkwrite(struct vm_area_struct *vma"))
        let wait = try #require(text.range(of: "\t\twait_on_page_writeback(page);\n", range: start.upperBound..<text.endIndex))
        try text.replacingCharacters(in: wait, with: "").write(toFile: file, atomically: true, encoding: .utf8)
        try #require(try CheckAndHookTests.git(["commit", "-qam", "fs: drop the wait from block_page_mkwrite\n\nSigned-off-by: T <t@example.org>"], in: repo) == 0)

        let check = try Binary.run(["check", "HEAD~1..HEAD", "--tree", repo, "--format", "json"])
        #expect(check.status == 1, "\(check.stderr)")
        let introduced = (check.json["findings"] as? [[String: Any]] ?? []).filter { $0["introducedBy"] as? Int == 1 }
        let functions = Set(introduced.compactMap { $0["function"] as? String })
        #expect(functions.contains("xfs_vm_page_mkwrite") || introduced.contains { ($0["affected"] as? [Any])?.isEmpty == false },
                "every handler the helper reopens is named: \(functions)")
        let text2 = try Binary.run(["check", "HEAD~1..HEAD", "--tree", repo])
        #expect(text2.stdout.contains("block_page_mkwrite"), "\(text2.stdout)")

        #expect(try Binary.run(["hook", "install", "--tree", repo, "--only", "pre-push"]).status == 0)
        try #require(try CheckAndHookTests.git(["init", "-q", "--bare", remote], in: repo) == 0)
        #expect(try CheckAndHookTests.git(["push", "-q", remote, "HEAD~1:refs/heads/master"], in: repo) == 0)
        #expect(try CheckAndHookTests.git(["push", "-q", remote, "HEAD:refs/heads/master"], in: repo) != 0, "the push is refused")
    }
}

/// Issue 14: `sendemail-validate` reviews the whole series once git hands it the last mail, with
/// the git that numbers its files and with the one (2.39) that does not.
struct SendemailWholeSeriesTests {
    static func series() throws -> (ScratchRepository, [String]) {
        let repo = try ScratchRepository("sendemail-series")
        try repo.commit(["README": "top\n"], "base")
        for n in 1...3 { try repo.commit(["lib/x\(n).c": "int x\(n);\n"], "lib: add x\(n).c") }
        let out = try repo.git(["format-patch", "-3", "-o", repo.path + "/out"])
        return (repo, out.split(separator: "\n").map(String.init))
    }

    @Test func gitSendEmailHasTheSeriesReviewedAtTheLastMail() throws {
        let (repo, patches) = try Self.series()
        defer { repo.remove() }
        #expect(patches.count == 3)
        #expect(try Binary.run(["hook", "install", "--tree", repo.path, "--only", "sendemail-validate"]).status == 0)
        let send = try ProcessRunner.run(["git", "send-email", "--dry-run", "--validate", "--confirm=never", "--suppress-cc=all",
                                          "--from", "A <a@example.org>", "--to", "b@example.org"] + patches,
                                         in: URL(fileURLWithPath: repo.path),
                                         environment: ["GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org",
                                                       "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org"],
                                         isolateGitConfig: true)
        #expect(send.status == 0, "\(send.stderr)")
        let announced = send.stderr.components(separatedBy: "the whole series (3 mails)").count - 1
        #expect(announced == 1, "once, at 3/3: \(send.stderr)")
    }

    /// Newer git sets GIT_SENDEMAIL_FILE_COUNTER/TOTAL: the hook keeps the paths between its runs
    /// and reviews them together at the last; nothing is left behind.
    @Test func numberedFilesAreGatheredAcrossRuns() throws {
        let (repo, patches) = try Self.series()
        defer { repo.remove() }
        // Moved apart, so the neighbours of the last one are not what finds the series.
        var scattered: [String] = []
        for (i, p) in patches.enumerated() {
            let dir = repo.path + "/sent-\(i)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let moved = dir + "/" + (p as NSString).lastPathComponent
            try FileManager.default.moveItem(atPath: p, toPath: moved)
            scattered.append(moved)
        }
        let environment = ["GIT_DIR": repo.path + "/.git", "GIT_SENDEMAIL_FILE_TOTAL": "3"]
        var stderr = ""
        for (i, p) in scattered.enumerated() {
            let run = try Binary.run(["hook", "sendemail-validate", p],
                                     environment: environment.merging(["GIT_SENDEMAIL_FILE_COUNTER": "\(i + 1)"]) { a, _ in a },
                                     directory: URL(fileURLWithPath: repo.path))
            #expect(run.status == 0, "\(run.stderr)")
            stderr += run.stderr
        }
        #expect(stderr.components(separatedBy: "the whole series (3 mails)").count - 1 == 1, "\(stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("spw-review-sendemail-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
