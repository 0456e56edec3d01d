import Testing
@testable import StablePages

/// How the engine decides which files to read for helpers it has no body for (issue 5's
/// "read only what can matter"): by definition, not by mention, following what entry points reach.
struct CalleeLookupTests {
    @Test func definitionShapeIsColumnZeroNameParenNoSemicolon() {
        let names = IdentifierSet(["demo_wait_helper"])
        #expect(names.definedIn(Array("static void demo_wait_helper(struct page *page)\n{\n}\n".utf8)))
        #expect(names.definedIn(Array("static int\ndemo_wait_helper(struct page *page,\n\t\tint flags)\n{\n".utf8)))
        #expect(names.definedIn(Array("static inline void demo_wait_helper(struct page *p) { wait_on_page_writeback(p); }\n".utf8)))
        // A prototype, a call, a mention in a comment, an export: not definitions.
        #expect(!names.definedIn(Array("void demo_wait_helper(struct page *page);\n".utf8)))
        #expect(!names.definedIn(Array("\tdemo_wait_helper(page);\n".utf8)))
        #expect(!names.definedIn(Array("/* demo_wait_helper() waits */\n".utf8)))
        #expect(!names.definedIn(Array("EXPORT_SYMBOL(demo_wait_helper);\n".utf8)))
        #expect(!names.definedIn(Array("static void demo_wait_helper_other(struct page *page)\n".utf8)))
    }

    /// The handler is bound in file.c and defined in write.c, and waits through a helper defined in
    /// a third file that only a *definition* search finds: the engine must read both and stay silent.
    /// Without the wait in the helper, the same tree must be flagged.
    @Test(arguments: [true, false])
    func followsEntryPointsAndHelpersAcrossFiles(helperWaits: Bool) {
        let fileC = """
            static const struct vm_operations_struct demo_vm_ops = {
            \t.fault = filemap_fault,
            \t.page_mkwrite = demo_page_mkwrite,
            };
            """
        let writeC = """
            vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
            {
            \tstruct page *page = vmf->page;

            \tlock_page(page);
            \tdemo_settle_page(page);
            \treturn VM_FAULT_LOCKED;
            }
            """
        let helperC = """
            /* demo_settle_page(page) is called from the fault path */
            void demo_settle_page(struct page *page)
            {
            \t\(helperWaits ? "wait_on_page_writeback(page);" : "set_page_dirty(page);")
            }
            """
        let tree = MemoryTree(name: "demo", files: [
            "fs/demo/file.c": Array(fileC.utf8), "fs/demo/write.c": Array(writeC.utf8),
            "fs/demo/settle.c": Array(helperC.utf8),
            // Mentions the helper, defines nothing: never needs a parse.
            "fs/demo/notes.c": Array("/* see demo_settle_page() */\nint demo_unrelated(void) { return 0; }\n".utf8),
        ])
        let result = StablePageEngine().analyze(tree)
        #expect(result.parsedPaths.contains("fs/demo/write.c"))
        #expect(result.parsedPaths.contains("fs/demo/settle.c"))
        #expect(!result.parsedPaths.contains("fs/demo/notes.c"))
        let flagged = result.findings.contains { $0.function == "demo_page_mkwrite" && $0.rule.hasSuffix("mkwrite-without-wait") }
        #expect(flagged == !helperWaits)
    }
}
