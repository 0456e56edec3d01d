import CSyntax

/// `stable-pages/analysis-incomplete`: the walk of an entry point (or of a helper it goes
/// through) stopped at the state budget, so some of its paths were not checked. Said out loud,
/// in every format, instead of a silence that reads as "clean".
public struct AnalysisIncomplete: TreeRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/analysis-incomplete",
        title: "the analysis of an entry point stopped before it checked every path",
        rationale: """
            The path analysis explores each function's paths with a bound on the distinct states \
            it keeps (20,000 per function). A handler whose branches multiply beyond it — many \
            independent conditions in a row — is cut short, and a hole on a path not explored \
            would go unreported. This note names the entry point so a reviewer reads it by hand; \
            it never fails a review.
            """,
        severity: .note,
        confidence: .high,
        errs: "towards noise: it reports every entry point whose walk, or a callee's, was cut short, whether or not the unexplored paths matter",
        triggering: [
            // Each predicate is asked again after the wait, so its answer is remembered on every
            // path (2^16 combinations): a walk has to keep them apart, and the budget runs out.
            RuleExample("sixteen independent conditions before the wait, each asked again after it", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;
                	struct inode *inode = vma->vm_file->f_mapping->host;

                	lock_page(page);
                	if (foo_check0(inode))
                		foo_note(inode, 0);
                	if (foo_check1(inode))
                		foo_note(inode, 1);
                	if (foo_check2(inode))
                		foo_note(inode, 2);
                	if (foo_check3(inode))
                		foo_note(inode, 3);
                	if (foo_check4(inode))
                		foo_note(inode, 4);
                	if (foo_check5(inode))
                		foo_note(inode, 5);
                	if (foo_check6(inode))
                		foo_note(inode, 6);
                	if (foo_check7(inode))
                		foo_note(inode, 7);
                	if (foo_check8(inode))
                		foo_note(inode, 8);
                	if (foo_check9(inode))
                		foo_note(inode, 9);
                	if (foo_check10(inode))
                		foo_note(inode, 10);
                	if (foo_check11(inode))
                		foo_note(inode, 11);
                	if (foo_check12(inode))
                		foo_note(inode, 12);
                	if (foo_check13(inode))
                		foo_note(inode, 13);
                	if (foo_check14(inode))
                		foo_note(inode, 14);
                	if (foo_check15(inode))
                		foo_note(inode, 15);
                	wait_on_page_writeback(page);
                	if (foo_check0(inode))
                		foo_note(inode, 16);
                	if (foo_check1(inode))
                		foo_note(inode, 17);
                	if (foo_check2(inode))
                		foo_note(inode, 18);
                	if (foo_check3(inode))
                		foo_note(inode, 19);
                	if (foo_check4(inode))
                		foo_note(inode, 20);
                	if (foo_check5(inode))
                		foo_note(inode, 21);
                	if (foo_check6(inode))
                		foo_note(inode, 22);
                	if (foo_check7(inode))
                		foo_note(inode, 23);
                	if (foo_check8(inode))
                		foo_note(inode, 24);
                	if (foo_check9(inode))
                		foo_note(inode, 25);
                	if (foo_check10(inode))
                		foo_note(inode, 26);
                	if (foo_check11(inode))
                		foo_note(inode, 27);
                	if (foo_check12(inode))
                		foo_note(inode, 28);
                	if (foo_check13(inode))
                		foo_note(inode, 29);
                	if (foo_check14(inode))
                		foo_note(inode, 30);
                	if (foo_check15(inode))
                		foo_note(inode, 31);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ],
        nonTriggering: [
            RuleExample("a handful of conditions", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;
                	struct inode *inode = vma->vm_file->f_mapping->host;

                	lock_page(page);
                	if (foo_check0(inode))
                		foo_note(inode, 0);
                	if (foo_check1(inode))
                		foo_note(inode, 1);
                	wait_on_page_writeback(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ]
    )

    public func check(_ context: RuleContext) -> [Finding] {
        context.summarisedEntryPoints([.pageMkwrite, .writeBegin], rule: description).filter(\.summary.incomplete).map { entry in
            context.finding(description, on: entry,
                            message: "analysis of \(entry.function)() incomplete: the walk stopped after \(PathAnalyzer.stateBudget) states, so some paths were not checked",
                            paths: [[PathStep(file: entry.file.path, line: entry.summary.line, note: "enter \(entry.function)()")]],
                            confidence: description.confidence)
        }
    }
}
