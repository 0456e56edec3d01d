import Testing
@testable import CSyntax

/// No crash, hang or unbounded recursion on any input.
@Suite struct RobustnessTests {
    static let depth = 10_000

    func parseAll(_ source: String) -> ParsedFile {
        let f = parse(source)
        _ = f.controlFlowGraphs()
        return f
    }

    @Test func deeplyNestedBlocks() {
        let n = Self.depth
        let f = parseAll("void f(void)\n{\n" + String(repeating: "{", count: n) + "x();" + String(repeating: "}", count: n)
            + "\n}\nint after(void) { return 0; }\n")
        #expect(f.functionNames == ["f", "after"])
        #expect(f.recoveries.contains { $0.kind == .tooDeep })
    }

    @Test func deeplyNestedParenthesesAndOperators() {
        let n = Self.depth
        for body in [
            "return " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + ";",
            "return " + String(repeating: "!", count: n) + "x;",
            "return " + String(repeating: "f(", count: n) + "1" + String(repeating: ")", count: n) + ";",
            "return " + String(repeating: "a ? b : ", count: n) + "c;",
            "x = " + String(repeating: "a = ", count: n) + "b;",
            "x = " + String(repeating: "a + ", count: n) + "b;",
            "if (" + String(repeating: "a && ", count: n) + "b) c();",
            String(repeating: "if (x) ", count: n) + "y();",
            String(repeating: "while (x) ", count: n) + "y();",
            "return ({ " + String(repeating: "({ ", count: n) + "1; " + String(repeating: "}); ", count: n) + "});",
        ] {
            let f = parseAll("int f(void)\n{\n\t\(body)\n}\nint after(void) { return 0; }\n")
            #expect(f.functionNames == ["f", "after"], "\(body.prefix(20))")
        }
    }

    @Test func deeplyNestedInitializersAndConditionals() {
        let n = Self.depth
        let f = parseAll("static struct s v = " + String(repeating: "{ ", count: n) + "1" + String(repeating: " }", count: n)
            + ";\nint after(void) { return 0; }\n")
        #expect(f.functionNames == ["after"])
        let g = parseAll(String(repeating: "#ifdef A\n", count: n) + "int f(void) { return 0; }\n"
            + String(repeating: "#endif\n", count: n))
        #expect(g.functionNames == ["f"])
    }

    @Test func unbalancedInputs() {
        for source in [
            "int f(void) {", "int f(void) }", "int f(void) { ((((", "int f(void) { x = ; ))) }", "{{{{",
            ")))) int g(void) { return 0; }", "int f(void) { /* never closed", "int f(void) { s = \"never closed",
            "#if A\nint f(void) {\n#else\n}\n", "#endif\n#else\nint g(void) { return 0; }", "x = 'a",
            "int f(void) { case 1: default: break; continue; }", "int f(void) { else return; }",
            "int f(int x) { switch (x) { case 1 ... : ; } goto ; }", "\\", "#", "int f(void) { asm goto(",
        ] {
            _ = parseAll(source)
        }
        let f = parse("int f(void) {\n")
        #expect(f.functionNames == ["f"])
    }

    @Test func fiftyMegabyteSingleLine() {
        // One line of 50 MB: a function body of assignments and calls, then a huge initializer.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(52_000_000)
        bytes += Array("void f(void){".utf8)
        let statement = Array("result_of_lookup = lookup_page_in_mapping(mapping_pointer, page_offset);".utf8)
        while bytes.count < 30_000_000 { bytes += statement }
        bytes += Array("}static const struct vm_operations_struct v={".utf8)
        let element = Array(".page_mkwrite_slot_number_one = filesystem_page_mkwrite_handler,".utf8)
        while bytes.count < 50_000_000 { bytes += element }
        bytes += Array("};int after(void){return 0;}".utf8)
        let f = CParser.parse(bytes, path: "big.c")
        #expect(f.functionNames == ["f", "after"])
        #expect(f.functions.allSatisfy { $0.line == 1 })
        #expect(f.opsBindings.count > 100_000)
        let g = ControlFlowGraph.build(f.functions[0], in: f)
        #expect(g.blocks.count >= 2)
    }

    @Test func randomMutationsNeverCrash() {
        let seeds = [
            "static int f(struct vm_fault *vmf) { if (a && b) goto out; switch (x) { case 1: y(); } out: return 0; }",
            "#ifdef A\nint g(int x)\n#else\nint g(long x)\n#endif\n{ list_for_each_entry(p, &h, l) { p->x = ({ 1; }); } }",
            "static const struct address_space_operations a = { .writepage = w, [0] = { 1, 2 } };",
        ]
        var rng = SplitMix(seed: 42)
        let alphabet = Array("{}()[];,:?#\"'/*\\\n abc=&|!<>.-+0".utf8)
        for iteration in 0..<3000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 3 {
                case 0: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                default: if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            let f = CParser.parse(bytes, path: "fuzz.c")
            _ = f.controlFlowGraphs()
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
