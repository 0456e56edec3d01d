import Testing
@testable import CSyntax

/// The s-expression of the expression in `return EXPR;`.
func expression(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
    let f = parse("int f(void)\n{\n\treturn \(text);\n}\n")
    #expect(f.recoveries.isEmpty, "\(f.recoveries)", sourceLocation: sourceLocation)
    guard let r = f.bodyStatements("f").first, let e = f.tree.child(r, 0) else { return "" }
    return f.sexp(e)
}

@Suite struct ExpressionTests {
    @Test func callsMembersAndAddressOf() {
        #expect(expression("ops->fault(vmf, &page)")
            == "(call (member fault arrow (identifier ops)) (identifier vmf) (unary ampersand (identifier page)))")
        #expect(expression("vmf->page->mapping") == "(member mapping arrow (member page arrow (identifier vmf)))")
        #expect(expression("a.b[i]") == "(arraySubscript (member b dot (identifier a)) (identifier i))")
    }

    @Test func precedenceAndFlags() {
        #expect(expression("VM_FAULT_LOCKED | VM_FAULT_RETRY")
            == "(binary pipe (identifier VM_FAULT_LOCKED) (identifier VM_FAULT_RETRY))")
        #expect(expression("a + b * c == d && !e")
            == "(binary ampAmp (binary equalEqual (binary plus (identifier a) (binary star (identifier b) (identifier c))) (identifier d)) (unary bang (identifier e)))")
        #expect(expression("a - b - c") == "(binary minus (binary minus (identifier a) (identifier b)) (identifier c))")
    }

    @Test func assignmentsAreRightAssociative() {
        #expect(expression("*pagep = page") == "(assignment assign (unary star (identifier pagep)) (identifier page))")
        #expect(expression("a = b |= c")
            == "(assignment assign (identifier a) (assignment pipeAssign (identifier b) (identifier c)))")
    }

    @Test func conditionalsIncludingElvis() {
        #expect(expression("ret ? ret : VM_FAULT_LOCKED")
            == "(conditional (identifier ret) (identifier ret) (identifier VM_FAULT_LOCKED))")
        #expect(expression("ret ?: 0") == "(conditional (identifier ret) _ (numberLiteral 0))")
    }

    @Test func castsVersusParenthesesAndCalls() {
        #expect(expression("(struct page *)p") == "(cast (typeName struct page *) (identifier p))")
        #expect(expression("(unsigned long)x << 2")
            == "(binary shiftLeft (cast (typeName unsigned long) (identifier x)) (numberLiteral 2))")
        #expect(expression("(size_t)-1") == "(cast (typeName size_t) (unary minus (numberLiteral 1)))")
        #expect(expression("(u64)val") == "(cast (typeName u64) (identifier val))")
        #expect(expression("(a) - b") == "(binary minus (identifier a) (identifier b))")
        #expect(expression("(fn)(x)") == "(call (identifier fn) (identifier x))")
        #expect(expression("(*fp)(x)") == "(call (unary star (identifier fp)) (identifier x))")
        #expect(expression("(void __user *)arg") == "(cast (typeName void __user *) (identifier arg))")
    }

    @Test func sizeofTypeofAndTypesAsMacroArguments() {
        #expect(expression("sizeof(struct page)") == "(sizeofExpression (typeName struct page))")
        #expect(expression("sizeof(*p)") == "(sizeofExpression (unary star (identifier p)))")
        #expect(expression("container_of(node, struct foo, list)")
            == "(call (identifier container_of) (identifier node) (typeName struct foo) (identifier list))")
        #expect(expression("va_arg(ap, unsigned int)") == "(call (identifier va_arg) (identifier ap) (typeName unsigned int))")
        #expect(expression("(typeof(x))y") == "(cast (typeName typeof ( x )) (identifier y))")
    }

    @Test func statementExpressions() {
        let f = parse("int f(void)\n{\n\treturn ({ int __x = g(); if (__x) h(); __x; });\n}\n")
        #expect(f.recoveries.isEmpty)
        let r = f.bodyStatements("f")[0]
        let e = f.tree.child(r, 0)!
        #expect(f.tree.kind(e) == .statementExpression)
        let compound = f.tree.child(e, 0)!
        #expect(f.tree.children(compound).map { f.tree.kind($0) } == [.declaration, .ifStatement, .expressionStatement])
        #expect(f.calls(in: r).compactMap { f.calleeName(of: $0) } == ["g", "h"])
    }

    @Test func compoundLiteralsAndInitializers() {
        #expect(expression("(struct foo){ .a = 1, [2] = x }")
            == "(compoundLiteral (typeName struct foo) (initializerList (designatedInitializer (fieldDesignator a) (numberLiteral 1)) (designatedInitializer (indexDesignator (numberLiteral 2)) (identifier x))))")
    }

    @Test func stringsAndConstants() {
        #expect(expression("KERN_ERR \"a\" \"b\"") == "(stringLiteral KERN_ERR \"a\" \"b\")")
        #expect(expression("'\\n' + 0x1fUL") == "(binary plus (characterLiteral '\\n') (numberLiteral 0x1fUL))")
    }

    @Test func sourceRanges() {
        let f = parse("int f(void)\n{\n\treturn foo(a,\n\t\t   b);\n}\n")
        let call = f.calls(in: f.functions[0].body)[0]
        #expect(f.range(of: call) == SourceRange(start: SourcePosition(line: 3, column: 9),
                                                 end: SourcePosition(line: 4, column: 7)))
        #expect(f.calleeName(of: call) == "foo")
        #expect(f.arguments(of: call).map { f.text(of: $0) } == ["a", "b"])
    }
}
