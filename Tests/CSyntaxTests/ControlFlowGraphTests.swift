import Testing
@testable import CSyntax

struct CFGView {
    let graph: ControlFlowGraph
    let file: ParsedFile

    init(_ source: String, _ function: String = "f") {
        file = parse(source)
        graph = file.cfg(function)
    }

    /// "kind" or "kind(condition)" for every edge, in creation order.
    var edgeKinds: [String] {
        graph.edges.map { e in
            var s = e.kind.rawValue
            if let c = e.condition { s += "(\(file.normalizedText(of: c)))" }
            if let v = e.caseValue { s += "(\(file.normalizedText(of: v)))" }
            if let l = e.label { s += "(\(l))" }
            return s
        }
    }

    var returns: [String] {
        graph.returnExits.map { $0.returnExpression.map { file.normalizedText(of: $0) } ?? "void" }
    }

    func count(_ kind: ControlFlowGraph.EdgeKind) -> Int { graph.edges.filter { $0.kind == kind }.count }

    /// Whether `to` is reachable from the entry.
    func reachable(_ predicate: (ControlFlowGraph.Block) -> Bool) -> Bool {
        var seen = Set<Int>(), stack = [graph.entry]
        while let b = stack.popLast() {
            if !seen.insert(b).inserted { continue }
            if predicate(graph.blocks[b]) { return true }
            stack += graph.successors(of: b)
        }
        return false
    }

    func blockContaining(_ text: String) -> ControlFlowGraph.Block? {
        graph.blocks.first { b in b.items.contains { file.normalizedText(of: $0).contains(text) } }
    }
}

