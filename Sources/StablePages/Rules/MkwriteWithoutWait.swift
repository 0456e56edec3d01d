import CSyntax

/// `stable-pages/mkwrite-without-wait`: a `page_mkwrite` handler lets the page become writable
/// (returns it locked, or returns 0) on a path without waiting for writeback.
public struct MkwriteWithoutWait: TreeRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/mkwrite-without-wait",
        title: "page_mkwrite makes a page writable without waiting for writeback",
        rationale: """
            On a write fault to a shared file mapping the fault core calls ->page_mkwrite. A handler \
            that returns VM_FAULT_LOCKED hands the page back locked and the core maps it writable; one \
            that returns 0 lets the core lock and map it without any wait. If the page is under \
            writeback at that moment, the process can change it while the device checksums or \
            mirrors it (T10 DIF/DIX, RAID, btrfs csums): the write fails or corrupts. Take the page \
            lock, then wait_for_stable_page()/folio_wait_stable() (or wait_on_page_writeback()), and \
            return VM_FAULT_LOCKED.
            """,
        severity: .error,
        confidence: .high,
        errs: "towards silence: a callee with no body and no model entry is assumed not to wait, and the finding says so with lower confidence; paths the branch conditions rule out (ret == VM_FAULT_LOCKED) are not reported",
        triggering: [
            RuleExample("returns VM_FAULT_LOCKED without a wait", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	set_page_dirty(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                	.page_mkwrite	= foo_page_mkwrite,
                };
                """),
            RuleExample("a wait on only one branch", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	if (page_has_buffers(page))
                		wait_on_page_writeback(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("a goto out that skips the wait", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;
                	int ret = VM_FAULT_LOCKED;

                	lock_page(page);
                	if (foo_fully_mapped(page))
                		goto out;
                	wait_on_page_writeback(page);
                out:
                	return ret;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("a wait on a different page", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	struct page *page = vmf->page;
                	struct page *other = foo_neighbour(page);

                	lock_page(page);
                	wait_on_page_writeback(other);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("returning 0 lets the core map the page without a wait", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	file_update_time(vma->vm_file);
                	return 0;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("VM_FAULT_LOCKED | VM_FAULT_RETRY: the fault core does not stop on RETRY", """
                static vm_fault_t foo_page_mkwrite(struct vm_fault *vmf) //~ finding
                {
                	struct folio *folio = page_folio(vmf->page);

                	folio_lock(folio);
                	if (foo_launder(folio))
                		return VM_FAULT_LOCKED | VM_FAULT_RETRY;
                	folio_wait_stable(folio);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("delegating to a helper that does not wait", """
                static int foo_lock_it(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	lock_page(vmf->page);
                	return VM_FAULT_LOCKED;
                }
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf) //~ finding
                {
                	return foo_lock_it(vma, vmf);
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ],
        nonTriggering: [
            RuleExample("lock, wait, return locked", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	if (page->mapping != vma->vm_file->f_mapping) {
                		unlock_page(page);
                		return VM_FAULT_NOPAGE;
                	}
                	wait_for_stable_page(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("block_page_mkwrite_return(err) after a helper that waits", """
                static int foo_get_block(struct inode *inode, sector_t block, struct buffer_head *bh, int create);
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	int err;

                	sb_start_pagefault(vma->vm_file->f_mapping->host->i_sb);
                	err = block_page_mkwrite(vma, vmf, foo_get_block);
                	sb_end_pagefault(vma->vm_file->f_mapping->host->i_sb);
                	return block_page_mkwrite_return(err);
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("a wait guarded by the return value before the common exit", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;
                	int ret = VM_FAULT_NOPAGE;

                	lock_page(page);
                	if (page->mapping != vma->vm_file->f_mapping) {
                		unlock_page(page);
                		goto out;
                	}
                	ret = VM_FAULT_LOCKED;
                out:
                	if (ret == VM_FAULT_LOCKED)
                		wait_on_page_writeback(page);
                	return ret;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("error returns make nothing writable", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	if (foo_read_only(vma))
                		return VM_FAULT_SIGBUS;
                	return VM_FAULT_NOPAGE;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("VM_FAULT_LOCKED with NOPAGE: the fault core stops, nothing is mapped writable", """
                static vm_fault_t foo_page_mkwrite(struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                	if (foo_truncated(page))
                		return VM_FAULT_LOCKED | VM_FAULT_NOPAGE;
                	wait_for_stable_page(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("an inline helper that returns 1 for success", """
                static inline int foo_lock_live_page(struct page *page, struct inode *inode)
                {
                	lock_page(page);
                	if (page->mapping != inode->i_mapping) {
                		unlock_page(page);
                		return 0;
                	}
                	return 1;
                }
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	if (!foo_lock_live_page(page, vma->vm_file->f_mapping->host))
                		return VM_FAULT_NOPAGE;
                	wait_for_stable_page(page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
            RuleExample("folio API", """
                static vm_fault_t foo_page_mkwrite(struct vm_fault *vmf)
                {
                	struct folio *folio = page_folio(vmf->page);

                	folio_lock(folio);
                	folio_wait_stable(folio);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
                """),
        ]
    )

    public func check(_ context: RuleContext) -> [Finding] {
        context.summarisedEntryPoints([.pageMkwrite], rule: description).compactMap { entry in
            let bad = entry.summary.outcomes.filter { $0.isWritableFaultExit && !$0.pageIsStable && !$0.waitedOnlyUnlocked }
            guard let first = bad.first else { return nil }
            let how = first.returnClass == .zero
                ? "returns 0, so the fault core locks the page and makes it writable without waiting for writeback"
                : "returns VM_FAULT_LOCKED \(first.locked ? "with the page locked but not waited for" : "without holding the page lock it waited under")"
            return context.finding(description, on: entry, message: "\(entry.function)() \(how) (\(bad.count) path\(bad.count == 1 ? "" : "s"))",
                                   paths: bad.map(\.path))
        }
    }
}
