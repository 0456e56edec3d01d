import Testing
import Mail
@testable import Series

struct DiffParserTests {
    func parse(_ text: String, file: String = "mail") -> (files: [FileDiff], diagnostics: [Diagnostic]) {
        let lines = TextLines.split(text) { $0 + 1 }
        var parser = DiffParser(source: file, patchNumber: 1)
        let (files, _) = parser.parse(lines, from: 0)
        return (files, parser.diagnostics)
    }

    @Test func gitExtendedHeaders() {
        let (files, _) = parse("""
            diff --git a/old.c b/new.c
            similarity index 90%
            rename from old.c
            rename to new.c
            index 1234567..89abcde 100755
            --- a/old.c
            +++ b/new.c
            @@ -1,2 +1,2 @@ static int f(void)
             a
            -b
            +c
            diff --git a/gone.h b/gone.h
            deleted file mode 100644
            index 1111111..0000000
            --- a/gone.h
            +++ /dev/null
            @@ -1 +0,0 @@
            -x
            diff --git a/script.sh b/script.sh
            old mode 100644
            new mode 100755
            diff --git a/logo.png b/logo.png
            new file mode 100644
            index 0000000..2222222
            Binary files /dev/null and b/logo.png differ
            """)
        #expect(files.count == 4)
        #expect(files[0].isRename && files[0].oldPath == "old.c" && files[0].newPath == "new.c")
        #expect(files[0].similarity == 90 && files[0].oldBlob == "1234567" && files[0].newBlob == "89abcde")
        #expect(files[0].hunks[0].header == "static int f(void)")
        #expect(files[1].isDeleted && files[1].newPath == nil && files[1].path == "gone.h")
        #expect(files[2].oldMode == "100644" && files[2].newMode == "100755" && files[2].hunks.isEmpty)
        #expect(files[3].isBinary && files[3].isNew)
        #expect(files.allSatisfy { !$0.hunks.contains(where: \.isDamaged) })
    }

    @Test func quotedPathsAndPlainDiffs() {
        let (files, _) = parse("""
            --- "a/t\\303\\251st.c"\t2011-05-26 12:00:00.000000000 -0700
            +++ "b/t\\303\\251st.c"\t2011-05-26 12:00:00.000000000 -0700
            @@ -1 +1 @@
            -a
            +b
            """)
        #expect(files.first?.path == "tést.c")
        #expect(files.first?.isGitFormat == false)
    }

    @Test func wrappedLongLineIsJoinedAndReported() {
        let (files, diagnostics) = parse("""
            diff --git a/f.c b/f.c
            --- a/f.c
            +++ b/f.c
            @@ -1,3 +1,3 @@
             \tint a;
            -\tret = some_function_with_a_long_name(first_argument, second_argument,
            third_argument);
            +\tret = other(first_argument);
             \treturn ret;
            """)
        let hunk = files[0].hunks[0]
        #expect(hunk.damage.map(\.kind) == [.lineWrapped])
        #expect(hunk.damage[0].mailLine == 7)
        #expect(hunk.lines[1].text.hasSuffix("second_argument, third_argument);"))
        #expect(diagnostics.contains { $0.code == "mail/line-wrapped" && $0.location?.line == 7 })
    }

    @Test func nonBreakingSpacesAndCarriageReturns() {
        let (files, diagnostics) = parse("diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n\u{00A0}\tint a;\r\n-\tb;\n+\tc;\n")
        let kinds = Set(files[0].hunks[0].damage.map(\.kind))
        // The NBSP stood in for the context prefix: repaired, the line is ordinary context.
        #expect(kinds == [.nonBreakingSpace, .carriageReturn])
        #expect(files[0].hunks[0].lines[0].kind == .context)
        #expect(files[0].hunks[0].lines[0].text == "\tint a;")
        #expect(diagnostics.contains { $0.code == "mail/crlf-in-diff" })
        #expect(diagnostics.contains { $0.code == "mail/non-breaking-space" })
    }

    @Test func countsThatDoNotAddUp() {
        let (files, diagnostics) = parse("""
            diff --git a/f.c b/f.c
            --- a/f.c
            +++ b/f.c
            @@ -1,2 +1,4 @@
             \ta;
            +\tb;
             \tc;
            -- 
            2.39.2
            """)
        #expect(files[0].hunks[0].damage.map(\.kind) == [.countMismatch])
        #expect(diagnostics.contains { $0.code == "mail/hunk-count-mismatch" })
    }

    @Test func expandedTabsAreReported() {
        let (files, _) = parse("""
            diff --git a/f.c b/f.c
            --- a/f.c
            +++ b/f.c
            @@ -1,3 +1,3 @@
             int f(void)
            -        return 0;
            +        return 1;
            """)
        #expect(files[0].hunks[0].damage.map(\.kind).contains(.indentationLost))
    }

    @Test(arguments: ["../etc/passwd", "/etc/passwd", ".git/hooks/pre-commit", "a/../../b", "sub/.GIT/config"])
    func hostilePathsAreRefused(_ path: String) {
        let (_, diagnostics) = parse("""
            diff --git a/\(path) b/\(path)
            --- a/\(path)
            +++ b/\(path)
            @@ -1 +1 @@
            -a
            +b
            """)
        let hostile = diagnostics.filter { $0.code == "mail/hostile-path" }
        #expect(!hostile.isEmpty)
        #expect(hostile.allSatisfy { $0.severity == .error && $0.location?.line == 1 })
    }

    @Test func diffstatMismatchIsReported() throws {
        let text = patchMail(subject: "[PATCH] a", messageID: "d1", diff: defaultDiff.replacingOccurrences(of: "| 2 +-", with: "| 5 +++--"))
        let series = try #require(try readSeries(text: text).pick())
        let mismatch = series.patches[0].diagnostics.filter { $0.code == "mail/diffstat-mismatch" }
        #expect(mismatch.count == 1)
        #expect(mismatch.first?.message.contains("5 changed line(s), the diff has 2") == true)
    }
}

struct WrapHeuristicTests {
    @Test func aCommentLineIsNotAWrappedContinuation() {
        let lines = TextLines.split("""
            diff --git a/f.c b/f.c
            --- a/f.c
            +++ b/f.c
            @@ -1,4 +1,4 @@
             /* a long comment line that goes on and on well past the sixty column mark
            * and its second line
             \tint a;
            -\tb;
            +\tc;
            """) { $0 + 1 }
        var parser = DiffParser(source: "m", patchNumber: 1)
        let (files, _) = parser.parse(lines, from: 0)
        let hunk = files[0].hunks[0]
        #expect(!hunk.damage.contains { $0.kind == .lineWrapped })
        #expect(hunk.lines.count == 5)
    }
}
