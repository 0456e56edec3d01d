import Testing
import CSyntax
@testable import StablePages

/// T(k) read from T(k-1) (`StablePageEngine.following`) must be exactly the program a full read
/// of T(k) gives: the same files in the same order, the changed ones parsed again. Each case
/// says which way it must go: derived from the earlier read, or read in full because the
/// change alters what is read.
struct FollowingReadTests {
    static let handler = """
        #include <linux/mm.h>

        /* The demo filesystem's fault handlers. */
        static vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
        {
        \tstruct page *page = vmf->page;

        \tlock_page(page);
        \twait_on_page_writeback(page);
        \tdemo_prepare(page);
        \treturn VM_FAULT_LOCKED;
        }

        static const struct vm_operations_struct demo_vm_ops = {
        \t.fault = filemap_fault,
        \t.page_mkwrite = demo_page_mkwrite,
        };
        """

    /// A small tree: the handler, the helper it calls (found in the first callee round), the
    /// helper's own callee (the second round), the wait (a definition the model also describes),
    /// and a file nothing needs until a patch calls it.
    static func tree(_ name: String, handler: String = handler) -> MemoryTree {
        let files: [String: String] = [
            "fs/demo/file.c": handler,
            "fs/demo/prepare.c": "#include <linux/mm.h>\n\nvoid demo_prepare(struct page *page)\n{\n\tdemo_zero(page);\n}\n",
            "lib/demo_zero.c": "void demo_zero(struct page *page)\n{\n\tclear_highpage(page);\n}\n",
            "lib/demo_other.c": "void demo_other(struct page *page)\n{\n\tclear_highpage(page);\n}\n",
            "mm/page-writeback.c": "void wait_on_page_writeback(struct page *page)\n{\n\tfolio_wait_writeback(page_folio(page));\n}\n",
            "include/linux/mm.h": "struct page;\nstruct vm_fault;\n",
        ]
        var ids: [String: String] = [:]
        for (path, text) in files {
            var h: UInt64 = 0xcbf29ce484222325
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            ids[path] = String(h, radix: 16)
        }
        return MemoryTree(name: name, files: files.mapValues { Array($0.utf8) }, ids: ids)
    }

    enum Way { case derived, readInFull }

    @Test(arguments: [
        // A comment: nothing read changes.
        ("a comment", handler.replacingOccurrences(of: "fault handlers", with: "fault handler, reworded"), Way.derived),
        // The wait removed: the call graph changes, but every round looks for the same names.
        ("the wait removed", handler.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: ""), .derived),
        // A new helper called: the first round looks for another name, in another file.
        ("another helper", handler.replacingOccurrences(of: "demo_prepare(page)", with: "demo_other(page)"), .readInFull),
        // Another include: other headers in view.
        ("an include", handler.replacingOccurrences(of: "#include <linux/mm.h>", with: "#include <linux/mm.h>\n#include <linux/pagemap.h>"), .readInFull),
    ] as [(String, String, Way)])
    func aLaterTreeIsReadAsAFullReadWould(_ what: String, _ changed: String, _ way: Way) throws {
        let engine = StablePageEngine()
        let cache = ParseCache()
        let t0 = Self.tree("T0"), t1 = Self.tree("T1", handler: changed)
        let before = engine.read(t0, cache: cache, onlyPaths: [])
        #expect(before.program.files.map(\.path).contains("lib/demo_zero.c"), "the fixture must reach the second round")
        let full = engine.read(t1, cache: cache, onlyPaths: [])
        let derived = engine.following(before, in: t1, cache: cache, onlyPaths: [])
        switch way {
        case .derived:
            let derived = try #require(derived, "\(what): read in full, though nothing read changes")
            #expect(derived.program.files.map(\.path) == full.program.files.map(\.path), "\(what)")
            #expect(derived.fileKeys == full.fileKeys, "\(what)")
            #expect(derived.program.files.map { $0.functions.map(\.name) } == full.program.files.map { $0.functions.map(\.name) })
        case .readInFull:
            #expect(derived == nil, "\(what): derived, though the full read selects \(full.program.files.map(\.path))")
        }
        // And the review over both trees says what two fresh analyses say.
        let reviewed = engine.reviewTrees([t0, t1], series: nil, cache: ParseCache()).findings
        let fresh = engine.analyze(t1, cache: ParseCache()).findings
        #expect(Set(reviewed.filter { $0.presentIn.contains(1) }.map(\.key)) == Set(fresh.map(\.key)), "\(what)")
    }
}

