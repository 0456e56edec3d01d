import Testing
@testable import StablePages

/// T0..Tn share summaries whose bodies and lookups did not change (issue 5: "T0..Tn share all
/// unchanged work"). Reuse must never hide a change: each case compares the review's per-tree
/// verdict with a fresh analysis of that tree alone.
struct SummaryReuseTests {
    static let fileC = """
        static const struct vm_operations_struct demo_vm_ops = {
        \t.fault = filemap_fault,
        \t.page_mkwrite = demo_page_mkwrite,
        };
        static const struct vm_operations_struct other_vm_ops = {
        \t.fault = filemap_fault,
        \t.page_mkwrite = other_page_mkwrite,
        };
        """

    /// A page_mkwrite that locks the page and hands it to `helper`.
    static func handler(_ name: String, calling helper: String = "demo_settle_page") -> String {
        """
        vm_fault_t \(name)(struct vm_fault *vmf)
        {
        \tstruct page *page = vmf->page;

        \tlock_page(page);
        \t\(helper)(page);
        \treturn VM_FAULT_LOCKED;
        }
        """
    }

    static func helper(waits: Bool) -> String {
        """
        void demo_settle_page(struct page *page)
        {
        \t\(waits ? "wait_on_page_writeback(page);" : "set_page_dirty(page);")
        }
        """
    }

    static func tree(_ name: String, _ files: [String: String]) -> MemoryTree {
        // Content ids as git would give them: same text, same id.
        MemoryTree(name: name, files: files.mapValues { Array($0.utf8) },
                   ids: files.mapValues { String($0.hashValue, radix: 16) })
    }

    /// Flagged handlers per tree, from the review (shared summaries) and from fresh analyses.
    static func verdicts(_ trees: [MemoryTree]) -> (review: [[String]], fresh: [[String]], reused: Int) {
        let engine = StablePageEngine()
        let store = SummaryStore()
        let findings = engine.review(trees: trees, series: nil, summaries: store)
        let review = trees.indices.map { k in
            findings.filter { $0.presentIn.contains(k) && $0.rule.hasSuffix("mkwrite-without-wait") }.map(\.function).sorted()
        }
        let fresh = trees.map { t in
            engine.analyze(t).findings.filter { $0.rule.hasSuffix("mkwrite-without-wait") }.map(\.function).sorted()
        }
        return (review, fresh, store.reused)
    }

    @Test func unchangedHandlersAreReusedAndAChangedOneIsNot() {
        let t0 = Self.tree("T0", ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                                   "fs/demo/b.c": Self.handler("other_page_mkwrite"), "fs/demo/settle.c": Self.helper(waits: true)])
        var files1 = t0.files.mapValues { String(decoding: $0, as: UTF8.self) }
        files1["fs/demo/a.c"] = Self.handler("demo_page_mkwrite") + "\n/* touched */\n"
        let t1 = Self.tree("T1", files1)
        let (review, fresh, reused) = Self.verdicts([t0, t1])
        #expect(review == fresh)
        #expect(review == [[], []])
        #expect(reused >= 1)  // other_page_mkwrite (and the helper) came from T0
    }

    @Test func aChangedHelperInAnotherFileInvalidatesItsCallers() {
        let base = ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                    "fs/demo/b.c": Self.handler("other_page_mkwrite")]
        let t0 = Self.tree("T0", base.merging(["fs/demo/settle.c": Self.helper(waits: true)]) { $1 })
        let t1 = Self.tree("T1", base.merging(["fs/demo/settle.c": Self.helper(waits: false)]) { $1 })
        let (review, fresh) = { let v = Self.verdicts([t0, t1]); return (v.review, v.fresh) }()
        #expect(review == fresh)
        #expect(review == [[], ["demo_page_mkwrite", "other_page_mkwrite"]])
    }

    @Test func aNewDefinitionOfAnUnknownCalleeIsSeen() {
        // T0 has no body for the helper (assumed not to wait: flagged); T1 adds one that waits.
        let base = ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                    "fs/demo/b.c": Self.handler("other_page_mkwrite")]
        let t0 = Self.tree("T0", base)
        let t1 = Self.tree("T1", base.merging(["fs/demo/settle.c": Self.helper(waits: true)]) { $1 })
        let (review, fresh) = { let v = Self.verdicts([t0, t1]); return (v.review, v.fresh) }()
        #expect(review == fresh)
        #expect(review == [["demo_page_mkwrite", "other_page_mkwrite"], []])
    }
}

