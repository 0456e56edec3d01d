import Testing
@testable import StablePages

/// A finding's path is for a reviewer to read: it names the calls that matter to the page and
/// leaves out helpers that cannot (`folio_index()`-like getters of numbers).
struct PathStepTests {
    @Test func quietHelpersAreLeftOutAndPageHelpersStay() throws {
        let code = """
            static const struct vm_operations_struct demo_vm_ops = {
            \t.fault = filemap_fault,
            \t.page_mkwrite = demo_page_mkwrite,
            };

            static unsigned long demo_index(struct page *page)
            {
            \treturn page->index;
            }

            static void demo_relock(struct page *page)
            {
            \tlock_page(page);
            }

            vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
            {
            \tstruct page *page = vmf->page;
            \tunsigned long index = demo_index(page);

            \tdemo_relock(page);
            \tif (index > 10)
            \t\treturn VM_FAULT_NOPAGE;
            \treturn VM_FAULT_LOCKED;
            }
            """
        let tree = MemoryTree(name: "demo", files: ["fs/demo/file.c": Array(code.utf8)])
        let finding = try #require(StablePageEngine().analyze(tree).findings.first { $0.function == "demo_page_mkwrite" })
        let notes = finding.path.map(\.note)
        #expect(!notes.contains { $0.hasPrefix("demo_index()") })
        #expect(notes.contains { $0.hasPrefix("demo_relock(): page locked, not waited for") })
        #expect(notes.contains("!(index > 10)"))
        #expect(notes.contains("return VM_FAULT_LOCKED (page handed back locked)"))
    }
}
