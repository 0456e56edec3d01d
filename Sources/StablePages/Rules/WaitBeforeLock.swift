import CSyntax

/// `stable-pages/wait-before-lock`: a handler waits for writeback, but not under the page lock
/// it hands the page back with — so writeback can start between the wait and the lock.
public struct WaitBeforeLock: TreeRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/wait-before-lock",
        title: "writeback wait happens before the page lock is taken (or the lock is dropped after it)",
        rationale: """
            Writeback starts with the page locked (set_page_writeback() runs under the page lock), so \
            only "lock, then wait" keeps the page stable until the lock is dropped. Waiting first and \
            locking afterwards leaves a window in which writeback can start; so does dropping the lock \
            after the wait and taking it again. Move the wait after lock_page()/folio_lock().
            """,
        severity: .error,
        confidence: .high,
        errs: "towards silence: it only reports paths on which a wait happened, so it never duplicates mkwrite-without-wait",
        triggering: [
            RuleExample("wait, then lock", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;

                	wait_on_page_writeback(page);
                	lock_page(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("lock dropped and retaken after the wait", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	wait_on_page_writeback(page);
                	unlock_page(page);
                	foo_reserve_blocks(vma);
                	lock_page(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ],
        nonTriggering: [
            RuleExample("lock, then wait", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	wait_on_page_writeback(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("relocked and waited again", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	wait_on_page_writeback(page);
                	unlock_page(page);
                	foo_reserve_blocks(vma);
                	lock_page(page);
                	wait_on_page_writeback(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ]
    )

    public func check(_ context: RuleContext) -> [Finding] {
        context.summarisedEntryPoints([.pageMkwrite, .writeBegin], rule: description).compactMap { entry in
            let writable: (Outcome) -> Bool = entry.kind == .pageMkwrite ? { $0.isWritableFaultExit } : { $0.isWritableWriteBeginExit }
            let bad = entry.summary.outcomes.filter { writable($0) && $0.waitedOnlyUnlocked }
            guard let first = bad.first else { return nil }
            let what = first.relockedAfterWait ? "drops the page lock after waiting and takes it again without a new wait"
                                               : "waits for writeback before taking the page lock"
            return context.finding(description, on: entry, message: "\(entry.function)() \(what); writeback can start in between",
                                   paths: bad.map(\.path))
        }
    }
}