@Suite struct ControlFlowGraphTests {
    @Test func ifElseWithReturns() {
        let v = CFGView("""
        int f(int ret)
        {
        \tif (ret == VM_FAULT_LOCKED)
        \t\treturn VM_FAULT_LOCKED | VM_FAULT_RETRY;
        \telse
        \t\tunlock();
        \treturn 0;
        }
        """)
        #expect(v.edgeKinds.filter { $0.hasPrefix("true") || $0.hasPrefix("false") }
            == ["trueBranch(ret == VM_FAULT_LOCKED)", "falseBranch(ret == VM_FAULT_LOCKED)"])
        #expect(v.returns == ["VM_FAULT_LOCKED | VM_FAULT_RETRY", "0"])
        #expect(v.graph.returnExits.map(\.firstLine) == [4, 7])
        #expect(!v.graph.blocks.contains { $0.kind == .fallOffExit })
        // The condition's block records the condition.
        let conditionBlock = v.graph.blocks.first { $0.condition != nil }!
        #expect(v.file.normalizedText(of: conditionBlock.condition!) == "ret == VM_FAULT_LOCKED")
    }

    @Test func shortCircuitSplitsConditions() {
        let v = CFGView("void f(void)\n{\n\tif (a && (b || !c))\n\t\tx();\n}\n")
        #expect(v.edgeKinds.filter { $0.hasPrefix("true") || $0.hasPrefix("false") } == [
            "trueBranch(a)", "falseBranch(a)", "trueBranch(b)", "falseBranch(b)",
            "trueBranch(c)", "falseBranch(c)",
        ])
        // `!c`: the true edge of c leads where the false edge of the whole condition goes.
        let trueC = v.graph.edges.first { $0.kind == .trueBranch && v.file.normalizedText(of: $0.condition!) == "c" }!
        let falseA = v.graph.edges.first { $0.kind == .falseBranch && v.file.normalizedText(of: $0.condition!) == "a" }!
        #expect(trueC.to == falseA.to)
        #expect(v.graph.blocks.filter { $0.kind == .fallOffExit }.count == 1)
    }

    @Test func switchFallThroughAndDefault() {
        let v = CFGView("""
        int f(int x)
        {
        \tswitch (x) {
        \tcase 1:
        \t\ta();
        \tcase 2 ... 4:
        \t\tb();
        \t\tbreak;
        \tdefault:
        \t\treturn -1;
        \t}
        \treturn 0;
        }
        """)
        #expect(v.edgeKinds.filter { $0.hasPrefix("switch") } == ["switchCase(1)", "switchCase(2)", "switchDefault"])
        let case2 = v.graph.edges.first { $0.kind == .switchCase && $0.caseRangeEnd != nil }!
        #expect(v.file.normalizedText(of: case2.caseRangeEnd!) == "4")
        // case 1 falls through into case 2.
        let blockA = v.blockContaining("a ( )")!
        #expect(v.graph.successors(of: blockA.id) == [case2.to])
        #expect(v.count(.breakJump) == 1)
        #expect(v.returns == ["- 1", "0"])
    }

    @Test func switchWithoutDefaultCanSkip() {
        let v = CFGView("void f(int x)\n{\n\tswitch (x) {\n\tcase 1:\n\t\ta();\n\t}\n\tb();\n}\n")
        let switchBlock = v.graph.blocks.first { $0.condition != nil }!
        let kinds = switchBlock.outgoing.map { v.graph.edges[$0].kind }
        #expect(kinds == [.switchCase, .switchDefault])
    }

    @Test func gotoOut() {
        let v = CFGView("""
        int f(void)
        {
        \tint err = a();
        \tif (err)
        \t\tgoto out;
        \terr = b();
        out:
        \tcleanup();
        \treturn err;
        }
        """)
        let gotoEdge = v.graph.edges.first { $0.kind == .goto }!
        #expect(gotoEdge.label == "out")
        #expect(v.graph.blocks[gotoEdge.to].label == "out")
        // The label block is also entered by falling through from `err = b()`.
        #expect(v.graph.blocks[gotoEdge.to].incoming.count == 2)
        #expect(v.returns == ["err"])
    }

    @Test func undefinedGotoTargetIsUnknown() {
        let v = CFGView("void f(void)\n{\n\tgoto nowhere;\n}\n")
        let gotoEdge = v.graph.edges.first { $0.kind == .goto }!
        #expect(v.graph.blocks[gotoEdge.to].kind == .unknown)
    }

    @Test func loopsWithBreakAndContinue() {
        let v = CFGView("""
        void f(int n)
        {
        \twhile (n) {
        \t\tif (a())
        \t\t\tcontinue;
        \t\tif (b())
        \t\t\tbreak;
        \t\tn--;
        \t}
        \tdone();
        }
        """)
        #expect(v.count(.loopBack) == 1)
        #expect(v.count(.continueJump) == 1)
        #expect(v.count(.breakJump) == 1)
        let header = v.graph.blocks.first { $0.condition.map { v.file.normalizedText(of: $0) } == "n" }!
        let continueEdge = v.graph.edges.first { $0.kind == .continueJump }!
        #expect(continueEdge.to == header.id)
        let breakEdge = v.graph.edges.first { $0.kind == .breakJump }!
        let exitEdge = v.graph.edges.first { $0.kind == .falseBranch && $0.from == header.id }!
        #expect(breakEdge.to == exitEdge.to)
    }

    @Test func forAndDoWhile() {
        let v = CFGView("""
        void f(void)
        {
        \tfor (i = 0; i < n; i++)
        \t\tif (x(i)) continue;
        \tdo { y(); } while (0);
        \tfor (;;) { if (z()) break; }
        }
        """)
        // continue in a for loop goes to the step block, which loops back to the header.
        let continueEdge = v.graph.edges.first { $0.kind == .continueJump }!
        let step = v.graph.blocks[continueEdge.to]
        #expect(step.items.map { v.file.normalizedText(of: $0) } == ["i ++"])
        #expect(v.graph.edges[step.outgoing[0]].kind == .loopBack)
        // `while (0)` never loops back; `for (;;)` has no false edge.
        #expect(!v.edgeKinds.contains("trueBranch(0)"))
        #expect(v.edgeKinds.contains("falseBranch(0)"))
        #expect(v.reachable { $0.kind == .fallOffExit })
    }

    @Test func iteratorLoop() {
        let v = CFGView("void f(void)\n{\n\tlist_for_each_entry(p, &head, lru) {\n\t\tif (p->x) break;\n\t}\n}\n")
        #expect(v.count(.iterate) == 1 && v.count(.iterationDone) == 1 && v.count(.loopBack) == 1)
        let header = v.graph.blocks[v.graph.edges.first { $0.kind == .iterate }!.from]
        #expect(v.file.calleeName(of: header.condition!) == "list_for_each_entry")
    }

    @Test func preprocessorAlternativesAreBothPaths() {
        let v = CFGView("""
        int f(void)
        {
        #ifdef CONFIG_A
        \treturn a();
        #else
        \treturn b();
        #endif
        }
        """)
        #expect(v.count(.preprocessorBranch) == 2)
        #expect(v.returns == ["a ( )", "b ( )"])
    }

    @Test func unknownStatementsFallThrough() {
        let f = parse("void f(void)\n{\n\ta();\n\t@@@ junk;\n\tb();\n}\n")
        let g = f.cfg("f")
        let unknown = g.blocks.first { $0.kind == .unknown }!
        #expect(g.edges[unknown.outgoing[0]].kind == .unknown)
        let v = CFGView("void f(void)\n{\n\ta();\n\t@@@ junk;\n\tb();\n}\n")
        #expect(v.reachable { b in b.items.contains { v.file.normalizedText(of: $0) == "b ( ) ;" } })
    }

    @Test func asmGotoEdges() {
        let v = CFGView("int f(void)\n{\n\tasm goto(\"jmp %l0\" :::: slow);\n\treturn 0;\nslow:\n\treturn 1;\n}\n")
        #expect(v.edgeKinds.contains("goto(slow)"))
        #expect(v.returns == ["0", "1"])
    }
}

