import Testing
@testable import Series
@testable import StablePages

/// `wait-removed` reads the diff; git's hunk header names the nearest line that looks like a
/// heading, which in a function with a label is the label (`again:`). With the patched tree at
/// hand, the review names the function the removed line was in.
struct WaitRemovedNamingTests {
    static let before = """
        static vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
        {
        \tstruct page *page = vmf->page;

        again:
        \tlock_page(page);
        \tif (page->mapping != vmf->vma->vm_file->f_mapping) {
        \t\tunlock_page(page);
        \t\tgoto again;
        \t}
        \twait_on_page_writeback(page);
        \treturn VM_FAULT_LOCKED;
        }
        """

    @Test func theFunctionIsNamedFromTheTreeWhenTheHunkHeaderShowsALabel() {
        let diff = """
            --- a/fs/demo/file.c
            +++ b/fs/demo/file.c
            @@ -8,6 +8,5 @@ again:
             \t\tunlock_page(page);
             \t\tgoto again;
             \t}
            -\twait_on_page_writeback(page);
             \treturn VM_FAULT_LOCKED;
             }
            """
        var parser = DiffParser(source: "demo.diff", patchNumber: 1)
        let (files, _) = parser.parse(TextLinesForTests.split(diff), from: 0)
        let patch = Patch(number: 1, total: 1, subject: "", subjectInfo: SubjectParser.parse("[PATCH] demo: no wait"), author: nil,
                          date: nil, messageID: nil, inReplyTo: nil, message: "", trailers: [], collectedTrailers: [],
                          notes: "", diffstat: [], files: files, footer: SeriesFooter(), source: nil, diagnostics: [])
        let series = PatchSeries(title: "demo", version: "1", total: 1, coverLetter: nil, patches: [patch], replies: [],
                                 missingPatches: [], footer: SeriesFooter(), tags: [])
        let after = Self.before.replacingOccurrences(of: "\twait_on_page_writeback(page);\n", with: "")
        let t0 = MemoryTree(name: "T0", files: ["fs/demo/file.c": Array(Self.before.utf8)])
        let t1 = MemoryTree(name: "T1", files: ["fs/demo/file.c": Array(after.utf8)])
        let removed = StablePageEngine().review(trees: [t0, t1], series: series).first { $0.rule == "stable-pages/wait-removed" }
        #expect(removed?.function == "demo_page_mkwrite")
        #expect(removed?.message.contains("from demo_page_mkwrite() and adds no wait") == true, "\(removed?.message ?? "none")")
        // Without a tree the diff is all there is.
        let mailOnly = StablePageEngine().review(trees: [], series: series).first { $0.rule == "stable-pages/wait-removed" }
        #expect(mailOnly?.function == Finding.unknownFunction)
    }
}