/// A tree read before is read again from its record (`ReadRecords`): the same program, and
/// the same findings, as a fresh read; a record that no longer fits the tree is not used.
struct ReadRecordTests {
    @Test func aRecordedTreeReadsAsAFreshRead() throws {
        let engine = StablePageEngine()
        let t0 = FollowingReadTests.tree("T0")
        let tree = MemoryTreeWithIdentity(base: t0, identity: "tree-0")
        let records = ReadRecords()
        let first = engine.analyze(tree, cache: ParseCache(), onlyPaths: [], summaries: nil, after: nil, records: records)
        // Through the text kept between runs.
        let kept = ReadRecords()
        kept.load(Substring(records.export()))
        #expect(kept.export() == records.export())
        let key = try #require(StablePageEngine.recordKey(tree, prefixes: []))
        let record = try #require(kept.get(key))
        let again = try #require(engine.recorded(record, in: tree, cache: ParseCache(), onlyPaths: []))
        #expect(again.program.files.map(\.path) == first.read.program.files.map(\.path))
        #expect(again.rounds == first.read.rounds)
        #expect(again.includedHeaders == first.read.includedHeaders)
        let second = engine.analyze(tree, cache: ParseCache(), onlyPaths: [], summaries: nil, after: nil, records: kept)
        #expect(second.result.findings.map(\.key) == first.result.findings.map(\.key))
        #expect(second.result.findings.map(\.message) == first.result.findings.map(\.message))
        // A record naming a file the tree does not have is no read.
        var damaged = record
        damaged.files.append("fs/gone.c")
        #expect(engine.recorded(damaged, in: tree, cache: ParseCache(), onlyPaths: []) == nil)
    }

