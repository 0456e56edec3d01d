import Testing
@testable import CSyntax

/// Wraps statements in a function and returns the s-expressions of the body's statements.
func statements(_ body: String, recoveries: Int = 0, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
    let f = parse("void f(void)\n{\n\(body)\n}\n")
    #expect(f.functionNames == ["f"], sourceLocation: sourceLocation)
    #expect(f.recoveries.count == recoveries, "\(f.recoveries)", sourceLocation: sourceLocation)
    return f.bodyStatements("f").map { f.sexp($0) }
}

@Suite struct StatementTests {
    @Test func ifElseChains() {
        let s = statements("if (a) b(); else if (c) { d(); } else e();")
        #expect(s == ["(ifStatement (identifier a) (expressionStatement (call (identifier b))) (ifStatement (identifier c) (compound (expressionStatement (call (identifier d)))) (expressionStatement (call (identifier e)))))"])
    }

    @Test func switchWithRangesAndDefault() {
        let s = statements("switch (x) {\ncase 1 ... 3:\ncase FOO:\n\ty();\n\tbreak;\ndefault:\n\treturn;\n}")
        #expect(s == ["(switchStatement (identifier x) (compound (caseLabel (numberLiteral 1) (numberLiteral 3)) (caseLabel (identifier FOO)) (expressionStatement (call (identifier y))) (breakStatement) (defaultLabel) (returnStatement)))"])
    }

    @Test func loops() {
        let s = statements("""
        while (n--) continue;
        do { x(); } while (0);
        for (int i = 0; i < n; i++) ;
        for (;;) break;
        """)
        #expect(s == [
            "(whileLoop (postfix minusMinus (identifier n)) (continueStatement))",
            "(doWhileLoop (compound (expressionStatement (call (identifier x)))) (numberLiteral 0))",
            "(forLoop (declaration (initDeclarator i (numberLiteral 0))) (binary less (identifier i) (identifier n)) (postfix plusPlus (identifier i)) (emptyStatement))",
            "(forLoop _ _ _ (breakStatement))",
        ])
    }

    @Test func gotoAndLabels() {
        let s = statements("if (err)\n\tgoto out;\nx = 1;\nout:\n\treturn;\nrelease: __maybe_unused;")
        #expect(s[0] == "(ifStatement (identifier err) (gotoStatement out) _)")
        #expect(s[2] == "(label out)")
        #expect(s[4] == "(label release)")
    }

    @Test func iteratorMacros() {
        let s = statements("""
        list_for_each_entry(page, &list, lru) {
        \tput_page(page);
        }
        for_each_online_cpu(cpu)
        \tsum += per_cpu(x, cpu);
        xa_for_each(&xa, index, entry) count++;
        """)
        #expect(s[0].hasPrefix("(iteratorLoop (call (identifier list_for_each_entry) (identifier page) (unary ampersand (identifier list)) (identifier lru)) (compound"))
        #expect(s[1].hasPrefix("(iteratorLoop (call (identifier for_each_online_cpu) (identifier cpu)) (expressionStatement (assignment plusAssign"))
        #expect(s[2].hasPrefix("(iteratorLoop (call (identifier xa_for_each)"))
    }

    @Test func statementMacroWithoutSemicolon() {
        let f = parse("void f(void)\n{\n\tDECLARE_THING(x)\n\tfoo();\n}\n")
        let body = f.bodyStatements("f")
        #expect(body.map { f.tree.kind($0) } == [.expressionStatement, .expressionStatement])
        #expect(f.tree[body[0]].flags & NodeFlags.noSemicolon != 0)
        #expect(f.recoveries.isEmpty)
    }

    @Test func declarations() {
        let s = statements("""
        struct page *page = NULL, **pages;
        unsigned long flags;
        size_t len = 4;
        pte_t *pte;
        u8 __iomem *base;
        const struct vm_operations_struct *ops = vma->vm_ops;
        int (*fn)(int) = helper;
        typeof(*p) tmp;
        DEFINE_WAIT(wait);
        """)
        #expect(s[0] == "(declaration (initDeclarator page (identifier NULL)) (initDeclarator pages))")
        #expect(s[1] == "(declaration (initDeclarator flags))")
        #expect(s[2] == "(declaration (initDeclarator len (numberLiteral 4)))")
        #expect(s[3] == "(declaration (initDeclarator pte))")
        #expect(s[4] == "(declaration (initDeclarator base))")
        #expect(s[5] == "(declaration (initDeclarator ops (member vm_ops arrow (identifier vma))))")
        #expect(s[6] == "(declaration (initDeclarator fn (identifier helper)))")
        #expect(s[7] == "(declaration (initDeclarator tmp))")
        #expect(s[8] == "(expressionStatement (call (identifier DEFINE_WAIT) (identifier wait)))")
    }

    @Test func asmStatements() {
        let f = parse("void f(void)\n{\n\tasm volatile(\"nop\" ::: \"memory\");\n\tasm goto(\"jmp %l0\" :::: out);\n\treturn;\nout:\n\treturn;\n}\n")
        let kinds = f.bodyKinds("f")
        #expect(kinds == [.asmStatement, .asmStatement, .returnStatement, .label, .returnStatement])
        #expect(f.tree[f.bodyStatements("f")[1]].flags & NodeFlags.asmGoto != 0)
        #expect(f.recoveries.isEmpty)
    }

    @Test func preprocessorAlternativesInBody() {
        let f = parse("""
        int f(int x)
        {
        #ifdef CONFIG_A
        \tx = a(x);
        #elif defined(CONFIG_B)
        \tx = b(x);
        #else
        \treturn 0;
        #endif
        \treturn x;
        }
        """)
        let body = f.bodyStatements("f")
        #expect(body.map { f.tree.kind($0) } == [.preprocessorConditional, .returnStatement])
        let branches = f.tree.children(body[0])
        #expect(branches.count == 3)
        #expect(branches.map { f.tree[$0].extra } == [3, 5, 7])
        #expect(f.tree.children(branches[2]).map { f.tree.kind($0) } == [.returnStatement])
    }

    @Test func recoveryInsideStatementKeepsNeighbours() {
        let s = statements("a();\nb = = c;\nd();", recoveries: 2)
        #expect(s.count == 3)
        #expect(s[0] == "(expressionStatement (call (identifier a)))")
        #expect(s[2] == "(expressionStatement (call (identifier d)))")
    }
}