struct DisplayTextTests {
    /// The condition of the first `if` in `f`, as a message would show it.
    func shown(_ condition: String) -> String {
        let v = CFGView("void f(void)\n{\n\tif (\(condition))\n\t\tx();\n}\n")
        let block = v.graph.blocks.first { $0.condition != nil }!
        return v.file.displayText(of: block.condition!)
    }

    @Test(arguments: [
        "folio_lock_killable(folio) < 0",
        "folio_mapping(folio) != inode->i_mapping",
        "check(!PageUptodate(page), flags & ~PG_locked)",
        "vmf->page->mapping == NULL",
        "ret & (VM_FAULT_ERROR | VM_FAULT_LOCKED)",
        "*pagep == NULL",
        "x[i] - -y",
        "sizeof(struct page) > n++",
        "f(a, &b, ~c, --d)",
        "wbc.sync_mode == WB_SYNC_ALL",
    ])
    func kernelSpacingSurvivesTheRoundTrip(condition: String) {
        #expect(shown(condition) == condition)
    }

    @Test func comparisonsKeepTheirOwnStableSpacing() {
        let v = CFGView("void f(void)\n{\n\tif (lock_page(p) < 0)\n\t\tx();\n}\n")
        let block = v.graph.blocks.first { $0.condition != nil }!
        #expect(v.file.normalizedText(of: block.condition!) == "lock_page ( p ) < 0")
    }
}

struct ExpressionSpanTests {
    /// A parenthesised operand is its inner node; the enclosing node must still cover the
    /// parentheses, or its text (shown in findings' paths) loses a ')' or a '('.
    @Test(arguments: [
        "ret & (A | B)",
        "(a + b) * c",
        "(*pagep)->index",
        "(f)(x) == 0",
        "(y = (b)) > 0",
        "(p)[i]++ < n",
        "(a) ? (b) : (c)",
    ])
    func nodesCoverTheParenthesesOfTheirOperands(condition: String) {
        let v = CFGView("void f(void)\n{\n\tif (\(condition))\n\t\tx();\n}\n")
        let block = v.graph.blocks.first { $0.condition != nil }!
        #expect(v.file.text(of: block.condition!) == condition)
    }
}
