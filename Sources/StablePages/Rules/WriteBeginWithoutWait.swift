import CSyntax

/// `stable-pages/write-begin-without-wait`: a `->write_begin` hands a page back to the buffered
/// write path (returns 0 with `*pagep` set) without having waited for writeback under its lock.
public struct WriteBeginWithoutWait: TreeRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/write-begin-without-wait",
        title: "write_begin hands back a page that may be under writeback",
        rationale: """
            generic_perform_write() copies user data into the page ->write_begin returns, right after \
            it returns. If that page is under writeback the copy changes it in flight. The 2011 series \
            fixed this for everyone in grab_cache_page_write_begin(); a write_begin that finds or \
            allocates its page another way (find_lock_page(), its own cache lookup) must wait itself, \
            under the page lock.
            """,
        severity: .error,
        confidence: .high,
        errs: "towards silence: pages from callees without a body or a model entry are assumed stable only if the model says so",
        triggering: [
            RuleExample("find_lock_page never waits", """
                static int foo_write_begin(struct file *file, struct address_space *mapping, //~ finding
                			   loff_t pos, unsigned len, unsigned flags,
                			   struct page **pagep, void **fsdata)
                {
                	struct page *page;

                	page = find_lock_page(mapping, pos >> PAGE_CACHE_SHIFT);
                	if (!page)
                		return -ENOMEM;
                	*pagep = page;
                	return 0;
                }
                static const struct address_space_operations foo_aops = {
                	.writepage	= foo_writepage,
                	.write_begin	= foo_write_begin,
                };
                """),
            RuleExample("a getter in the tree that locks but does not wait", """
                static struct page *foo_grab(struct address_space *mapping, pgoff_t index)
                {
                	struct page *page = find_or_create_page(mapping, index, GFP_NOFS);
                	return page;
                }
                static int foo_write_begin(struct file *file, struct address_space *mapping, //~ finding
                			   loff_t pos, unsigned len, unsigned flags,
                			   struct page **pagep, void **fsdata)
                {
                	struct page *page = foo_grab(mapping, pos >> PAGE_CACHE_SHIFT);

                	if (!page)
                		return -ENOMEM;
                	*pagep = page;
                	return 0;
                }
                static const struct address_space_operations foo_aops = {
                	.writepage	= foo_writepage,
                	.write_begin	= foo_write_begin,
                };
                """),
        ],
        nonTriggering: [
            RuleExample("waits under the lock before handing the page back", """
                static int foo_write_begin(struct file *file, struct address_space *mapping,
                			   loff_t pos, unsigned len, unsigned flags,
                			   struct page **pagep, void **fsdata)
                {
                	struct page *page = find_lock_page(mapping, pos >> PAGE_CACHE_SHIFT);

                	if (!page)
                		return -ENOMEM;
                	wait_on_page_writeback(page);
                	*pagep = page;
                	return 0;
                }
                static const struct address_space_operations foo_aops = {
                	.writepage	= foo_writepage,
                	.write_begin	= foo_write_begin,
                };
                """),
            RuleExample("__filemap_get_folio with FGP_WRITEBEGIN locks and waits", """
                static int foo_write_begin(struct file *file, struct address_space *mapping,
                			   loff_t pos, unsigned len, struct page **pagep, void **fsdata)
                {
                	struct folio *folio;

                	folio = __filemap_get_folio(mapping, pos >> PAGE_SHIFT, FGP_WRITEBEGIN, mapping_gfp_mask(mapping));
                	if (!folio)
                		return -ENOMEM;
                	*pagep = &folio->page;
                	return 0;
                }
                static const struct address_space_operations foo_aops = {
                	.writepage	= foo_writepage,
                	.write_begin	= foo_write_begin,
                };
                """),
        ]
    )

    public func check(_ context: RuleContext) -> [Finding] {
        context.summarisedEntryPoints([.writeBegin], rule: description).compactMap { entry in
            let bad = entry.summary.outcomes.filter { $0.isWritableWriteBeginExit && !$0.pageIsStable && !$0.waitedOnlyUnlocked }
            guard let first = bad.first else { return nil }
            return context.finding(description, on: entry,
                                   message: "\(entry.function)() hands back a page \(first.locked ? "locked but not waited for" : "that is not locked") (\(bad.count) path\(bad.count == 1 ? "" : "s"))",
                                   paths: bad.map(\.path))
        }
    }
}
