import Foundation
import TestSupport
import Testing
@testable import StablePages

enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let kernel = root.appendingPathComponent("fixtures/kernel").path
    static let formatPatches = root.appendingPathComponent("fixtures/series/format-patch").path
}

/// Runs `git` for test setup.
@discardableResult
func git(_ arguments: [String], in directory: String) throws -> Int32 {
    try ProcessRunner.git(arguments, in: directory)
}

/// T0..T3: the fixture kernel, then after each clean patch of the seed series (applied by git).
func fixtureTrees() throws -> [DirectoryTree] {
    let base = TestScratch.root.appendingPathComponent("spw-sp-\(UUID().uuidString)").path
    var trees: [DirectoryTree] = []
    let patches = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.formatPatches)
        .filter { $0.hasSuffix(".patch") && !$0.hasPrefix("0000") }.sorted()
    for k in 0...patches.count {
        let dir = "\(base)/T\(k)"
        try FileManager.default.createDirectory(atPath: (dir as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FixturePaths.kernel, toPath: dir)
        for patch in patches.prefix(k) {
            let status = try git(["apply", "\(FixturePaths.formatPatches)/\(patch)"], in: dir)
            try #require(status == 0, "git apply \(patch) failed")
        }
        trees.append(DirectoryTree(root: dir, name: "T\(k)"))
    }
    return trees
}

struct FixtureKernelTests {
    @Test func baseTreeFindings() throws {
        let result = StablePageEngine().analyze(DirectoryTree(root: FixturePaths.kernel))
        let summary = Set(result.findings.map { "\($0.rule.replacingOccurrences(of: "stable-pages/", with: "")) \($0.function)" })
        print(result.findings.map { "\($0.file):\($0.line): \($0.rule) \($0.message)\n" + $0.path.map { "    \($0.file):\($0.line) \($0.note)" }.joined(separator: "\n") }.joined(separator: "\n"))
        #expect(summary.contains("mkwrite-without-wait xfs_vm_page_mkwrite"))
        #expect(summary.contains("mkwrite-without-wait nilfs_page_mkwrite"))
        #expect(summary.contains("mkwrite-without-wait ext4_page_mkwrite"))
        #expect(summary.contains("mmap-without-mkwrite ext2_file_operations"))
        #expect(summary.contains("mmap-without-mkwrite fat_file_operations"))
        #expect(summary.contains("write-begin-without-wait ext4_write_begin"))
        #expect(summary.contains("write-begin-without-wait xfs_vm_write_begin"))
        #expect(summary.contains("write-begin-without-wait ext2_write_begin"))
        #expect(!summary.contains { $0.contains("btrfs") }, "btrfs waits on its own")
        #expect(!summary.contains { $0.contains("fb_deferred_io") }, "deferred I/O pages see no writeback")
    }

    @Test func eachPatchResolvesWhatTheCoverLetterSays() throws {
        let trees = try fixtureTrees()
        let findings = StablePageEngine().review(trees: trees, series: nil)
        func finding(_ rule: String, _ function: String) -> Finding? {
            findings.first { $0.rule == "stable-pages/\(rule)" && $0.function == function }
        }
        for f in ["ext4_write_begin", "xfs_vm_write_begin", "ext2_write_begin"] {
            #expect(finding("write-begin-without-wait", f)?.resolvedBy == 1, "\(f)")
        }
        #expect(finding("mkwrite-without-wait", "xfs_vm_page_mkwrite")?.resolvedBy == 2)
        #expect(finding("mkwrite-without-wait", "nilfs_page_mkwrite")?.resolvedBy == 2)
        #expect(finding("mkwrite-without-wait", "xfs_vm_page_mkwrite")?.presentIn == [0, 1])
        for fops in ["ext2_file_operations", "fat_file_operations"] {
            #expect(finding("mmap-without-mkwrite", fops)?.resolvedBy == 3, "\(fops)")
            #expect(finding("mmap-without-mkwrite", fops)?.cause == "generic_file_vm_ops", "\(fops)")
        }
        let ext4 = finding("mkwrite-without-wait", "ext4_page_mkwrite")
        #expect(ext4?.presentIn == [0, 1, 2, 3] && ext4?.resolvedBy == nil, "the series leaves ext4's fast path alone")
        #expect(!findings.contains { $0.function.contains("btrfs") })
        #expect(!findings.contains { $0.introducedBy != nil && $0.rule != "stable-pages/wait-removed" }, "the series introduces nothing")
    }
}