/// Shapes found on the real tree that once needed recoveries.
@Suite struct KernelIdiomTests {
    @Test func conditionalAsIfBody() {
        let f = parse("""
        void f(int negated)
        {
        \tif (!negated)
        #ifdef CONFIG_ACL
        \t\tflags |= ACL;
        #else
        \t\treturn;
        #endif
        \telse
        \t\tflags &= ~ACL;
        }
        """)
        #expect(f.recoveries.isEmpty)
        let s = f.bodyStatements("f").map { f.sexp($0) }
        #expect(s.count == 1)
        #expect(s[0].hasPrefix("(ifStatement (unary bang (identifier negated)) (preprocessorConditional (preprocessorBranch"))
        #expect(f.cfg("f").edges.filter { $0.kind == .preprocessorBranch }.count == 2)
    }

    @Test func macroTypedDeclarationsAndBareMacros() {
        let s = statements("""
        typeof_member(struct proc_ops, proc_read) read;
        GENRADIX(struct map_files_info) fa = {};
        UFS_TEST_FREE_SPACE_CG
        x++;
        """)
        #expect(s[0] == "(declaration (initDeclarator read))")
        #expect(s[1] == "(declaration (initDeclarator fa (initializerList)))")
        #expect(s[2] == "(expressionStatement (identifier UFS_TEST_FREE_SPACE_CG))")
        #expect(s[3] == "(expressionStatement (postfix plusPlus (identifier x)))")
    }

    @Test func loopMacros() {
        let s = statements("""
        do {
        \tcount++;
        } while_each_thread(g, t);
        list_for_each_entry(tp, &list, node)
        \t(void) nb->call(nb, tp);
        """)
        #expect(s[0].hasPrefix("(doWhileLoop (compound") && s[0].hasSuffix("(call (identifier while_each_thread) (identifier g) (identifier t)))"))
        #expect(s[1].hasPrefix("(iteratorLoop (call (identifier list_for_each_entry)"))
        #expect(s[1].contains("(cast (typeName void) (call (member call arrow (identifier nb))"))
    }

    @Test func unusualMacroArguments() {
        let s = statements("""
        ASSERTCMP(r, ==, 0);
        D1(if (x) printk("y"));
        p = REGISTER_PLL(SOC_ALL, .name = "plla", .ops = &pll_ops);
        q = (__user void *)(long)arg;
        s = "*" __stringify(NAME);
        """)
        #expect(s[0] == "(expressionStatement (call (identifier ASSERTCMP) (identifier r) (opaque ==) (numberLiteral 0)))")
        #expect(s[1].hasPrefix("(expressionStatement (call (identifier D1) (opaque if"))
        #expect(s[2].contains("(designatedInitializer (fieldDesignator name) (stringLiteral \"plla\"))"))
        #expect(s[3] == "(expressionStatement (assignment assign (identifier q) (cast (typeName __user void *) (cast (typeName long) (identifier arg)))))")
        #expect(s[4] == "(expressionStatement (assignment assign (identifier s) (stringLiteral \"*\" __stringify ( NAME ))))")
    }

    @Test func parenthesizedCallIsNotAFunctionPointerCast() {
        #expect(expression("a || (pte_protnone(*p) && b) || c")
            == "(binary pipePipe (binary pipePipe (identifier a) (binary ampAmp (call (identifier pte_protnone) (unary star (identifier p))) (identifier b))) (identifier c))")
        #expect(expression("(void (*)(int))fn") == "(cast (typeName void ( * ) ( int )) (identifier fn))")
    }
}
