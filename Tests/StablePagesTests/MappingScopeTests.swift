import Testing
@testable import StablePages

/// Issue 18, items 2 and 3, in 2.6.39's style: whether a mapping can have an unlocked page under
/// writeback is read from its address_space_operations, and a mapping without `page_mkwrite` is
/// a finding of its own `file_operations.mmap`. None of this is kernel source.
struct MappingScopeTests {
    /// A generic mmap handing out a table without `page_mkwrite`, and two filesystems using it:
    /// `asyncfs` writes back through block I/O that completes later, `syncfs` copies the page and
    /// ends writeback before its ->writepage returns (as fuse and ubifs do).
    static func tree(syncfsHasMkwrite: Bool, asyncfsOwnWait: Bool = true) -> [String: String] {
        [
            "mm/filemap.c": """
                const struct vm_operations_struct generic_file_vm_ops = {
                	.fault		= filemap_fault,
                };

                int generic_file_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	struct address_space *mapping = file->f_mapping;

                	if (!mapping->a_ops->readpage)
                		return -ENOEXEC;
                	file_accessed(file);
                	vma->vm_ops = &generic_file_vm_ops;
                	vma->vm_flags |= VM_CAN_NONLINEAR;
                	return 0;
                }
                """,
            "fs/asyncfs/inode.c": """
                static int asyncfs_writepage(struct page *page, struct writeback_control *wbc)
                {
                	set_page_writeback(page);
                	unlock_page(page);
                	submit_bh(WRITE, page_buffers(page));
                	return 0;
                }

                static void asyncfs_wait_stable(struct page *page)
                {
                	if (PageWriteback(page))
                		wait_on_page_writeback(page);
                }

                static int asyncfs_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	struct page *page = vmf->page;

                	lock_page(page);
                \(asyncfsOwnWait ? "\tasyncfs_wait_stable(page);\n" : "")\treturn VM_FAULT_LOCKED;
                }

                static const struct vm_operations_struct asyncfs_vm_ops = {
                	.fault		= filemap_fault,
                	.page_mkwrite	= asyncfs_page_mkwrite,
                };

                static int asyncfs_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	int err = generic_file_mmap(file, vma);

                	if (err)
                		return err;
                	vma->vm_ops = &asyncfs_vm_ops;
                	return 0;
                }

                const struct file_operations asyncfs_file_operations = {
                	.mmap		= asyncfs_mmap,
                };
                const struct file_operations asyncfs_plain_operations = {
                	.mmap		= generic_file_mmap,
                };
                static const struct address_space_operations asyncfs_aops = {
                	.writepage	= asyncfs_writepage,
                };

                void asyncfs_set_inode(struct inode *inode, int plain)
                {
                	inode->i_mapping->a_ops = &asyncfs_aops;
                	if (plain)
                		inode->i_fop = &asyncfs_plain_operations;
                	else
                		inode->i_fop = &asyncfs_file_operations;
                }
                """,
            "fs/syncfs/file.c": """
                static int syncfs_writepage(struct page *page, struct writeback_control *wbc)
                {
                	struct page *tmp;

                	set_page_writeback(page);
                	tmp = alloc_page(GFP_NOFS);
                	if (!tmp)
                		goto err;
                	copy_highpage(tmp, page);
                	syncfs_queue_copy(tmp);
                	end_page_writeback(page);
                	unlock_page(page);
                	return 0;
                err:
                	end_page_writeback(page);
                	redirty_page_for_writepage(wbc, page);
                	unlock_page(page);
                	return -ENOMEM;
                }
                \(syncfsHasMkwrite ? """

                static int syncfs_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	lock_page(vmf->page);
                	return VM_FAULT_LOCKED;
                }

                static const struct vm_operations_struct syncfs_vm_ops = {
                	.fault		= filemap_fault,
                	.page_mkwrite	= syncfs_page_mkwrite,
                };

                static int syncfs_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	generic_file_mmap(file, vma);
                	vma->vm_ops = &syncfs_vm_ops;
                	return 0;
                }