extension SummaryReuseTests {
    /// Summaries kept between runs (`review` writes them under ~/.cache): a later run that loads
    /// them reuses what still holds, derives what changed, and says what a fresh analysis says.
    @Test(arguments: [true, false])
    func summariesFromAnEarlierRunHoldOnlyWhereTheirBodiesDo(helperStillWaits: Bool) {
        let base = ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                    "fs/demo/b.c": Self.handler("other_page_mkwrite")]
        let earlier = Self.tree("T0", base.merging(["fs/demo/settle.c": Self.helper(waits: true)]) { $1 })
        let first = SummaryStore()
        _ = StablePageEngine().review(trees: [earlier], series: nil, summaries: first)
        #expect(first.learnt)
        let saved = first.export()
        #expect(!saved.isEmpty)

        let later = Self.tree("T0", base.merging(["fs/demo/settle.c": Self.helper(waits: helperStillWaits)]) { $1 })
        let second = SummaryStore()
        second.load(Substring(saved))
        let findings = StablePageEngine().review(trees: [later], series: nil, summaries: second)
            .filter { $0.rule.hasSuffix("mkwrite-without-wait") }.map(\.function).sorted()
        let fresh = StablePageEngine().analyze(later).findings
            .filter { $0.rule.hasSuffix("mkwrite-without-wait") }.map(\.function).sorted()
        #expect(findings == fresh)
        #expect(findings == (helperStillWaits ? [] : ["demo_page_mkwrite", "other_page_mkwrite"]))
        // The same bodies: both handlers come from the file and nothing is derived; a changed
        // helper: derived again.
        #expect(helperStillWaits ? second.reused >= 2 && !second.learnt : second.learnt)
    }

    /// What is kept is bounded in bytes as well as lines: the file is loaded by every review.
    @Test func keptSummariesStayWithinTheirBudget() {
        let tree = Self.tree("T0", ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                                    "fs/demo/b.c": Self.handler("other_page_mkwrite"),
                                    "fs/demo/settle.c": Self.helper(waits: true)])
        let store = SummaryStore()
        _ = StablePageEngine().review(trees: [tree], series: nil, summaries: store)
        let all = store.export()
        let lines = all.split(separator: "\n")
        #expect(lines.count >= 2)
        let budget = lines[0].utf8.count + 2
        let kept = store.export(byteLimit: budget)
        #expect(kept.split(separator: "\n").count == 1)
        #expect(kept.utf8.count <= budget)
        #expect(store.export(byteLimit: 1).isEmpty)
    }

    @Test func malformedSummaryLinesAreSkipped() {
        let store = SummaryStore()
        store.load("no tab here\nkey\t{not json\n")
        #expect(store.candidates("key").isEmpty)
    }

    /// A kept line reads back as what was kept, field for field: every summary of a review, and
    /// one whose texts hold the bytes the line format escapes.
    @Test func aSummaryLineReadsBackWhole() throws {
        let tree = Self.tree("T0", ["fs/demo/file.c": Self.fileC, "fs/demo/a.c": Self.handler("demo_page_mkwrite"),
                                    "fs/demo/settle.c": Self.helper(waits: false)])
        let store = SummaryStore()
        _ = StablePageEngine().review(trees: [tree], series: nil, summaries: store)
        let lines = store.export().split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let encoded = try #require(line.split(separator: "\t", maxSplits: 1).last)
            let (summary, dependencies) = try #require(SummaryLine.decode(encoded))
            #expect(SummaryLine.encode(summary, dependencies) == String(encoded))
        }
        let odd = "a\tb\nc%d\u{1F}e\r"
        let identity = FunctionIdentity(path: "fs/\(odd).c", name: odd, line: 7, fingerprint: .max)
        var summary = FunctionSummary(function: odd, file: odd, line: -1, outcomes: [], usedSummaries: [odd, ""], assumptions: [odd])
        summary.outcomes = [Outcome(returnClass: .noWrite, returnsPage: true, lock: .inherited, waitedInherited: true, waitedUnderLock: false,
                                    waitedUnlocked: true, relockedAfterWait: false, writeback: .ended, handedBack: true, replaced: true,
                                    path: [PathStep(file: odd, line: 3, note: odd)])]
        summary.incomplete = true
        var dependencies = SummaryDependencies(functions: [identity])
        dependencies.resolutions.updateValue(nil, forKey: .init(fromPath: odd, name: "x"))
        dependencies.resolutions.updateValue(identity, forKey: .init(fromPath: "fs/a.c", name: odd))
        dependencies.members[odd] = [identity, identity]
        dependencies.cuts = [1 << 32 | 5, 3]
        dependencies.reusable = false
        let line = SummaryLine.encode(summary, dependencies)
        #expect(!line.contains("\n") && !line.contains("\t"))
        let (back, backDependencies) = try #require(SummaryLine.decode(Substring(line)))
        #expect(SummaryLine.encode(back, backDependencies) == line)
        #expect(back.function == odd && back.outcomes == summary.outcomes && back.outcomes[0].path == summary.outcomes[0].path)
        #expect(backDependencies.resolutions.count == 2 && backDependencies.members[odd]?.count == 2 && !backDependencies.reusable)
        // Cut short anywhere, it is no summary.
        for end in stride(from: 0, to: line.utf8.count, by: 7) {
            #expect(SummaryLine.decode(Substring(String(decoding: Array(line.utf8).prefix(end), as: UTF8.self))) == nil)
        }
    }
}

