import Testing
@testable import StablePages

struct UserConfigurationTests {
    @Test func readsWaitsNotApplicableAndSuppressions() throws {
        let config = try UserConfiguration.parse("""
            # a tree's additions
            [[wait]]
            function = "foo_wait_on_page_writeback"
            argument = -1
            reason = "foo waits on its own list"   # trailing comment

            [[not-applicable]]
            path-prefix = "drivers/foo/"
            reason = "device memory"

            [[suppress]]
            rule = "stable-pages/mkwrite-without-wait"
            function = "bar_page_mkwrite"
            reason = "tracked in \\"bug 1\\""
            """, file: ".spw-review.toml")
        #expect(config.waits.map(\.function) == ["foo_wait_on_page_writeback"])
        #expect(config.waits.first?.effect == .waitsForWriteback(argument: -1))
        #expect(config.notApplicable.first?.pathPrefix == "drivers/foo/")
        #expect(config.suppressions.first?.reason == "tracked in \"bug 1\"")
    }

    @Test(arguments: [
        ("[[wait]]\nfunction = foo\nreason = \"r\"\n", 2, "cannot read value 'foo'"),
        ("[[frobnicate]]\n", 1, "unknown table [[frobnicate]]"),
        ("function = \"x\"\n", 1, "key outside a [[table]]"),
        ("[[suppress]]\nrule = \"r\"\nreason = \"x\"\n", 1, "[[suppress]] needs function"),
        ("[[wait]]\nfunction = \"f\"\n", 1, "[[wait]] needs reason"),
        // Unknown keys, duplicates and wrong types, at their own line.
        ("[[wait]]\nfunction = \"f\"\nreason = \"r\"\n\n[[wait]]\nfucntion = \"g\"\nreason = \"r\"\n", 6, "unknown key 'fucntion' in [[wait]]"),
        ("[[wait]]\nfunction = \"f\"\nargument = \"page\"\nreason = \"r\"\n", 3, "argument must be an integer, not a string"),
        ("[[suppress]]\nrule = 1\nfunction = \"f\"\nreason = \"r\"\n", 2, "rule must be a non-empty string, not an integer"),
        ("[[suppress]]\nrule = \"r\"\nrule = \"s\"\nfunction = \"f\"\nreason = \"r\"\n", 3, "duplicate key 'rule'"),
        ("[[not-applicable]]\nreason = \"r\"\n", 1, "needs function-prefix or path-prefix"),
        ("[[wait]]\nfunction = 'f\nreason = \"r\"\n", 2, "unterminated string"),
        // A basic string ends at its first unescaped quote; unknown escapes are refused.
        ("[[wait]]\nfunction = \"a\" \"b\"\nreason = \"r\"\n", 2, "text after the closing quote"),
        ("[[wait]]\nfunction = \"a\\qb\"\nreason = \"r\"\n", 2, "unknown escape \\q"),
        // What made TOMLKit 0.6.0 (toml++) abort on an assertion: an error here, nothing worse.
        ("[[\n[[not-applicable]]\npath-prefit\"\nfunction = \"f\"\nrea[[suppres\\\"x\\\"\"\n", 1, "expected ]] to close the table name"),
    ] as [(String, Int, String)])
    func errorsNameTheFileAndLine(_ text: String, _ line: Int, _ message: String) {
        do {
            _ = try UserConfiguration.parse(text, file: "t.toml")
            Issue.record("accepted: \(text)")
        } catch let error as UserConfiguration.ConfigError {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("t.toml:\(line): error: "))
            #expect(error.message.contains(message), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func literalStringsAndCommentsInsideStrings() throws {
        let config = try UserConfiguration.parse("""
            [[not-applicable]]
            path-prefix = 'drivers/#odd/'   # a literal string keeps its #
            reason = "device # memory"
            """, file: "t.toml")
        #expect(config.notApplicable.first?.pathPrefix == "drivers/#odd/")
        #expect(config.notApplicable.first?.reason.hasPrefix("device # memory") == true)
    }

    /// A file saved on Windows (CRLF) reads as the same file; `"...\\"` closes before a comment.
    @Test func crlfLinesAndEscapedBackslashes() throws {
        let config = try UserConfiguration.parse(
            "[[not-applicable]]\r\npath-prefix = \"drivers\\\\\"   # a comment \"with quotes\r\nreason = \"r\"\r\n",
            file: "t.toml")
        #expect(config.notApplicable.first?.pathPrefix == "drivers\\")
        #expect(config.notApplicable.first?.reason.hasPrefix("r ") == true)
    }

    @Test func privateWaitsAndSuppressionsChangeTheFindings() throws {
        let code = """
            static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	lock_page(vmf->page);
            	foo_wait_on_page_writeback(vmf->page);
            	return VM_FAULT_LOCKED;
            }
            static int bar_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
            {
            	lock_page(vmf->page);
            	return VM_FAULT_LOCKED;
            }
            static const struct vm_operations_struct foo_vm_ops = { .page_mkwrite = foo_page_mkwrite };
            static const struct vm_operations_struct bar_vm_ops = { .page_mkwrite = bar_page_mkwrite };
            """
        let tree = MemoryTree(name: "t", files: ["fs/foo.c": Array(code.utf8)])
        let plain = StablePageEngine().analyze(tree).findings.map(\.function)
        #expect(Set(plain) == ["foo_page_mkwrite", "bar_page_mkwrite"])
        let config = try UserConfiguration.parse("""
            [[wait]]
            function = "foo_wait_on_page_writeback"
            reason = "foo's own wait"
            [[suppress]]
            rule = "stable-pages/mkwrite-without-wait"
            function = "bar_page_mkwrite"
            reason = "known"
            """, file: "t.toml")
        let configured = StablePageEngine(model: config.apply(to: .builtIn)).analyze(tree).findings
        #expect(configured.isEmpty, "\(configured.map(\.message))")
    }
}