    /// A tree's result kept between runs answers that exact tree, with the same findings and
    /// exclusions; the tree after it is read from the kept record of the tree before.
    @Test func aKeptResultAnswersItsTree() throws {
        let engine = StablePageEngine()
        let t0 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T0"), identity: "tree-0")
        let changed = FollowingReadTests.handler.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "")
        let t1 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T1", handler: changed), identity: "tree-1")
        let results = TreeResultCache(), records = ReadRecords()
        let first = engine.reviewTrees([t0, t1], series: nil, cache: ParseCache(), results: results, records: records)
        #expect(first.analysed == [true, true])
        #expect(first.findings.contains { $0.introducedBy == 1 }, "the removed wait must show")
        // A later run: only T0 is known, from the text.
        let keptResults = TreeResultCache(), keptRecords = ReadRecords()
        keptResults.load(Substring(results.export().split(separator: "\n").filter { $0.hasPrefix("tree-0") }.joined(separator: "\n")))
        keptRecords.load(Substring(records.export()))
        let second = engine.reviewTrees([t0, t1], series: nil, cache: ParseCache(), results: keptResults, records: keptRecords)
        #expect(second.analysed == [false, true])
        #expect(second.findings.map(\.key) == first.findings.map(\.key))
        #expect(second.findings.map(\.introducedBy) == first.findings.map(\.introducedBy))
        #expect(second.findings.map(\.path) == first.findings.map(\.path))
    }

    /// A long series does not push its base out of what is kept: the next series starts there.
    @Test func aBaseOutlivesALongSeries() throws {
        let records = ReadRecords()
        let record = ReadRecords.Record(considered: 1, rounds: [], includedHeaders: [], files: ["fs/a.c"])
        records.put("base", record)
        records.protect("base")
        for k in 0..<100 { records.put("tree-\(k)", record) }
        let kept = records.export()
        #expect(kept.hasPrefix("base\t") || kept.contains("\nbase\t"))
        #expect(kept.split(separator: "\n").count == ReadRecords.kept)

        let engine = StablePageEngine()
        let tree = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T0"), identity: "tree-0")
        let result = engine.analyze(tree, cache: ParseCache())
        let earlier = TreeResultCache()
        earlier.put("base", tree: tree, result: result, prefixes: [])
        let results = TreeResultCache()
        results.load(Substring(earlier.export()))
        #expect(results.get("base", for: tree) != nil)  // met again: a base
        for k in 0..<30 { results.put("tree-\(k)", tree: tree, result: result, prefixes: []) }
        #expect(results.export().split(separator: "\n").contains { $0.hasPrefix("base\t") })
    }

    @Test func pathsAndNamesSurviveTheText() {
        let records = ReadRecords()
        let record = ReadRecords.Record(considered: 3, rounds: [.init(programSize: 2, missing: ["a_b", "c"]), .init(programSize: 3, missing: [])],
                                        includedHeaders: ["include/x,y.h", "odd\tname.h"], files: ["fs/a%b.c", "fs/c.c"])
        records.put("id|", record)
        let loaded = ReadRecords()
        loaded.load(Substring(records.export()))
        #expect(loaded.get("id|") == record)
        // Garbage is skipped, not trusted.
        let garbage = ReadRecords()
        func line(_ key: String, _ fields: String) -> String { "\(key)\t\(fields)\t\(ReadRecords.check(Substring(fields)))\n" }
        garbage.load(Substring("x\ty\n" + line("id2", "not-a-number\t\t\t") + line("id3", "1\tq:a\t\tf.c") + line("id4", "1\t-5:a\t\tf.c")
                               + "id5\t1\t\t\tf.c,g.c\t" + ReadRecords.check("1\t\t\tf.c") + "\n"))
        #expect(garbage.get("id2") == nil)
        #expect(garbage.get("id3") == nil)
        #expect(garbage.get("id4") == nil, "a negative program size would trap when the rounds are replayed")
        #expect(garbage.get("id5") == nil, "a line whose check does not match (here: a file list grown) is not read")
        #expect(garbage.get("id6") == nil)
    }
}

/// A memory tree with a git-like identity, for the records.
struct MemoryTreeWithIdentity: SourceTree {
    var base: MemoryTree
    var identity: String?
    var name: String { base.name }
    var kernelVersion: KernelVersion? { base.kernelVersion }
    func cFiles() -> [String] { base.cFiles() }
    func headerFiles() -> [String] { base.headerFiles() }
    func contents(of path: String) -> [UInt8]? { base.contents(of: path) }
    func contentID(of path: String) -> String? { base.contentID(of: path) }
    func differingPaths(from other: SourceTree) -> [String]? {
        (other as? MemoryTreeWithIdentity).flatMap { base.differingPaths(from: $0.base) }
    }
}

