import Testing
import CSyntax
@testable import StablePages
import Report

// The walkthrough of docs/architecture.md ("Add a rule in one file"), kept true by this test:
// a rule is one type with its description (rationale, how it errs, examples both ways) and a
// `check` that visits the entry points of the kinds it cares about and builds findings with the
// shared helpers. Dropped into Sources/StablePages/Rules/ and named in `RuleRegistry.all` (as `.tree(…)`), it is
// listed by `spw-review rules`, documented by `rules --markdown`, and its examples run in
// RuleExampleTests; here the same happens to a rule that lives in a test target.

/// A `page_mkwrite` exit that returns 0 with the page still locked: the fault core then takes
/// the page lock itself and deadlocks (0 means "not locked; lock it for me").
struct LockedZeroReturn: TreeRule {
    let description = RuleDescription(
        id: "stable-pages/example-locked-zero-return",
        title: "page_mkwrite returns 0 with the page locked",
        rationale: """
            A page_mkwrite handler that returns 0 tells the fault core that the page is not locked, \
            and the core locks it; if the handler kept the lock, the fault deadlocks on its own page.
            """,
        severity: .error,
        confidence: .high,
        errs: "towards silence: it trusts the summaries' lock state",
        triggering: [RuleExample("returns 0 after lock_page", """
            static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
            {
            	struct page *page = vmf->page;

            	lock_page(page);
            	wait_on_page_writeback(page);
            	return 0;
            }
            static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
            """)],
        nonTriggering: [RuleExample("returns VM_FAULT_LOCKED", """
            static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	struct page *page = vmf->page;

            	lock_page(page);
            	wait_on_page_writeback(page);
            	return VM_FAULT_LOCKED;
            }
            static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
            """)])

    func check(_ context: RuleContext) -> [Finding] {
        context.summarisedEntryPoints([.pageMkwrite], rule: description).compactMap { entry in
            let open = entry.summary.outcomes.filter { $0.returnClass == .zero && $0.locked }
            guard !open.isEmpty else { return nil }
            return context.finding(description, on: entry, message: "\(entry.function)() returns 0 with the page locked",
                                   paths: open.map(\.path))
        }
    }
}

struct AddARuleWalkthroughTests {
    @Test func aRuleInOneFileRunsItsExamplesAndDocumentsItself() {
        let rule = LockedZeroReturn()
        let engine = StablePageEngine(model: .builtIn, rules: RuleRegistry.all + [.tree(rule)])
        for (example, triggers) in rule.description.triggering.map({ ($0, true) }) + rule.description.nonTriggering.map({ ($0, false) }) {
            let tree = MemoryTree(name: "example", files: ["example.c": Array(example.code.utf8)])
            let found = engine.analyze(tree).findings.filter { $0.rule == rule.description.id }
            #expect(found.map { $0.inputLine ?? $0.line } == (triggers ? example.expectedLines : []), "\(example.name)")
        }
        #expect(RuleDocs.markdown(rule.description).contains("page_mkwrite returns 0 with the page locked"))
    }
}
