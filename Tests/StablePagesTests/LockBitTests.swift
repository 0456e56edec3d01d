import Testing
@testable import StablePages

/// Issue 18, item 2: the page lock read from the code. A page-cache page that a getter allocates
/// and inserts is handed back locked because the insert sets `PG_locked` (2.6.x:
/// `add_to_page_cache()` → `__set_page_locked()` → `__set_bit(PG_locked, &page->flags)`; 6.x:
/// `filemap_add_folio()` → `__folio_set_locked()`), not because a table says the getter locks.
/// Written in each era's style; none of it is kernel source.
struct LockBitTests {
    /// 2.6.39-style page cache: the lock bit is set by a body the analysis reads.
    static func era2639(getterWaits: Bool) -> [String: String] {
        [
            "include/linux/pagemap.h": """
                static inline void __set_page_locked(struct page *page)
                {
                	__set_bit(PG_locked, &page->flags);
                }

                static inline void __clear_page_locked(struct page *page)
                {
                	__clear_bit(PG_locked, &page->flags);
                }

                static inline int add_to_page_cache(struct page *page,
                		struct address_space *mapping, pgoff_t offset, gfp_t gfp_mask)
                {
                	int error;

                	__set_page_locked(page);
                	error = add_to_page_cache_locked(page, mapping, offset, gfp_mask);
                	if (unlikely(error))
                		__clear_page_locked(page);
                	return error;
                }
                """,
            "mm/filemap.c": """
                #include <linux/pagemap.h>

                int add_to_page_cache_locked(struct page *page, struct address_space *mapping,
                		pgoff_t offset, gfp_t gfp_mask)
                {
                	int error;

                	error = radix_tree_preload(gfp_mask & ~__GFP_HIGHMEM);
                	if (error == 0) {
                		page->mapping = mapping;
                		page->index = offset;
                		error = radix_tree_insert(&mapping->page_tree, offset, page);
                		radix_tree_preload_end();
                	}
                	return error;
                }

                int add_to_page_cache_lru(struct page *page, struct address_space *mapping,
                				pgoff_t offset, gfp_t gfp_mask)
                {
                	int ret;

                	ret = add_to_page_cache(page, mapping, offset, gfp_mask);
                	if (ret == 0)
                		lru_cache_add_file(page);
                	return ret;
                }

                struct page *find_lock_page(struct address_space *mapping, pgoff_t offset)
                {
                	struct page *page;

                repeat:
                	page = find_get_page(mapping, offset);
                	if (page) {
                		lock_page(page);
                		if (unlikely(page->mapping != mapping)) {
                			unlock_page(page);
                			page_cache_release(page);
                			goto repeat;
                		}
                	}
                	return page;
                }

                struct page *grab_cache_page_write_begin(struct address_space *mapping,
                					pgoff_t index, unsigned flags)
                {
                	int status;
                	struct page *page;
                	gfp_t gfp_notmask = 0;

                	if (flags & AOP_FLAG_NOFS)
                		gfp_notmask = __GFP_FS;
                repeat:
                	page = find_lock_page(mapping, index);
                	if (page)
                		goto found;

                	page = __page_cache_alloc(mapping_gfp_mask(mapping) & ~gfp_notmask);
                	if (!page)
                		return NULL;
                	status = add_to_page_cache_lru(page, mapping, index,
                						GFP_KERNEL & ~gfp_notmask);
                	if (unlikely(status)) {
                		page_cache_release(page);
                		if (status == -EEXIST)
                			goto repeat;
                		return NULL;
                	}
                found:
                \(getterWaits ? "\twait_on_page_writeback(page);\n" : "")\treturn page;
                }
                """,
            "fs/demofs/inode.c": """
                static int demofs_write_begin(struct file *file, struct address_space *mapping,
                			loff_t pos, unsigned len, unsigned flags,
                			struct page **pagep, void **fsdata)
                {
                	struct page *page;
                	pgoff_t index = pos >> PAGE_CACHE_SHIFT;

                	page = grab_cache_page_write_begin(mapping, index, flags);
                	if (!page)
                		return -ENOMEM;
                	*pagep = page;
                	return 0;
                }

                static const struct address_space_operations demofs_aops = {
                	.writepage	= demofs_writepage,
                	.write_begin	= demofs_write_begin,
                };
                """,
        ]
    }

    static func analyze(_ files: [String: String], version: KernelVersion) -> [Finding] {
        let tree = MemoryTree(name: "T", files: files.mapValues { Array($0.utf8) }, kernelVersion: version)
        return StablePageEngine().analyze(tree).findings
    }

    @Test func anInsertedPageIsLockedByTheBitTheInsertSets() {
        let before = Self.analyze(Self.era2639(getterWaits: false), version: KernelVersion(2, 6, 39))
        let hole = before.first { $0.function == "demofs_write_begin" }
        #expect(hole?.rule == "stable-pages/write-begin-without-wait")
        #expect(hole?.message.contains("locked but not waited for") == true, "\(hole?.message ?? "no finding")")
        #expect(!before.contains { $0.rule == "stable-pages/wait-before-lock" })

        let after = Self.analyze(Self.era2639(getterWaits: true), version: KernelVersion(2, 6, 39))
        #expect(after.isEmpty, "lock (set by the insert), then wait: \(after.map(\.message))")
    }