/// The prefilter's answers kept between runs (`review` writes them under ~/.cache): a later run
/// that imports them must give the same findings while reading only the files that can matter.
struct PrefilterFactsTests {
    /// A tree that counts what is read from it.
    final class CountingTree: SourceTree, @unchecked Sendable {
        let inner: MemoryTree
        private let lock = NSLockLike()
        private(set) var reads: [String] = []
        init(_ inner: MemoryTree) { self.inner = inner }
        var name: String { inner.name }
        var kernelVersion: KernelVersion? { inner.kernelVersion }
        func cFiles() -> [String] { inner.cFiles() }
        func headerFiles() -> [String] { inner.headerFiles() }
        func contentID(of path: String) -> String? { inner.contentID(of: path) }
        func contents(of path: String) -> [UInt8]? {
            lock.lock(); reads.append(path); lock.unlock()
            return inner.contents(of: path)
        }
    }

    @Test func importedFactsGiveTheSameFindingsFromFewerReads() {
        var files = [
            "fs/demo/file.c": SummaryReuseTests.fileC, "fs/demo/a.c": SummaryReuseTests.handler("demo_page_mkwrite"),
            "fs/demo/b.c": SummaryReuseTests.handler("other_page_mkwrite"), "fs/demo/settle.c": SummaryReuseTests.helper(waits: false),
        ]
        for k in 0..<20 { files["fs/demo/unrelated\(k).c"] = "int demo_unrelated_\(k)(void) { return \(k); }\n" }
        let tree = SummaryReuseTests.tree("T0", files)
        let engine = StablePageEngine()

        let first = ParseCache()
        let counted1 = CountingTree(tree)
        let findings1 = engine.review(trees: [counted1], series: nil, cache: first).map(\.function).sorted()
        let saved = first.exportFacts()
        #expect(saved.split(separator: "\n").count >= 24)

        let second = ParseCache()
        second.importFacts(Substring(saved))
        let counted2 = CountingTree(tree)
        let findings2 = engine.review(trees: [counted2], series: nil, cache: second).map(\.function).sorted()
        #expect(findings2 == findings1)
        #expect(findings1 == ["demo_page_mkwrite", "other_page_mkwrite"])
        #expect(Set(counted2.reads).isSubset(of: ["fs/demo/file.c", "fs/demo/a.c", "fs/demo/b.c", "fs/demo/settle.c"]))
        #expect(counted2.reads.count < counted1.reads.count)
    }

    @Test func malformedLinesAreSkipped() {
        let cache = ParseCache()
        cache.importFacts("garbage\nid1\t1\n\t1\t-\nid2\tx\tf00d,beef\n")
        #expect(cache.exportFacts() == "id2\t-\tbeef,f00d\t-\n")
    }
}

extension PrefilterFactsTests {
    /// What a file includes survives the facts file, whatever bytes its names hold (6.1 has
    /// `dt-bindings/regulator/dlg,da9211-regulator.h`): a name that could not be written would
    /// be read again on every run.
    @Test func includeNamesWithTheFormatsSeparatorsRoundTrip() {
        let cache = ParseCache()
        let names = ["dt-bindings/regulator/dlg,da9211-regulator.h", "odd%name.h", "tab\there.h", "plain.h"]
        cache.importFacts(Substring("id1\t0\tbeef\t" + names.map { "<" + FileFactsCache.escaped($0) }.joined(separator: ",") + "\n"))
        let second = ParseCache()
        second.importFacts(Substring(cache.exportFacts()))
        #expect(second.facts.get("id1").includes?.map(\.name) == names)
        #expect(!cache.exportFacts().contains("dlg,da9211"))
    }
}
