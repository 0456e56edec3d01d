import Testing
@testable import Series
@testable import Apply

/// The hunk applier and the kernel re-indenter on small inputs, no repository needed.
struct HunkApplierTests {
    static func lines(_ s: String) -> [[UInt8]] { FileText(Array(s.utf8)).lines }

    static func hunk(_ oldStart: Int, _ newStart: Int, _ body: [(HunkLine.Kind, String)], damage: [Damage.Kind] = [],
                     oldCount: Int? = nil) -> Hunk {
        let old = body.filter { $0.0 != .added }.count, new = body.filter { $0.0 != .removed }.count
        return Hunk(oldStart: oldStart, oldCount: oldCount ?? old, newStart: newStart, newCount: new, header: "",
                    lines: body.map { HunkLine(kind: $0.0, text: $0.1) }, mailLine: nil,
                    damage: damage.map { Damage(kind: $0, mailLine: nil, detail: "") })
    }

    @Test func appliesExactlyAtAnOffsetAndDetectsAlreadyApplied() {
        let file = FileText(Array("a\nb\nc\nd\ne\nf\n".utf8))
        let h = Self.hunk(2, 2, [(.context, "b"), (.removed, "c"), (.added, "C"), (.context, "d")])
        let applier = HunkApplier(path: "f")
        let exact = applier.apply(file, hunks: [PreparedHunk(h, index: 1)])
        #expect(exact.text.bytes == Array("a\nb\nC\nd\ne\nf\n".utf8))
        #expect(exact.results[0].status == .applied)
        let moved = applier.apply(FileText(Array("x\nx\nx\na\nb\nc\nd\ne\nf\n".utf8)), hunks: [PreparedHunk(h, index: 1)])
        #expect(moved.results[0].status == .appliedWithOffset)
        #expect(moved.results[0].offset == 3)
        let again = applier.apply(exact.text, hunks: [PreparedHunk(h, index: 1)])
        #expect(again.results[0].status == .alreadyApplied)
        #expect(again.text == exact.text)
    }

    @Test func keepsAndChangesTheFinalNewline() {
        let applier = HunkApplier(path: "f")
        let file = FileText(Array("a\nb".utf8))
        #expect(file.missingFinalNewline)
        let h = Hunk(oldStart: 1, oldCount: 2, newStart: 1, newCount: 2, header: "",
                     lines: [HunkLine(kind: .context, text: "a"), HunkLine(kind: .removed, text: "b"),
                             HunkLine(kind: .noNewlineMarker, text: ""), HunkLine(kind: .added, text: "B")],
                     mailLine: nil, damage: [])
        let out = applier.apply(file, hunks: [PreparedHunk(h, index: 1)])
        #expect(out.text.bytes == Array("a\nB\n".utf8))
    }

    @Test func conflictNamesTheClosestPlace() {
        let file = FileText(Array("one\ntwo\nthree\nfour\n".utf8))
        let h = Self.hunk(1, 1, [(.context, "one"), (.removed, "TWO"), (.added, "2"), (.context, "three")])
        let out = HunkApplier(path: "f").apply(file, hunks: [PreparedHunk(h, index: 1)])
        #expect(out.results[0].status == .conflict)
        #expect(out.results[0].closest == "--- expected by the patch\n+++ f:1\n@@ -1,3 +1,3 @@\n one\n-TWO\n+two\n three\n")
        #expect(out.text == file)
    }

    @Test func ambiguousDamagedHunksAreConflicts() {
        let file = FileText(Array("\tfoo();\n\tbar();\n\tfoo();\n\tbar();\n".utf8))
        let h = Self.hunk(1, 1, [(.context, "foo();"), (.added, " baz();"), (.context, "bar();")], damage: [.missingContextPrefix])
        let out = HunkApplier(path: "f").apply(file, hunks: [PreparedHunk(h, index: 1)])
        #expect(out.results[0].status == .conflict)
        #expect(out.results[0].message.contains("ambiguous"))
    }

    static func reindent(_ sent: String, after history: String, style: KernelIndent.Style = .preferred) -> String {
        String(decoding: KernelIndent.reindent(Array(sent.utf8), history: Self.lines(history)[...], following: [][...],
                                               style: style), as: UTF8.self)
    }

    @Test func reindentsInKernelStyle() {
        #expect(Self.reindent(" goto found;", after: "int f(void)\n{\n\tif (page)\n") == "\t\tgoto found;")
        #expect(Self.reindent(" found:", after: "int f(void)\n{\n\tx = 1;\n") == "found:")
        #expect(Self.reindent(" } else {", after: "\tif (a) {\n\t\tif (b)\n\t\t\tc();\n\t\telse\n\t\t\td();\n") == "\t} else {")
        #expect(Self.reindent(" (b > c)) {", after: "{\n\tif ((a != b) ||\n") == "\t    (b > c)) {")
        #expect(Self.reindent(" (b > c)) {", after: "{\n\tif ((a != b) ||\n",
                              style: KernelIndent.Style(continuation: .twoMoreTabs, inner: .asSent)) == "\t\t\t(b > c)) {")
        #expect(Self.reindent(" case 1:", after: "{\n\tswitch (x) {\n") == "\tcase 1:")
        #expect(Self.reindent(" ret = 1;", after: "{\n\tswitch (x) {\n\tcase 1:\n") == "\t\tret = 1;")
        #expect(Self.reindent(" * more", after: "{\n\t/*\n\t * first\n") == "\t * more")
        #expect(Self.reindent(" #ifdef CONFIG_X", after: "{\n\tx();\n") == "#ifdef CONFIG_X")
        #expect(Self.reindent(" x = 1;", after: "{\n\tlist_for_each_entry(p, &head, list)\n") == "\t\tx = 1;")
        #expect(Self.reindent(" }", after: "{\n\tif (a) {\n\t\tb();\n") == "\t}")
        #expect(Self.reindent("", after: "{\n") == "")
        #expect(String(decoding: KernelIndent.reindent(Array(" .page_mkwrite = stub,".utf8),
                                                       history: Self.lines("struct x y = {\n\t.fault\t\t= f,\n")[...],
                                                       following: [][...], style: .preferred), as: UTF8.self)
                == "\t.page_mkwrite\t= stub,")
    }

    @Test func mailDatesBecomeSignatureTimes() {
        let parsed = MailDate.parse("Thu, 26 May 2011 16:04:41 -0700")
        #expect(parsed?.time == 1306451081)
        #expect(parsed?.offsetMinutes == -420)
        #expect(MailDate.parse("26 May 2011 23:04:41 GMT")?.time == 1306451081)
        #expect(MailDate.parse("garbage") == nil)
    }
}