    /// 6.x folios: `__folio_set_locked()` is generated by a page-flags macro, so its meaning comes
    /// from a model entry (with its releases), and the getter's body does the rest.
    @Test(arguments: [false, true])
    func aFolioAddedToTheCacheIsLocked(waits: Bool) {
        let files = [
            "mm/filemap.c": """
                #include <linux/pagemap.h>

                int filemap_add_folio(struct address_space *mapping, struct folio *folio,
                				pgoff_t index, gfp_t gfp)
                {
                	int ret;

                	__folio_set_locked(folio);
                	ret = __filemap_add_folio(mapping, folio, index, gfp, NULL);
                	if (unlikely(ret))
                		__folio_clear_locked(folio);
                	else
                		folio_add_lru(folio);
                	return ret;
                }

                struct folio *demo_get_folio(struct address_space *mapping, pgoff_t index)
                {
                	struct folio *folio;
                	int err;

                	folio = filemap_alloc_folio(mapping_gfp_mask(mapping), 0);
                	if (!folio)
                		return ERR_PTR(-ENOMEM);
                	err = filemap_add_folio(mapping, folio, index, GFP_KERNEL);
                	if (err) {
                		folio_put(folio);
                		return ERR_PTR(err);
                	}
                \(waits ? "\tfolio_wait_stable(folio);\n" : "")\treturn folio;
                }
                """,
            "fs/demofs/inode.c": """
                static int demofs_write_begin(struct file *file, struct address_space *mapping,
                			loff_t pos, unsigned len, struct page **pagep, void **fsdata)
                {
                	struct folio *folio;

                	folio = demo_get_folio(mapping, pos >> PAGE_SHIFT);
                	if (IS_ERR(folio))
                		return PTR_ERR(folio);
                	*pagep = &folio->page;
                	return 0;
                }

                static const struct address_space_operations demofs_aops = {
                	.writepages	= demofs_writepages,
                	.write_begin	= demofs_write_begin,
                };
                """,
        ]
        let findings = Self.analyze(files, version: KernelVersion(6, 1))
        #expect(!findings.contains { $0.rule == "stable-pages/wait-before-lock" }, "\(findings.map(\.message))")
        if waits {
            #expect(findings.isEmpty, "\(findings.map(\.message))")
        } else {
            #expect(findings.contains { $0.message.contains("locked but not waited for") }, "\(findings.map(\.message))")
        }
    }
}

/// Issue 18, item 2: retries keep the state exact. A write_begin that loops while its helper
/// drops the lock and asks for a retry (`-EAGAIN`), and a helper that gives up with another
/// errno after unlocking, hands back a locked, waited-for page on its only successful exit.
struct RetryLoopTests {
    static let files: [String: String] = [
        "fs/demofs/addr.c": """
            static int demofs_update_page(struct file *file, struct page *page)
            {
            	int r;

            retry_locked:
            	wait_on_page_writeback(page);
            	if (demofs_snap_pending(file)) {
            		unlock_page(page);
            		r = wait_event_interruptible(demofs_wq, demofs_snap_done(file));
            		if (r == -ERESTARTSYS)
            			return r;
            		return -EAGAIN;
            	}
            	if (PageUptodate(page))
            		return 0;
            	r = demofs_readpage_nounlock(file, page);
            	if (r < 0)
            		goto fail;
            	goto retry_locked;
            fail:
            	unlock_page(page);
            	return r;
            }

            static int demofs_write_begin(struct file *file, struct address_space *mapping,
            			loff_t pos, unsigned len, unsigned flags,
            			struct page **pagep, void **fsdata)
            {
            	struct page *page;
            	int r;

            	do {
            		page = find_lock_page(mapping, pos >> PAGE_CACHE_SHIFT);
            		if (!page)
            			return -ENOMEM;
            		*pagep = page;
            		r = demofs_update_page(file, page);
            	} while (r == -EAGAIN);
            	return r;
            }

            static int demofs_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	struct page *page = vmf->page;
            	int ret;

            	lock_page(page);
            	ret = demofs_update_page(vma->vm_file, page);
            	if (ret == 0)
            		return VM_FAULT_LOCKED;
            	if (ret != -EAGAIN && ret != -ERESTARTSYS)
            		unlock_page(page);
            	return VM_FAULT_NOPAGE;
            }

            static const struct address_space_operations demofs_aops = {
            	.writepage	= demofs_writepage,
            	.write_begin	= demofs_write_begin,
            };
            static const struct vm_operations_struct demofs_vm_ops = {
            	.fault		= filemap_fault,
            	.page_mkwrite	= demofs_page_mkwrite,
            };
            """,
    ]

    @Test func errnoConstantsAndRetriesKeepThePathsApart() {
        let findings = LockBitTests.analyze(Self.files, version: KernelVersion(2, 6, 39))
        #expect(findings.isEmpty, "\(findings.map { $0.message + "\n" + $0.path.map { "  \($0.line) \($0.note)" }.joined(separator: "\n") })")
    }

    /// The same helper without its wait: both entry points are flagged, as locked-not-waited.
    @Test func withoutTheWaitBothHandlersAreFlagged() {
        let files = Self.files.mapValues { $0.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "") }
        let findings = LockBitTests.analyze(files, version: KernelVersion(2, 6, 39))
        #expect(Set(findings.map(\.function)) == ["demofs_write_begin", "demofs_page_mkwrite"], "\(findings.map(\.message))")
        #expect(findings.allSatisfy { $0.message.contains("locked but not waited for") || $0.message.contains("locked but not waited") },
                "\(findings.map(\.message))")
    }
}
