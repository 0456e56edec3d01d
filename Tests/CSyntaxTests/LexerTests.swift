import Testing
@testable import CSyntax

@Suite struct LexerTests {
    func lex(_ s: String) -> TokenStream {
        Array(s.utf8).withUnsafeBufferPointer { Lexer.tokenize($0) }
    }

    @Test func linesColumnsAndTrivia() {
        let source = "int a; /* two\nlines */ b = 'x' + \"s\\\"q\";\n// c\n  c\\\nd;\n#define X(y) (y + \\\n  1)\nz"
        let s = lex(source)
        let texts = s.tokens.dropLast().map { String(decoding: Array(source.utf8)[Int($0.offset)..<Int($0.offset + $0.length)], as: UTF8.self) }
        #expect(texts == ["int", "a", ";", "b", "=", "'x'", "+", "\"s\\\"q\"", ";", "c", "d", ";", "z"])
        let b = s.tokens[3]
        #expect(b.line == 2 && b.column == 10)
        #expect(s.tokens[9].line == 4 && s.tokens[9].column == 3)  // c
        #expect(s.tokens[10].line == 5)  // d after continuation
        #expect(s.tokens[12].line == 8)  // z after the two-line #define
        #expect(s.tokens[0].isKeyword(.int) && s.tokens[1].kind == .identifier)
        #expect(s.recoveries.isEmpty)
    }

    @Test func multiLineStringKeepsLineNumbers() {
        let f = parse("static void help(void)\n{\n\tpr_info(\"a\\n\\\nb\\n\\\nc\");\n}\nint after(void) { return 0; }\n")
        #expect(f.functions.map(\.line) == [1, 7])
    }

    @Test func punctuatorsAreMaximalMunch() {
        let s = lex("a->b ... <<= >>= && || ++ -- ## != ==")
        let kinds = s.tokens.dropLast().map(\.punctuator)
        #expect(kinds == [.none, .arrow, .none, .ellipsis, .shiftLeftAssign, .shiftRightAssign, .ampAmp, .pipePipe,
                          .plusPlus, .minusMinus, .hashHash, .bangEqual, .equalEqual])
    }

    @Test func gnuKeywordSpellings() {
        let s = lex("__attribute__ __typeof__ __asm__ __volatile__ __inline __extension__ typeof __user")
        #expect(s.tokens.dropLast().map(\.keyword) == [.attribute, .typeof, .asm, .volatile, .inline, .gnuExtension, .typeof, .none])
    }

    @Test func unterminatedCommentAndString() {
        let s = lex("int a = \"abc\nint b; /* never closed\n int c;")
        #expect(s.recoveries.map(\.kind) == [.unterminatedLiteral, .unterminatedComment])
        #expect(s.recoveries[1].line == 2)
    }

    @Test func ifZeroIsSkippedAndRecorded() {
        let f = parse("#if 0\nint dead(void) { return 1; }\n#endif\nint live(void) { return 0; }\n")
        #expect(f.functionNames == ["live"])
        #expect(f.skippedRegions.count == 1 && f.skippedRegions[0].startLine == 1)
    }

    @Test func balancedBranchesAreBothKept() {
        let f = parse("#ifdef CONFIG_A\nint a(void) { return 1; }\n#else\nint a(void) { return 2; }\n#endif\n")
        #expect(f.functions.map(\.line) == [2, 4])
        #expect(f.skippedRegions.isEmpty)
    }

    @Test func unbalancedBranchesKeepTheFirst() {
        let f = parse("""
        int f(int x)
        {
        #ifdef CONFIG_A
        \tif (x) {
        #else
        \tif (!x) {
        #endif
        \t\tx++;
        \t}
        \treturn x;
        }
        int g(void) { return 0; }
        """)
        #expect(f.functionNames == ["f", "g"])
        #expect(f.skippedRegions.count == 1 && f.skippedRegions[0].startLine == 5)
        #expect(f.bodyKinds("f") == [.ifStatement, .returnStatement])
    }

    @Test func unterminatedIfIsRecovered() {
        let f = parse("#ifdef A\nint f(void) { return 0; }\n")
        #expect(f.functionNames == ["f"])
        #expect(f.recoveries.contains { $0.kind == .preprocessor && $0.line == 1 })
    }

    @Test func defineBodiesAreNotCode() {
        let f = parse("#define DEF(n) int n(void) { return 0; }\nint real(void) { return 1; }\n")
        #expect(f.functionNames == ["real"])
    }
}
