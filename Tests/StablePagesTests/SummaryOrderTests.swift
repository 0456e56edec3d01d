import Testing
@testable import StablePages

/// A walk cuts a call to a function already in progress short (recursion), so what a helper's
/// summary says can depend on who called it. The precompute hands entry points to its workers
/// in whatever order they finish, so a summary must not depend on what its analyzer derived
/// before: a remembered summary is used again only where a walk now would derive the same.
struct SummaryOrderTests {
    /// `demo_flush` and `demo_settle` call each other; each handler enters the cycle at another
    /// function, so each cuts it at another place.
    static let files: [String: String] = [
        "fs/demo/file.c": SummaryReuseTests.fileC,
        "fs/demo/cycle.c": """
            void demo_settle(struct page *page);

            void demo_flush(struct page *page)
            {
            \tdemo_settle(page);
            }

            void demo_settle(struct page *page)
            {
            \tif (PageDirty(page))
            \t\tdemo_flush(page);
            \twait_on_page_writeback(page);
            }
            """,
        "fs/demo/a.c": SummaryReuseTests.handler("demo_page_mkwrite", calling: "demo_flush"),
        "fs/demo/b.c": SummaryReuseTests.handler("other_page_mkwrite", calling: "demo_settle"),
    ]

    static func program() -> Program {
        StablePageEngine().program(for: MemoryTree(name: "demo", files: files.mapValues { Array($0.utf8) }))
    }

    static func facts(_ s: FunctionSummary?) -> [String] {
        guard let s else { return ["no summary"] }
        return s.assumptions + s.outcomes.map { "\($0.returnClass) \($0.lock) \($0.waitedUnderLock)" }
    }

    @Test(arguments: [["demo_page_mkwrite", "other_page_mkwrite"], ["other_page_mkwrite", "demo_page_mkwrite"]])
    func aHandlerSummaryIsTheSameWhateverWasSummarisedBefore(order: [String]) {
        let program = Self.program()
        let shared = PathAnalyzer(program: program, model: .builtIn)
        for name in order {
            let after = Self.facts(shared.summary(named: name))
            let alone = Self.facts(PathAnalyzer(program: program, model: .builtIn).summary(named: name))
            #expect(after == alone, "\(name) after \(order)")
        }
        // The cycle was cut where each handler entered it.
        let other = Self.facts(PathAnalyzer(program: program, model: .builtIn).summary(named: "other_page_mkwrite"))
        #expect(other.contains { $0.hasPrefix("demo_settle: recursive call") }, "\(other)")
    }

    @Test func thePrecomputeGivesWhatEachRootGivesAlone() {
        let program = Self.program()
        let roots = ["demo_page_mkwrite", "other_page_mkwrite"].map { program.definitions[$0]!.first! }
        for _ in 0..<20 {
            let analyzer = PathAnalyzer(program: program, model: .builtIn)
            analyzer.precompute(roots)
            for name in ["demo_page_mkwrite", "other_page_mkwrite"] {
                #expect(Self.facts(analyzer.summary(named: name))
                        == Self.facts(PathAnalyzer(program: program, model: .builtIn).summary(named: name)))
            }
        }
    }
}
