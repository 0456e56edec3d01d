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

/// Issue 12, "scope: the whole tree" without reading all of it: a helper's body is looked for
/// where the compiler would see it — the caller's file, any `.c` file (exported), and the headers
/// the files read include — never in a header nothing includes.
struct IncludeVisibilityTests {
    /// A page_mkwrite that waits, if at all, through `demo_settle_page()` from `<linux/demo.h>`.
    static let handler = """
        #include <linux/demo.h>

        static vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
        {
        \tstruct page *page = vmf->page;

        \tlock_page(page);
        \tdemo_settle_page(page);
        \treturn VM_FAULT_LOCKED;
        }

        static const struct vm_operations_struct demo_vm_ops = {
        \t.fault = filemap_fault,
        \t.page_mkwrite = demo_page_mkwrite,
        };
        """

    @Test func includeLinesAreReadInEveryShape() {
        let text = """
            #include <linux/fs.h>
            # include "internal.h"
              #  include   <asm/page.h>
            #include MACRO_HEADER
            #define include_not(x) x
            /* #include "comment.h" is text */
            static int demo(void)
            {
            \treturn 0;
            }
            """
        let shapes = DefinitionShapes.scan(Array(text.utf8))
        #expect(shapes.includes == [IncludeDirective(name: "linux/fs.h", quoted: false),
                                    IncludeDirective(name: "internal.h", quoted: true),
                                    IncludeDirective(name: "asm/page.h", quoted: false)])
        #expect(shapes.definedNames == [DefinitionShapes.nameHash("demo")])
    }

    @Test func includesResolveTheWayTheBuildFindsThem() {
        let resolver = IncludeResolver(headers: [
            "include/linux/pagemap.h", "include/uapi/linux/fs.h", "arch/x86/include/asm/page.h",
            "arch/arm/include/asm/page.h", "mm/internal.h", "fs/ext4/internal.h",
            "drivers/gpu/drm/amd/display/dc/dc.h", "include/asm-x86/cacheflush.h",
        ], sources: ["mm/filemap.c", "fs/ext4/inode.c"])
        func resolve(_ name: String, quoted: Bool, from file: String) -> [String] {
            resolver.resolve(IncludeDirective(name: name, quoted: quoted), from: file).sorted()
        }
        #expect(resolve("internal.h", quoted: true, from: "mm/filemap.c") == ["mm/internal.h"])
        #expect(resolve("../../mm/internal.h", quoted: true, from: "fs/ext4/inode.c") == ["mm/internal.h"])
        #expect(resolve("linux/pagemap.h", quoted: false, from: "mm/filemap.c") == ["include/linux/pagemap.h"])
        #expect(resolve("linux/fs.h", quoted: false, from: "mm/filemap.c") == ["include/uapi/linux/fs.h"])
        #expect(resolve("asm/page.h", quoted: false, from: "mm/filemap.c") == ["arch/arm/include/asm/page.h", "arch/x86/include/asm/page.h"])
        #expect(resolve("asm/cacheflush.h", quoted: false, from: "mm/filemap.c") == ["include/asm-x86/cacheflush.h"])
        // A Makefile's -I: found by the end of its path.
        #expect(resolve("dc.h", quoted: true, from: "drivers/gpu/drm/amd/amdgpu/amdgpu_dm.c") == ["drivers/gpu/drm/amd/display/dc/dc.h"])
        #expect(resolve("nothere.h", quoted: true, from: "mm/filemap.c").isEmpty)
        #expect(IncludeResolver.normalized("../x.h") == nil)
    }

    /// Include names worked out when first asked land where an index of every header's names
    /// (how the resolver was built before) puts them, in the same order.
    @Test func includeNamesAskedLazilyLandWhereAnIndexOfAllWould() {
        let headers = [
            "include/linux/mm.h", "include/uapi/linux/mm.h", "arch/x86/include/asm/mm.h", "arch/x86/include/uapi/asm/mm.h",
            "include/asm-generic/mm.h", "include/asm-x86/mm.h", "include/asm-arm/mach/mm.h", "tools/include/linux/mm.h",
            "drivers/x/include/include/mm.h", "include/mm.h", "mm.h", "fs/include/linux/mm.h", "include/linux/uapi/mm.h",
            "include/asm-/mm.h", "x/include/asm-generic/mm.h", "x/include/uapi/asm-arm/mm.h", "myinclude/linux/mm.h",
            "include/asm-arm/include/mm.h", "asm-x86/mm.h", "include/uapi/mm.h", "x/include/asm-sh/linux/mm.h",
            "include/asm-generic/ü.h", "include/asm-ü/mm.h", "include/asm-x86/ü.h", "include/ü/mm.h",
        ].sorted()
        var index: [String: [String]] = [:]
        for path in headers {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() where part == "include" && i + 1 < parts.count {
                var tail = Array(parts[(i + 1)...])
                var names = [tail.joined(separator: "/")]
                if tail.count > 1 && tail[0] == "uapi" { tail.removeFirst(); names.append(tail.joined(separator: "/")) }
                if tail.count > 1 && tail[0].hasPrefix("asm-") && tail[0] != "asm-generic" {
                    names.append((["asm"] + tail.dropFirst()).joined(separator: "/"))
                }
                for name in names { index[name, default: []].append(path) }
            }
        }
        let resolver = IncludeResolver(headers: headers, sources: [])
        let names = Set(index.keys).union(["mm.h", "linux//mm.h", "asm/mach/mm.h", "nothere/mm.h", "include/mm.h", "/mm.h", "linux/",
                                            "asm/ü.h", "ü.h"])
        for name in names.sorted() {
            let expected = index[name]
                ?? headers.filter { $0 == name || $0.hasSuffix("/" + name) }
            #expect(resolver.resolve(IncludeDirective(name: name, quoted: false), from: "fs/a.c") == expected, "\(name)")
        }
    }

    /// The same inline helper in two headers: only the one the handler's file includes (directly
    /// or through another header) is read, and its body decides the finding.
    @Test(arguments: [true, false])
    func onlyIncludedHeadersAreRead(includesTheWaitingHeader: Bool) {
        let tree = MemoryTree(name: "demo", files: [
            "fs/demo/file.c": Array(Self.handler.utf8),
            "include/linux/demo.h": Array((includesTheWaitingHeader ? "#include \"demo_wait.h\"\n" : "#include <linux/demo_nowait.h>\n").utf8),
            "include/linux/demo_wait.h": Array("static inline void demo_settle_page(struct page *page)\n{\n\twait_on_page_writeback(page);\n}\n".utf8),
            "include/linux/demo_nowait.h": Array("static inline void demo_settle_page(struct page *page)\n{\n\tset_page_dirty(page);\n}\n".utf8),
        ])
        let result = StablePageEngine().analyze(tree)
        #expect(result.parsedPaths.contains(includesTheWaitingHeader ? "include/linux/demo_wait.h" : "include/linux/demo_nowait.h"))
        #expect(!result.parsedPaths.contains(includesTheWaitingHeader ? "include/linux/demo_nowait.h" : "include/linux/demo_wait.h"))
        let flagged = result.findings.contains { $0.function == "demo_page_mkwrite" && $0.rule.hasSuffix("mkwrite-without-wait") }
        #expect(flagged == !includesTheWaitingHeader)
    }
}

