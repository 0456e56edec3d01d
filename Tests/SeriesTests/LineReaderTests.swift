import Testing
import Mail
@testable import Series

/// The byte-level readers that replaced Character-level ones: each case here was checked against
/// the Character-level implementation before it was replaced.
struct LineReaderTests {
    func line(_ s: String) -> TextLine { TextLine(text: Substring(s), mailLine: 1) }

    @Test(arguments: [
        ("@@ -1,2 +3,4 @@ static int f(void)", "1 2 3 4 static int f(void)"),
        ("@@ -7 +7 @@", "7 1 7 1 "),
        ("@@ -0,0 +1,3 @@", "0 0 1 3 "),
        ("@@ -1,2 +3,4 @@   trailing  ", "1 2 3 4 trailing"),
        ("@@ -1,2 +3,4@@", "nil"),
        ("@@ -1234567890123,1 +1 @@", "nil"),
        ("@@ -a,2 +3,4 @@", "nil"),
        ("@@ -1,2 3,4 @@", "nil"),
        ("@@ -1,", "nil"),
        ("@@ -", "nil"),
        ("@@ ", "nil"),
    ])
    func hunkHeaders(_ text: String, _ expected: String) {
        let header = line(text).withBytes { HunkHeader($0) }
        let got = header.map { "\($0.oldStart) \($0.oldCount) \($0.newStart) \($0.newCount) \($0.section)" } ?? "nil"
        #expect(got == expected)
    }

    @Test(arguments: [
        ("a/mm/filemap.c", 1, "mm/filemap.c"),
        ("b/fs/buffer.c\t2011-05-26 12:00:00", 1, "fs/buffer.c"),
        ("  a/x.c  ", 1, "x.c"),
        ("/dev/null", 1, "nil"),
        ("noslash", 1, "noslash"),
        ("a/with space.c", 1, "with space.c"),
        ("a/x.c  2011-05-26 12:00:00.000 -0700", 1, "x.c"),
        ("\"a/t\\303\\251st\"", 1, "tést"),
        ("\"a/x\\1\\9\\12y\"", 1, "x1912y"),
        ("src/a/b.c", 2, "b.c"),
        ("a/ünïcode.c", 1, "ünïcode.c"),
    ])
    func diffNames(_ rest: String, _ strip: Int, _ expected: String) {
        #expect((DiffParser.diffName(Substring(rest), strip: strip) ?? "nil") == expected)
    }

    @Test func indexLines() {
        for (text, old, new, mode) in [
            ("1234567..89abcde 100644", "1234567", "89abcde", "100644"),
            ("1234567..89abcde", "1234567", "89abcde", "nil"),
            ("  1234567..89abcde   100755 ", "1234567", "89abcde", "100755"),
            ("1234567.89abcde 100644", "nil", "nil", "100644"),
            ("", "nil", "nil", "nil"),
        ] {
            var file = FileDiff()
            DiffParser.readIndexLine(Substring(text), into: &file)
            #expect(file.oldBlob ?? "nil" == old, "\(text)")
            #expect(file.newBlob ?? "nil" == new, "\(text)")
            #expect(file.newMode ?? "nil" == mode, "\(text)")
        }
    }

    @Test(arguments: [
        (" mm/filemap.c | 4 +++-", "mm/filemap.c 4 false"),
        (" a.png | Bin 0 -> 12 bytes", "a.png nil true"),
        (" {a => b}/c.c | 2 +-", "{a => b}/c.c 2 false"),
        (" x | 12", "x 12 false"),
        (" x | 4  ++", "nil"),
        (" x | 4 +x", "nil"),
        (" two  spaces | 1 +", "nil"),
        (" x | ", "nil"),
        ("no bar at all", "nil"),
        (" |3 +", "nil"),
        (" drivers/foo.c |\u{A0} 4 ++--", "drivers/foo.c 4 false"),
        (" drivers/foo.c | 4 ++--\u{A0}", "drivers/foo.c 4 false"),
    ])
    func diffstatEntries(_ text: String, _ expected: String) {
        let entry = PatchBody.diffstatEntry(line(text))
        let got = entry.map { "\($0.path) \($0.changes.map(String.init) ?? "nil") \($0.isBinary)" } ?? "nil"
        #expect(got == expected)
    }

    @Test(arguments: [
        ("From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001", true),
        (">From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001", true),
        ("From 0123456789abcdef0123456789abcdef0123456 Mon Sep 17 00:00:00 2001", false),
        ("From 0123456789abcdef0123456789abcdef01234567x", false),
        ("From: someone", false),
        ("", false),
    ])
    func formatPatchSeparators(_ text: String, _ expected: Bool) {
        #expect(line(text).withBytes(PatchBody.isFormatPatchSeparator) == expected)
    }

    @Test func linesAreByteRangesOfOneText() {
        let lines = TextLines.split("one\r\n\ntwo  \n\u{00A0}\nlast") { $0 + 10 }
        #expect(lines.map { String($0.text) } == ["one", "", "two  ", "\u{00A0}", "last"])
        #expect(lines.map(\.hadCarriageReturn) == [true, false, false, false, false])
        #expect(lines.map(\.mailLine) == [10, 11, 12, 13, 14])
        #expect(lines.map(\.isBlank) == [false, true, false, true, false])
        #expect(lines.map(\.firstByte) == [0x6F, 0, 0x74, 0xC2, 0x6C])
        #expect(lines[2].hasPrefix("two") && !lines[2].hasPrefix("two   ") && lines[2].equals("two  "))
        #expect(lines[0].value(after: "on") == "e")
        // Adjacent lines are one slice; a CR line breaks adjacency and the texts are joined.
        #expect(TextLines.joined(lines[1...2]) == "\ntwo  ")
        #expect(TextLines.joined(lines[0...1]) == "one\n")
        let standalone = TextLine(text: "solo", mailLine: nil)
        #expect(standalone.text == "solo" && standalone.byteCount == 4)
    }
}
