import Testing
@testable import StablePages

/// Issue 12, item 2: the delta is per path. A patch that deletes the wait inside a shared helper
/// opens a path in every handler that goes through it — also in handlers that already had a
/// finding on some other path — and that is one introduced error, grouped by the helper.
struct PerPathDeltaTests {
    static func tree(helperWaits: Bool) -> MemoryTree {
        let code = """
            static int demo_prepare_page(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	struct page *page = vmf->page;

            	lock_page(page);
            	if (page->mapping != vma->vm_file->f_mapping) {
            		unlock_page(page);
            		return VM_FAULT_NOPAGE;
            	}
            \(helperWaits ? "\twait_for_stable_page(page);\n" : "")\treturn VM_FAULT_LOCKED;
            }

            static int demo_a_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	if (demo_a_fast(vma))
            		return 0;
            	return demo_prepare_page(vma, vmf);
            }

            static int demo_b_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	if (demo_b_inline_data(vma))
            		return 0;
            	return demo_prepare_page(vma, vmf);
            }

            static int demo_c_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	return demo_prepare_page(vma, vmf);
            }

            static const struct vm_operations_struct demo_a_vm_ops = { .page_mkwrite = demo_a_page_mkwrite };
            static const struct vm_operations_struct demo_b_vm_ops = { .page_mkwrite = demo_b_page_mkwrite };
            static const struct vm_operations_struct demo_c_vm_ops = { .page_mkwrite = demo_c_page_mkwrite };
            """
        return MemoryTree(name: helperWaits ? "T0" : "T1", files: ["fs/demo/mmap.c": Array(code.utf8)],
                          kernelVersion: KernelVersion(6, 1))
    }

    @Test func aHelperLosingItsWaitIsOneIntroducedErrorListingEveryHandler() {
        let findings = StablePageEngine().review(trees: [Self.tree(helperWaits: true), Self.tree(helperWaits: false)], series: nil)
        // demo_c had no finding before: it is introduced on its own.
        #expect(findings.first { $0.function == "demo_c_page_mkwrite" }?.introducedBy == 1)
        // demo_a and demo_b had findings (their fast paths) that stay: the opened path is the news.
        for f in ["demo_a_page_mkwrite", "demo_b_page_mkwrite"] {
            #expect(findings.first { $0.function == f }?.presentIn == [0, 1], "\(f)")
        }
        let opened = findings.filter { $0.cause == "demo_prepare_page" && $0.introducedBy == 1 }
        #expect(opened.count == 1, "\(findings.map(\.message))")
        #expect(opened.first?.affected == ["demo_a_page_mkwrite", "demo_b_page_mkwrite"])
        #expect(opened.first?.severity == .error)
        #expect(opened.first?.path.contains { $0.note.contains("demo_prepare_page(): returns VM_FAULT_LOCKED, page locked, not waited for") } == true,
                "\(opened.first?.path ?? [])")
    }

    /// The same trees the other way round: the wait comes back, nothing is introduced.
    @Test func restoringTheWaitIntroducesNothing() {
        let findings = StablePageEngine().review(trees: [Self.tree(helperWaits: false), Self.tree(helperWaits: true)], series: nil)
        #expect(!findings.contains { $0.introducedBy != nil }, "\(findings.map(\.message))")
        #expect(findings.first { $0.function == "demo_c_page_mkwrite" }?.resolvedBy == 1)
    }
}

/// Issue 12, item 3: a call through a function-pointer member reaches the functions the tree
/// binds to that member (netfs' `ctx->ops->check_write_begin(…)` style).
struct MemberCallTests {
    static func tree(helperWaits: Bool) -> MemoryTree {
        let code = """
            struct demo_netfs_ops {
            	int (*prepare_page)(struct file *file, struct folio *folio);
            };

            static int demo_prepare(struct file *file, struct folio *folio)
            {
            \(helperWaits ? "\tfolio_wait_stable(folio);\n" : "")\treturn 0;
            }

            static const struct demo_netfs_ops demo_ops = {
            	.prepare_page	= demo_prepare,
            };

            static vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
            {
            	struct folio *folio = page_folio(vmf->page);
            	struct demo_ctx *ctx = demo_ctx(vmf->vma->vm_file);

            	folio_lock(folio);
            	if (ctx->ops->prepare_page(vmf->vma->vm_file, folio) < 0) {
            		folio_unlock(folio);
            		return VM_FAULT_SIGBUS;
            	}
            	return VM_FAULT_LOCKED;
            }

            static const struct vm_operations_struct demo_vm_ops = { .page_mkwrite = demo_page_mkwrite };
            """
        return MemoryTree(name: "T", files: ["fs/demo/file.c": Array(code.utf8)], kernelVersion: KernelVersion(6, 1))
    }

    @Test(arguments: [true, false])
    func theMembersFunctionsAreFollowed(helperWaits: Bool) {
        let findings = StablePageEngine().analyze(Self.tree(helperWaits: helperWaits)).findings
        #expect(findings.contains { $0.function == "demo_page_mkwrite" } == !helperWaits, "\(findings.map(\.message))")
    }
}
