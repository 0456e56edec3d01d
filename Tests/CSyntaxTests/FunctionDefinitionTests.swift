import Testing
@testable import CSyntax

@Suite struct FunctionDefinitionTests {
    @Test func plainAndStaticInline() {
        let f = parse("""
        int add(int a, int b)
        {
        \treturn a + b;
        }
        static inline void nop(void) { }
        """)
        #expect(f.functionNames == ["add", "nop"])
        #expect(f.functions[0].line == 1 && f.functions[0].endLine == 4)
        #expect(f.functions[0].parameters.map(\.name) == ["a", "b"])
        #expect(f.functions[0].parameters.map(\.typeText) == ["int", "int"])
        #expect(f.functions[0].isStatic == false)
        #expect(f.functions[1].isStatic && f.functions[1].isInline)
        #expect(f.functions[1].parameters.isEmpty)
        #expect(f.recoveries.isEmpty)
    }
}
