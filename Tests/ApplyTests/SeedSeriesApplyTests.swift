import Foundation
import Testing
import Series
@testable import Apply

/// Issue 3's acceptance on the seed series: the clean mbox and the pasted 2011 thread apply to
/// the fixture kernel and give the same trees.
@Suite(.serialized) struct SeedSeriesApplyTests {
    @Test func cleanMboxAppliesWithVerifiedPostimages() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let series = try readSeries([TestPaths.cleanMbox])
        let result = try SeriesApplier.apply(series, repositoryPath: repo.path)
        #expect(result.base.how == .baseCommit)
        #expect(result.base.commit == TestPaths.fixtureBase)
        #expect(result.base.matchedBlobs == 2)
        #expect(result.base.totalBlobs == 2)
        #expect(result.patches.map(\.status) == [.applied, .applied, .applied])
        #expect(result.patches.map(\.postimageVerified) == [true, true, true])
        // Each Tk is the tree of the commit git am made from the same patch.
        let expectedTrees = try TestPaths.cleanCommits.map { try expectedTree(afterCommit: $0, repo: repo) }
        #expect(result.patches.map(\.tree) == expectedTrees)
        #expect(result.trees.count == 4)
        #expect(result.resultTree == expectedTrees.last)
    }

    @Test func pastedThreadIsRepairedToTheSameTrees() throws {
        let repo = try fixtureRepository()
        defer { removeRepository(repo) }
        let clean = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path)
        let pasted = try SeriesApplier.apply(try readSeries([TestPaths.seedThread]), repositoryPath: repo.path)
        #expect(pasted.base.how == .head)
        #expect(pasted.diagnostics.contains { $0.code == "apply/base-head" })
        #expect(pasted.patches.map(\.status) == [.repaired, .repaired, .repaired])
        for patch in pasted.patches {
            #expect(patch.hunks.allSatisfy { $0.status == .repaired }, "\(patch.hunks)")
        }
        // The 2011 index ids name blobs not in the fixture: nothing to verify against.
        #expect(pasted.patches.map(\.postimageVerified) == [nil, nil, nil])
        #expect(pasted.patches.map(\.tree) == clean.patches.map(\.tree))
        #expect(pasted.resultTree == clean.resultTree)
        if pasted.resultTree != clean.resultTree {
            _ = try SeriesApplier.apply(try readSeries([TestPaths.cleanMbox]), repositoryPath: repo.path,
                                        configuration: ApplyConfiguration(applyToBranch: "clean"))
            _ = try SeriesApplier.apply(try readSeries([TestPaths.seedThread]), repositoryPath: repo.path,
                                        configuration: ApplyConfiguration(applyToBranch: "pasted"))
            print(try run(["git", "diff", "clean", "pasted"], in: repo).stdout)
        }
    }
}

/// The tree `git am` gives for one of the clean series' commits, rebuilt in `repo` by applying
/// the format-patch files with git (so the test does not trust our applier).
func expectedTree(afterCommit commit: String, repo: URL) throws -> String {
    let index = TestPaths.cleanCommits.firstIndex(of: commit)!
    let scratch = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    try git(scratch, "clone", "-q", repo.path, "work")
    let work = scratch.appendingPathComponent("work")
    let patches = try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixtures.appendingPathComponent("series/format-patch").path)
        .filter { !$0.hasPrefix("0000") }.sorted()
    for name in patches.prefix(index + 1) {
        try git(work, "apply", "--index", TestPaths.fixtures.appendingPathComponent("series/format-patch/\(name)").path)
    }
    return try git(work, "write-tree")
}

func showDifference(repo: URL, _ a: String, _ b: String) throws {
    let diff = try run(["git", "diff", a, b], in: repo)
    print(diff.stdout)
}