                """ : "")
                static const struct file_operations syncfs_file_operations = {
                	.mmap		= \(syncfsHasMkwrite ? "syncfs_mmap" : "generic_file_mmap"),
                };
                static const struct address_space_operations syncfs_aops = {
                	.writepage	= syncfs_writepage,
                };

                static void syncfs_init_file(struct inode *inode)
                {
                	inode->i_fop = &syncfs_file_operations;
                	inode->i_data.a_ops = &syncfs_aops;
                }
                """,
        ]
    }

    static func memoryTree(_ name: String, _ files: [String: String]) -> MemoryTree {
        MemoryTree(name: name, files: files.mapValues { Array($0.utf8) }, kernelVersion: KernelVersion(2, 6, 39))
    }

    /// Writeback that ends before ->writepage returns leaves nothing for a writer to wait for;
    /// writeback that completes later does, and the finding is that mapping's own.
    @Test func theMappingsWritebackDecidesTheScope() {
        let result = StablePageEngine().analyze(Self.memoryTree("T0", Self.tree(syncfsHasMkwrite: false)))
        let flagged = Set(result.findings.map { "\($0.rule.split(separator: "/").last!) \($0.function)" })
        #expect(flagged == ["mmap-without-mkwrite asyncfs_plain_operations"], "\(result.findings.map(\.message))")
        let excluded = result.notApplicable.first { $0.function == "syncfs_file_operations" }
        #expect(excluded?.code == "writeback-under-lock")
        #expect(excluded?.evidence.contains { $0.note.contains("syncfs_init_file() gives the inode syncfs_file_operations") } == true)
        #expect(excluded?.evidence.contains { $0.file == "fs/syncfs/file.c" && $0.note.contains("writeback ended") } == true,
                "\(excluded?.evidence ?? [])")
        let plain = result.findings.first { $0.function == "asyncfs_plain_operations" }
        #expect(plain?.cause == "generic_file_vm_ops")
    }

    /// A filesystem's own helper that waits is followed into; without it the handler is flagged.
    @Test(arguments: [true, false])
    func aFilesystemsOwnWaitCounts(ownWait: Bool) {
        let result = StablePageEngine().analyze(Self.memoryTree("T0", Self.tree(syncfsHasMkwrite: false, asyncfsOwnWait: ownWait)))
        #expect(result.findings.contains { $0.function == "asyncfs_page_mkwrite" } == !ownWait, "\(result.findings.map(\.message))")
    }

    /// The fix a maintainer would take: syncfs gains a page_mkwrite that only locks the page —
    /// right, because its writeback runs under that lock. Nothing is introduced and nobody
    /// else's finding moves.
    @Test func aFilesystemAddingAPageMkwriteResolvesNothingButItsOwn() {
        let trees = [Self.memoryTree("T0", Self.tree(syncfsHasMkwrite: false)),
                     Self.memoryTree("T1", Self.tree(syncfsHasMkwrite: true))]
        let findings = StablePageEngine().review(trees: trees, series: nil)
        #expect(!findings.contains { $0.introducedBy != nil }, "\(findings.map(\.message))")
        let plain = findings.first { $0.function == "asyncfs_plain_operations" }
        #expect(plain?.presentIn == [0, 1])
    }

    /// And where writeback does outlive ->writepage, the same generic mapping is one finding per
    /// file_operations, so fixing one filesystem resolves exactly its own.
    @Test func fixingOneMappingResolvesOnlyIt() {
        var before = Self.tree(syncfsHasMkwrite: false)
        before["fs/syncfs/file.c"] = before["fs/syncfs/file.c"]!.replacingOccurrences(of: "\tend_page_writeback(page);\n\tunlock_page(page);\n\treturn 0;",
                                                                                          with: "\tunlock_page(page);\n\treturn 0;")
        var after = Self.tree(syncfsHasMkwrite: true)
        after["fs/syncfs/file.c"] = after["fs/syncfs/file.c"]!.replacingOccurrences(of: "\tend_page_writeback(page);\n\tunlock_page(page);\n\treturn 0;",
                                                                                        with: "\tunlock_page(page);\n\treturn 0;")
        let findings = StablePageEngine().review(trees: [Self.memoryTree("T0", before), Self.memoryTree("T1", after)], series: nil)
        let syncfs = findings.first { $0.function == "syncfs_file_operations" }
        #expect(syncfs?.resolvedBy == 1, "\(findings.map(\.message))")
        #expect(findings.first { $0.function == "asyncfs_plain_operations" }?.presentIn == [0, 1])
        // Its new handler only locks, and its writeback now outlives ->writepage: a new hole.
        #expect(findings.first { $0.function == "syncfs_page_mkwrite" }?.introducedBy == 1)
    }
}

