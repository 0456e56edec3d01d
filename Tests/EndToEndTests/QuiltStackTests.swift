import Foundation
import TestSupport
import Testing

/// Issue 13: a quilt directory is one ordered series, whatever its patches look like inside
/// (DEP-3 headers, git format-patch mails), and gives the tree real quilt gives.
struct QuiltStackTests {
    /// A repository at its base, and beside it a quilt stack of two patches made from two commits
    /// (a DEP-3 plain diff, then a `git format-patch` mail); the tree of the second commit.
    static func stack() throws -> (root: String, repo: String, patches: String, expected: String) {
        let root = TestScratch.root.appendingPathComponent("spw-quilt-\(UUID().uuidString)").path
        let repo = root + "/base", patches = root + "/patches"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: patches, withIntermediateDirectories: true)
        func git(_ arguments: [String], author: String = "A <a@example.org>") throws -> String {
            let name = String(author.prefix { $0 != "<" }).trimmingCharacters(in: .whitespaces)
            let email = String(author.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" })
            let out = try ProcessRunner.run(["git", "-c", "user.name=\(name)", "-c", "user.email=\(email)"] + arguments,
                                            in: URL(fileURLWithPath: repo), isolateGitConfig: true)
            try #require(out.status == 0, "git \(arguments): \(out.stderr)")
            return out.stdoutText
        }
        func write(_ text: String) throws { try text.write(toFile: repo + "/a.c", atomically: true, encoding: .utf8) }
        _ = try git(["init", "-q", "-b", "master"])
        try write("int a;\nint b;\nint c;\n")
        _ = try git(["add", "."]); _ = try git(["commit", "-qm", "base"])
        _ = try git(["checkout", "-q", "-b", "stack"])
        try write("int a;\nint b2;\nint c;\n")
        _ = try git(["commit", "-qam", "b2"])
        let dep3 = "Description: change b\n A longer explanation.\nAuthor: Deb Ian <debian@example.org>\nForwarded: not-needed\nLast-Update: 2026-12-01\n\n"
        try (dep3 + (try git(["diff", "HEAD~1"]))).write(toFile: patches + "/01-change-b.patch", atomically: true, encoding: .utf8)
        try write("int a;\nint b2;\nint c;\nint d;\n")
        _ = try git(["commit", "-qam", "add d\n\nSigned-off-by: G It <g@example.org>"], author: "G It <g@example.org>")
        try (try git(["format-patch", "-1", "--stdout"])).write(toFile: patches + "/02-add-d.patch", atomically: true, encoding: .utf8)
        let expected = try git(["rev-parse", "HEAD^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try git(["checkout", "-q", "master"])
        try "# the stack\n\n01-change-b.patch\n02-add-d.patch -p1\n".write(toFile: patches + "/series", atomically: true, encoding: .utf8)
        return (root, repo, patches, expected)
    }

    @Test func aStackIsOneSeriesAndGivesQuiltsTree() throws {
        let (root, repo, patches, expected) = try Self.stack()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let list = try Binary.run(["list", patches, "--format", "json"])
        let series = try #require(list.json["series"] as? [[String: Any]])
        #expect(series.count == 1 && series.first?["patches"] as? Int == 2, "\(list.stdout)")

        let ours = try Binary.run(["apply", patches, "--tree", repo, "--print-tree"])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)

        // Real quilt on a checkout of the base.
        let work = root + "/work"
        try #require(try ProcessRunner.run(["git", "clone", "-q", repo, work]).status == 0)
        let push = try ProcessRunner.run(["quilt", "push", "-a", "-q"], in: URL(fileURLWithPath: work),
                                         environment: ["QUILT_PATCHES": patches])
        #expect(push.status == 0, "\(push.stdoutText)\(push.stderr)")
        try FileManager.default.removeItem(atPath: work + "/.pc")
        try #require(try ProcessRunner.git(["add", "-A"], in: work) == 0)
        let quiltTree = try ProcessRunner.run(["git", "write-tree"], in: URL(fileURLWithPath: work)).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(quiltTree == expected)

        // git apply --cached, patch by patch, in the series' order.
        let index = root + "/index"
        let env = ["GIT_INDEX_FILE": index]
        try #require(try ProcessRunner.run(["git", "read-tree", "HEAD"], in: URL(fileURLWithPath: repo), environment: env).status == 0)
        for name in ["01-change-b.patch", "02-add-d.patch"] {
            let applied = try ProcessRunner.run(["git", "apply", "--cached", patches + "/" + name], in: URL(fileURLWithPath: repo), environment: env)
            #expect(applied.status == 0, "\(name): \(applied.stderr)")
        }
        let gitTree = try ProcessRunner.run(["git", "write-tree"], in: URL(fileURLWithPath: repo), environment: env).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(gitTree == expected)

        // DEP-3 and mail headers both read: titles and authors.
        let review = try Binary.run([patches, "--tree", repo, "--format", "json"])
        let read = ((review.json["series"] as? [String: Any])?["patches"] as? [[String: Any]]) ?? []
        #expect(read.compactMap { ($0["author"] as? [String: Any])?["email"] as? String } == ["debian@example.org", "g@example.org"])
        #expect(read.compactMap { $0["title"] as? String } == ["change b", "add d"], "\(read.map { $0.keys.sorted() })")
    }

    @Test func aMissingOrHostilePatchIsRefusedWithTheLine() throws {
        let (root, repo, patches, _) = try Self.stack()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "01-change-b.patch\ngone.patch\n02-add-d.patch\n".write(toFile: patches + "/series", atomically: true, encoding: .utf8)
        let missing = try Binary.run(["apply", patches, "--tree", repo])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("\(patches)/series:2: error: quilt series names a patch that is not there: 'gone.patch'"), "\(missing.stderr)")
        for hostile in ["../outside.patch", "/etc/passwd"] {
            try "01-change-b.patch\n\(hostile)\n".write(toFile: patches + "/series", atomically: true, encoding: .utf8)
            let refused = try Binary.run(["apply", patches, "--tree", repo])
            #expect(refused.status == 3)
            #expect(refused.stderr.contains("series:2: error: quilt series names a patch outside its directory"), "\(refused.stderr)")
        }
        #expect(try ProcessRunner.run(["git", "status", "--porcelain"], in: URL(fileURLWithPath: repo)).stdoutText.isEmpty)
    }
}
