import Foundation
import Testing
@testable import Git

struct RepositoryTests {
    @Test func opensTheFixtureAndReadsItsHead() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let repo = try Repository(path: dir.path)
        let head = try #require(try repo.headCommit())
        #expect(head.hex == TestPaths.fixtureBase)
        #expect(try repo.headBranch() == "master")
        let commit = try repo.commit(head)
        #expect(commit.treeID.hex == "c5c1b1bb26d6b5f60a708d0209e607da468e7c67")
        #expect(commit.summary == "Fixture kernel: a miniature 2.6.39-era tree")
        #expect(commit.author.name == "Fixture Kernel")
        #expect(commit.author.time == 1305777994)
        #expect(commit.author.offsetMinutes == -7 * 60)
        #expect(commit.firstParentID == nil)
        #expect(try repo.resolveCommit("HEAD") == head)
        #expect(try repo.resolveCommit("master") == head)
        #expect(repo.workingDirectory == dir.path + "/")
    }

    /// The paths two trees differ in, as `git diff --name-status --no-renames` lists them:
    /// an edit, an added and a removed file, a mode change, a directory removed whole and a
    /// file that became a directory.
    @Test func changedPathsAreGitDiffsNames() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let before = try run(["git", "rev-parse", "HEAD^{tree}"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "edited\n".write(to: dir.appendingPathComponent("mm/filemap.c"), atomically: true, encoding: .utf8)
        try "new\n".write(to: dir.appendingPathComponent("fs/new.c"), atomically: true, encoding: .utf8)
        try run(["git", "rm", "-q", "-r", "fs/ext2"], in: dir)
        try run(["git", "rm", "-q", "fs/libfs.c"], in: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("fs/libfs.c"), withIntermediateDirectories: true)
        try "inside\n".write(to: dir.appendingPathComponent("fs/libfs.c/x.c"), atomically: true, encoding: .utf8)
        try run(["git", "update-index", "--chmod=+x", "fs/buffer.c"], in: dir)
        try run(["git", "add", "-A", "."], in: dir)
        let after = try run(["git", "write-tree"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = Set(try run(["git", "diff", "--name-only", "--no-renames", before, after], in: dir).stdout
            .split(separator: "\n").map(String.init))
        let repo = try Repository(path: dir.path)
        let changed = try repo.changedPaths(from: try #require(ObjectID(hex: before)), to: try #require(ObjectID(hex: after)))
        #expect(changed == expected)
        #expect(changed.contains("fs/libfs.c") && changed.contains("fs/libfs.c/x.c") && changed.contains("fs/buffer.c"))
        #expect(try repo.changedPaths(from: try #require(ObjectID(hex: after)), to: try #require(ObjectID(hex: after))).isEmpty)
    }

    @Test func looksUpAbbreviatedIds() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let repo = try Repository(path: dir.path)
        let tree = try repo.tree(try repo.commit(try repo.resolveCommit("HEAD")).treeID)
        let entry = try #require(try tree.entry(path: "mm/filemap.c"))
        #expect(entry.mode == .regular)
        let found = try #require(try repo.lookup(abbreviation: String(entry.id.hex.prefix(7))))
        #expect(found.id == entry.id)
        #expect(found.kind == .blob)
        #expect(try repo.lookup(abbreviation: "c641edf") == nil) // the 2011 kernel's blob
        #expect(try repo.lookup(abbreviation: "not-hex") == nil)
        #expect(try tree.entry(path: "mm/nonexistent.c") == nil)
        let cache = TreePathCache(repository: repo)
        #expect(try cache.entry(path: "mm/filemap.c", inTree: tree.id) == entry)
        #expect(try cache.entry(path: "mm/filemap.c", inTree: tree.id) == entry)
        #expect(cache.treesRead == 2) // the root and `mm`, each opened once
        #expect(try cache.entries(paths: ["mm/filemap.c", "fs/buffer.c", "nope"], inTree: tree.id).map { $0?.name } == ["filemap.c", "buffer.c", nil])
        #expect(try cache.entry(path: "mm/filemap.c/x", inTree: tree.id) == nil)
    }

    @Test func errorsNameTheCallAndLibgit2sMessage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(throws: GitError.self) { try Repository(path: dir.path) }
        #expect(error.call.hasPrefix("git_repository_open_ext"))
        #expect(error.isNotFound)
        #expect(error.description.contains("could not find repository"))
        #expect(Repository.discover(from: dir.path) == nil)
        let fixture = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: fixture.deletingLastPathComponent()) }
        let repo = try Repository(path: fixture.appendingPathComponent("mm").path)
        let bad = try #require(throws: GitError.self) { try repo.resolveCommit("no-such-rev") }
        #expect(bad.call == "git_revparse_single(no-such-rev)")
        #expect(Repository.discover(from: fixture.appendingPathComponent("fs/ext4").path) == fixture.path + "/.git/")
    }

    @Test func inMemoryWritesLeaveTheRepositoryUntouched() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let before = try snapshot(dir)
        let base: ObjectID
        let newTree: ObjectID
        let blob: ObjectID
        do {
            let repo = try Repository(path: dir.path, inMemoryWrites: true)
            #expect(repo.writesInMemory)
            base = try repo.commit(try #require(try repo.headCommit())).treeID
            blob = try repo.writeBlob(Array("hello\n".utf8))
            #expect(blob.hex == "ce013625030ba8dba906f756967f9e9ca394464a")
            #expect(repo.contains(blob))
            #expect(try repo.blobContent(blob) == Array("hello\n".utf8))
            newTree = try repo.updateTree(base, [
                .upsert(path: "new/dir/hello.txt", id: blob, mode: .executable),
                .remove(path: "mm/filemap.c"),
            ])
            let tree = try repo.tree(newTree)
            #expect(try tree.entry(path: "new/dir/hello.txt")?.mode == .executable)
            #expect(try tree.entry(path: "mm/filemap.c") == nil)
            #expect(try tree.entry(path: "fs/buffer.c") != nil)
            let me = Signature(name: "A U Thor", email: "a@example.org", time: 1_300_000_000, offsetMinutes: 60)
            let commit = try repo.createCommit(tree: newTree, parents: [try #require(try repo.headCommit())],
                                               author: me, committer: me, message: "test\n")
            #expect(try repo.commit(commit).parentIDs.count == 1)
            #expect(try repo.kind(of: commit) == .commit)
        }
        #expect(try snapshot(dir) == before)
        let reopened = try Repository(path: dir.path)
        #expect(!reopened.contains(blob))
        #expect(!reopened.contains(newTree))
        #expect(reopened.contains(base))
    }

    @Test func copiesObjectsAndCreatesBranchesWithoutForcing() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let memory = try Repository(path: dir.path, inMemoryWrites: true)
        let disk = try Repository(path: dir.path)
        let blob = try memory.writeBlob(Array("copied\n".utf8))
        #expect(!disk.contains(blob))
        try memory.copyObject(blob, to: disk)
        #expect(disk.contains(blob))
        let head = try #require(try disk.headCommit())
        #expect(try disk.branchExists("master"))
        #expect(try !disk.branchExists("topic"))
        try disk.createBranch("topic", at: head)
        #expect(try disk.branchExists("topic"))
        let again = try #require(throws: GitError.self) { try disk.createBranch("topic", at: head) }
        #expect(again.isExists)
        #expect(Repository.isValidBranchName("topic/x"))
        #expect(!Repository.isValidBranchName("bad..name"))
        #expect(try run(["git", "-C", dir.path, "rev-parse", "topic"]).stdout == TestPaths.fixtureBase + "\n")
    }

    @Test func mergesFilesThreeWays() throws {
        let dir = try fixtureRepository()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let repo = try Repository(path: dir.path)
        let base = Array("a\nb\nc\nd\ne\n".utf8)
        let ours = Array("A\nb\nc\nd\ne\n".utf8)
        let theirs = Array("a\nb\nc\nd\nE\n".utf8)
        let clean = try repo.mergeFile(ancestor: base, ours: ours, theirs: theirs, path: "f")
        #expect(clean.automergeable)
        #expect(clean.content == Array("A\nb\nc\nd\nE\n".utf8))
        let conflict = try repo.mergeFile(ancestor: base, ours: ours, theirs: Array("X\nb\nc\nd\ne\n".utf8), path: "f")
        #expect(!conflict.automergeable)
        #expect(String(decoding: conflict.content, as: UTF8.self).contains("<<<<<<< tree"))
    }

    @Test func objectIDsParseAndPrint() {
        let hex = "33479b705eae5fb1ad13124063cb8b78d157388f"
        let id = ObjectID(hex: hex)
        #expect(id?.hex == hex)
        #expect(id?.short == "33479b7")
        #expect(id?.matches(abbreviation: "33479B7") == true)
        #expect(id?.matches(abbreviation: "33479c") == false)
        #expect(ObjectID(hex: "33479b7") == nil)
        #expect(ObjectID.isHexAbbreviation("abcd"))
        #expect(!ObjectID.isHexAbbreviation("abc"))
    }
}

struct GitPatchParserTests {
    @Test func readsFilesAndHunkRanges() throws {
        let files = try GitPatchParser.parse("""
            diff --git a/mm/filemap.c b/mm/filemap.c
            index 1111111..2222222 100644
            --- a/mm/filemap.c
            +++ b/mm/filemap.c
            @@ -10,3 +10,4 @@ int f(void)
             {
            -\treturn 0;
            +\treturn 1;
            +\t/* more */
             }

            """)
        #expect(files == [ParsedPatchFile(oldPath: "mm/filemap.c", newPath: "mm/filemap.c",
                                          hunks: [ParsedHunkRange(oldStart: 10, oldCount: 3, newStart: 10, newCount: 4)])])
    }

    @Test func rejectsMailerDamage() {
        #expect(throws: GitError.self) {
            _ = try GitPatchParser.parse("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\ncontext without space\n-a\n+b\n")
        }
    }
}