/// Issue 12, item 1: the page source of a mapping, from its fault handler's code. Each driver
/// below has a page_mkwrite that only locks — a hole for page-cache pages, nothing at all for
/// memory that is never written back.
struct FaultPageSourceTests {
    static func driver(fault body: String) -> [String: String] {
        ["drivers/demo/demo.c": """
            static vm_fault_t demo_fault(struct vm_fault *vmf)
            {
            \(body)
            }

            static vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
            {
            	lock_page(vmf->page);
            	return VM_FAULT_LOCKED;
            }

            static const struct vm_operations_struct demo_vm_ops = {
            	.fault		= demo_fault,
            	.page_mkwrite	= demo_page_mkwrite,
            };
            """]
    }

    static let cases: [(String, String, String?)] = [
        ("pfn", "\tstruct demo_dev *dev = vmf->vma->vm_private_data;\n\n\treturn vmf_insert_pfn(vmf->vma, vmf->address, dev->base_pfn + vmf->pgoff);",
         "not-page-cache"),
        ("vmalloc", "\tstruct demo_buf *buf = vmf->vma->vm_private_data;\n\n\tvmf->page = vmalloc_to_page(buf->mem + (vmf->pgoff << PAGE_SHIFT));\n\tget_page(vmf->page);\n\treturn 0;",
         "not-page-cache"),
        ("through a helper", "\treturn demo_map_one(vmf);\n}\n\nstatic vm_fault_t demo_map_one(struct vm_fault *vmf)\n{\n\treturn vmf_insert_pfn(vmf->vma, vmf->address, vmf->pgoff);",
         "not-page-cache"),
        ("forwarding", "\tstruct demo_file *df = vmf->vma->vm_file->private_data;\n\n\tif (!df->vm_ops || !df->vm_ops->fault)\n\t\treturn VM_FAULT_SIGBUS;\n\treturn df->vm_ops->fault(vmf);",
         "forwards-fault"),
        ("sigbus", "\tif (demo_dead(vmf->vma))\n\t\treturn VM_FAULT_SIGBUS;\n\treturn VM_FAULT_SIGBUS;", "fault-fails"),
        ("page cache", "\treturn filemap_fault(vmf);", nil),
    ]

    @Test(arguments: 0..<6)
    func theFaultHandlerSaysWhereThePagesComeFrom(_ index: Int) {
        let (name, body, code) = Self.cases[index]
        let tree = MemoryTree(name: "T0", files: Self.driver(fault: body).mapValues { Array($0.utf8) }, kernelVersion: KernelVersion(6, 1))
        let result = StablePageEngine().analyze(tree)
        let flagged = result.findings.contains { $0.function == "demo_page_mkwrite" }
        #expect(flagged == (code == nil), "\(name): \(result.findings.map(\.message))")
        if let code {
            let excluded = result.notApplicable.first { $0.function == "demo_page_mkwrite" }
            #expect(excluded?.code == code, "\(name): \(String(describing: excluded))")
            #expect(excluded?.evidence.contains { $0.note.contains("demo_vm_ops.fault = demo_fault") } == true, "\(name)")
        }
    }
}
