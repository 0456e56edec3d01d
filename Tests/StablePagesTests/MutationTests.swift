import Foundation
import Testing
@testable import StablePages

/// Issue 12, item 5: mutants of the fixture kernel. Every mutant that breaks the stable-page
/// rule must be killed (a finding on the entry point it breaks); every rewrite that keeps the
/// meaning must stay clean. The fixture is the 2.6.39-style kernel after the seed series (T3),
/// where btrfs' and the generic helpers' paths are all correct.
struct MutationTests {
    struct Mutant: Sendable, CustomStringConvertible {
        var name: String
        var file: String
        var from: String
        var to: String
        /// The entry point that must be flagged, or nil for an equivalent rewrite.
        var killedOn: String?
        /// A second edit of the same file, made first (a swap is a removal and an insertion).
        var also: (from: String, to: String)? = nil
        var description: String { name }
    }

    static let btrfs = "fs/btrfs/inode.c"
    static let wait = "\t/* checksums are computed at submission: keep the page stable */\n\twait_on_page_writeback(page);\n"

    static let mutants: [Mutant] = [
        // Mutants that break the rule.
        Mutant(name: "delete the wait", file: btrfs, from: wait, to: "", killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "swap lock and wait", file: btrfs, from: "again:\n\tlock_page(page);\n",
               to: "again:\n\twait_on_page_writeback(page);\n\tlock_page(page);\n", killedOn: "btrfs_page_mkwrite",
               also: (from: wait, to: "")),
        Mutant(name: "early return before the wait", file: btrfs, from: wait,
               to: "\tif (start == 0)\n\t\treturn VM_FAULT_LOCKED;\n" + wait, killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "a failing path returns VM_FAULT_LOCKED", file: btrfs,
               from: "\tret = VM_FAULT_NOPAGE;\t/* make the VM retry the fault */\n",
               to: "\tret = VM_FAULT_LOCKED;\n", killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "wait on one branch only", file: btrfs, from: wait,
               to: "\tif (start > 4096)\n\t\twait_on_page_writeback(page);\n", killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "unlock after the wait and lock again", file: btrfs, from: wait,
               to: wait + "\tunlock_page(page);\n\tlock_page(page);\n", killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "return 0 instead of VM_FAULT_LOCKED", file: btrfs, from: "\tSetPageUptodate(page);\n\treturn VM_FAULT_LOCKED;\n",
               to: "\tSetPageUptodate(page);\n\tunlock_page(page);\n\treturn 0;\n", killedOn: "btrfs_page_mkwrite"),
        Mutant(name: "delete the wait patch 1 added to grab_cache_page_write_begin", file: "mm/filemap.c",
               from: "found:\n\twait_on_page_writeback(page);\n", to: "found:\n", killedOn: "ext2_write_begin"),
        Mutant(name: "delete the wait patch 2 added to block_page_mkwrite", file: "fs/buffer.c",
               from: "\t} else {\n\t\twait_on_page_writeback(page);\n", to: "\t} else {\n", killedOn: "xfs_vm_page_mkwrite"),
        // Rewrites that keep the meaning.
        Mutant(name: "wait only when under writeback", file: btrfs, from: wait,
               to: "\tif (PageWriteback(page))\n\t\twait_on_page_writeback(page);\n", killedOn: nil),
        Mutant(name: "wait twice", file: btrfs, from: wait, to: wait + "\twait_on_page_writeback(page);\n", killedOn: nil),
        Mutant(name: "wait through a helper of the file's own", file: btrfs, from: wait,
               to: "\tbtrfs_settle_page(page);\n", killedOn: nil),
        Mutant(name: "wait, drop the lock, lock and wait again", file: btrfs, from: wait,
               to: wait + "\tunlock_page(page);\n\tlock_page(page);\n\twait_on_page_writeback(page);\n", killedOn: nil),
        Mutant(name: "the locked return through a variable", file: btrfs, from: "\tSetPageUptodate(page);\n\treturn VM_FAULT_LOCKED;\n",
               to: "\tSetPageUptodate(page);\n\tret = VM_FAULT_LOCKED;\n\treturn ret;\n", killedOn: nil),
        Mutant(name: "a retry loop around the lookup", file: btrfs, from: "again:\n\tlock_page(page);\n",
               to: "again:\n\tlock_page(page);\n\tif (!PageUptodate(page)) {\n\t\tunlock_page(page);\n\t\tgoto again;\n\t}\n", killedOn: nil),
    ]

    /// The helper the "own helper" rewrite calls, appended to btrfs' file.
    static let helper = "\nstatic void btrfs_settle_page(struct page *page)\n{\n\twait_on_page_writeback(page);\n}\n"

    @Test(arguments: mutants)
    func mutant(_ m: Mutant) throws {
        let trees = try fixtureTrees()
        let t3 = trees[trees.count - 1]
        var files: [String: [UInt8]] = [:]
        for path in t3.cFiles() + t3.headerFiles() { files[path] = t3.contents(of: path) }
        let original = try #require(files[m.file].map { String(decoding: $0, as: UTF8.self) })
        #expect(original.contains(m.from), "the mutation's anchor is gone from \(m.file)")
        var mutated = original
        if let also = m.also {
            #expect(mutated.contains(also.from))
            mutated = mutated.replacingOccurrences(of: also.from, with: also.to)
        }
        mutated = mutated.replacingOccurrences(of: m.from, with: m.to)
        if m.to.contains("btrfs_settle_page") { mutated = mutated.replacingOccurrences(of: "int btrfs_page_mkwrite(", with: Self.helper + "\nint btrfs_page_mkwrite(") }
        let before = StablePageEngine().analyze(MemoryTree(name: "T3", files: files, kernelVersion: KernelVersion(2, 6, 39)))
        files[m.file] = Array(mutated.utf8)
        let after = StablePageEngine().analyze(MemoryTree(name: "mutant", files: files, kernelVersion: KernelVersion(2, 6, 39)))
        let new = Set(after.findings.map { "\($0.rule) \($0.function)" }).subtracting(before.findings.map { "\($0.rule) \($0.function)" })
        if let target = m.killedOn {
            #expect(new.contains { $0.hasSuffix(" " + target) }, "\(m.name): not killed; new findings: \(new.sorted())")
        } else {
            #expect(new.isEmpty, "\(m.name): an equivalent rewrite was flagged: \(new.sorted())")
        }
    }
}