/// Files kept as outlines (`KeptOutlines`) read as the parses they were made from: the same
/// review, with the bodies nobody walks never parsed.
struct KeptOutlineTests {
    @Test func aLaterRunReviewsFromOutlinesAsFromParses() throws {
        let engine = StablePageEngine()
        let t0 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T0"), identity: "tree-0")
        let changed = FollowingReadTests.handler.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "")
        let t1 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T1", handler: changed), identity: "tree-1")
        let results = TreeResultCache(), records = ReadRecords(), cache = ParseCache(), store = SummaryStore()
        let first = engine.reviewTrees([t0, t1], series: nil, cache: cache, summaries: store, results: results, records: records)
        let outlines = cache.exportOutlines()
        // Every file read, in either tree: T1's handler is kept beside T0's.
        let keys = Set(outlines.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) })
        for (tree, path) in [(t0, "fs/demo/file.c"), (t1, "fs/demo/file.c"), (t0, "fs/demo/prepare.c"), (t0, "lib/demo_zero.c")] {
            #expect(keys.contains(tree.contentID(of: path)! + ":" + path), "\(tree.name): \(path)")
        }
        // A later run knows T0's result and record, the files' outlines and the summaries.
        let keptResults = TreeResultCache(), keptRecords = ReadRecords(), later = ParseCache(), keptStore = SummaryStore()
        keptResults.load(Substring(results.export().split(separator: "\n").filter { $0.hasPrefix("tree-0") }.joined(separator: "\n")))
        keptRecords.load(Substring(records.export()))
        later.importOutlines(Substring(outlines))
        keptStore.load(Substring(store.export()))
        let second = engine.reviewTrees([t0, t1], series: nil, cache: later, summaries: keptStore, results: keptResults, records: keptRecords)
        #expect(second.analysed == [false, true])
        #expect(second.findings.map(\.key) == first.findings.map(\.key))
        #expect(second.findings.map(\.introducedBy) == first.findings.map(\.introducedBy))
        #expect(second.findings.map(\.path) == first.findings.map(\.path))
        #expect(second.findings.map(\.message) == first.findings.map(\.message))
        // demo_prepare()'s summary holds: neither it nor demo_zero() is walked, nor parsed.
        for path in ["fs/demo/prepare.c", "lib/demo_zero.c"] {
            let file = try #require(later.parsedBefore(t0.contentID(of: path)! + ":" + path), "\(path) is read from its outline")
            #expect(!file.isParsed, "\(path) was parsed, though no body of it was walked")
        }
        // Nothing new to keep: T1's files were all kept by the first run.
        #expect(!later.learntOutlines)
    }

    /// An outline that is not its file's (a damaged cache whose lines still pass their check):
    /// the review says what a fresh one says, and the file's own outline replaces it.
    @Test func anOutlineOfOtherBytesIsReadAgainInFull() throws {
        let engine = StablePageEngine()
        let t0 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T0"), identity: "tree-0")
        let changed = FollowingReadTests.handler.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "")
        let t1 = MemoryTreeWithIdentity(base: FollowingReadTests.tree("T1", handler: changed), identity: "tree-1")
        let results = TreeResultCache(), records = ReadRecords(), cache = ParseCache()
        let first = engine.reviewTrees([t0, t1], series: nil, cache: cache, results: results, records: records)
        // The helper's file kept under its key, but with the outline of other bytes: the same
        // function, three lines further down. The review walks the helper and parses its file.
        let key = t0.contentID(of: "fs/demo/prepare.c")! + ":fs/demo/prepare.c"
        let other = CParser.parse(Array("\n\n\n#include <linux/mm.h>\n\nvoid demo_prepare(struct page *page)\n{\n\tdemo_zero(page);\n}\n".utf8),
                                  path: "fs/demo/prepare.c")
        let forged = key + "\t" + KeptOutlines.encode(other, callees: [[.init(name: "demo_zero", worthALook: true)]])
        let text = cache.exportOutlines().split(separator: "\n").map { $0.hasPrefix(key + "\t") ? Substring(forged) : $0 }.joined(separator: "\n")
        let keptResults = TreeResultCache(), keptRecords = ReadRecords(), later = ParseCache()
        keptResults.load(Substring(results.export().split(separator: "\n").filter { $0.hasPrefix("tree-0") }.joined(separator: "\n")))
        keptRecords.load(Substring(records.export()))
        later.importOutlines(Substring(text))
        let second = engine.reviewTrees([t0, t1], series: nil, cache: later, results: keptResults, records: keptRecords)
        #expect(second.findings.map(\.key) == first.findings.map(\.key))
        #expect(second.findings.map(\.introducedBy) == first.findings.map(\.introducedBy))
        #expect(second.findings.map(\.message) == first.findings.map(\.message))
        #expect(later.learntOutlines, "the file's own outline is kept in place of the forged one")
        #expect(!later.exportOutlines().contains(forged))
    }

    @Test func anOutlineLineReadsBackAsTheParse() throws {
        let text = """
            static int a_ops_setup(struct inode *inode, struct file *file)
            {
            \tinode->i_mapping->a_ops = &demo_aops;
            \tfile->f_op->mmap = demo_mmap;
            \tdemo_helper(page, 1);
            \treturn 0;
            }
            const char *weird_name(void) { return "a,b;c %d\\t"; }
            static const struct address_space_operations demo_aops = {
            \t.writepage = demo_writepage,
            \t.write_begin = demo_write_begin,
            };
            """
        let parsed = CParser.parse(Array(text.utf8), path: "fs/demo/inode.c")
        let callees = parsed.outlines.indices.map { k in
            StablePageEngine.CalleeMemo.derive(parsed, function: k)
        }
        let line = KeptOutlines.encode(parsed, callees: callees)
        let entry = try #require(KeptOutlines.decode(Substring(line), path: "fs/demo/inode.c"))
        #expect(entry.outlines == parsed.outlines)
        #expect(entry.bindings == parsed.opsBindings)
        #expect(entry.installs == parsed.opsInstalls)
        #expect(entry.callees == callees)
        #expect(entry.fingerprints == parsed.outlines.indices.map { parsed.fingerprint(ofFunction: $0) })
        // A changed byte is a damaged line: the file is parsed instead.
        var damaged = Array(line.utf8)
        damaged[damaged.count / 2] ^= 0x01
        let damagedLine = String(decoding: damaged, as: UTF8.self)
        #expect(KeptOutlines.decode(Substring(damagedLine), path: "fs/demo/inode.c") == nil)
        // ... and it is dropped, so that the parse made instead is kept in its place.
        let kept = KeptOutlines()
        kept.load(Substring("k\t" + damagedLine + "\n"))
        #expect(kept.entry("k", path: "fs/demo/inode.c") == nil)
        #expect(!kept.contains("k"))
        kept.keep(parsed, key: "k", callees: callees)
        #expect(kept.learnt && kept.entry("k", path: "fs/demo/inode.c") != nil)
        // Line numbers no file has, with a valid check: refused (sizes are computed from them).
        let fields = line[..<line.lastIndex(of: "\t")!]
        let huge = fields.replacingOccurrences(of: "a_ops_setup,1,", with: "a_ops_setup,99999999999999999,")
        #expect(huge != String(fields))
        #expect(KeptOutlines.decode(Substring(huge + "\t" + ReadRecords.check(huge[...])), path: "fs/demo/inode.c") == nil)
        let backwards = fields.replacingOccurrences(of: "a_ops_setup,1,7,", with: "a_ops_setup,9,7,")
        #expect(backwards != String(fields))
        #expect(KeptOutlines.decode(Substring(backwards + "\t" + ReadRecords.check(backwards[...])), path: "fs/demo/inode.c") == nil)
        // An outlined file parses on first use into what it was, fingerprints included.
        let outlined = ParsedFile.outlined(path: "fs/demo/inode.c", outlines: entry.outlines, fingerprints: entry.fingerprints,
                                           opsBindings: entry.bindings, opsInstalls: entry.installs) { Array(text.utf8) }
        #expect(!outlined.isParsed)
        #expect(outlined.functions.map(\.name) == parsed.functions.map(\.name))
        #expect(outlined.isParsed && !outlined.outlineBroken)
        // Bytes that no longer match the outline: empty bodies under the outline's names, said so.
        let stale = ParsedFile.outlined(path: "fs/demo/inode.c", outlines: entry.outlines, fingerprints: entry.fingerprints,
                                        opsBindings: entry.bindings, opsInstalls: entry.installs) { Array("int other(void) { return 1; }\n".utf8) }
        #expect(stale.functions.map(\.name) == parsed.functions.map(\.name))
        #expect(stale.outlineBroken)
    }
}