extension IncludeVisibilityTests {
    /// A later tree whose only change is what an included header includes is analysed again
    /// (another body comes into view); a change to a header nothing includes is not.
    @Test func aChangedIncludeLineIsAChangeTheAnalysisReads() {
        func tree(_ name: String, demoH: String, unrelated: String) -> MemoryTree {
            let files: [String: String] = [
                "fs/demo/file.c": Self.handler,
                "include/linux/demo.h": demoH,
                "include/linux/demo_wait.h": "static inline void demo_settle_page(struct page *page)\n{\n\twait_on_page_writeback(page);\n}\n",
                "include/linux/unrelated.h": unrelated,
            ]
            // Content ids as git would give them: equal bytes, equal ids.
            return MemoryTree(name: name, files: files.mapValues { Array($0.utf8) },
                              ids: files.mapValues { String($0.hashValue, radix: 16) })
        }
        let t0 = tree("T0", demoH: "/* nothing yet */\n", unrelated: "#define A 1\n")
        let t1 = tree("T1", demoH: "/* nothing yet */\n", unrelated: "#define A 2\n#include <linux/demo_wait.h>\n")
        let t2 = tree("T2", demoH: "#include \"demo_wait.h\"\n", unrelated: "#define A 2\n#include <linux/demo_wait.h>\n")
        let (findings, analysed) = StablePageEngine().reviewTrees([t0, t1, t2], series: nil)
        #expect(analysed == [true, false, true])
        let hole = findings.first { $0.function == "demo_page_mkwrite" }
        #expect(hole?.presentIn == [0, 1])
        #expect(hole?.resolvedBy == 2)
    }
}

extension IncludeVisibilityTests {
    /// A `.c` file that a `.c` file includes is one of the files read, once (it is both a `.c`
    /// file of the scope and a file the include closure reaches).
    @Test func anIncludedSourceFileIsReadOnce() {
        let tree = MemoryTree(name: "demo", files: [
            "fs/demo/file.c": Array(Self.handler.replacingOccurrences(of: "#include <linux/demo.h>", with: "#include \"settle.c\"").utf8),
            "fs/demo/settle.c": Array("void demo_settle_page(struct page *page)\n{\n\tset_page_dirty(page);\n}\n".utf8),
        ])
        let result = StablePageEngine().analyze(tree)
        #expect(result.filesParsed == 2)
        #expect(result.findings.filter { $0.rule.hasSuffix("mkwrite-without-wait") }.map(\.function) == ["demo_page_mkwrite"])
    }
}
