/// Damages the diffs of a mailbox the way web archives and mail clients do: context lines lose
/// their leading space and their indentation, added and removed lines keep one space where the
/// tabs were, blank context lines disappear; optionally every run of inner whitespace becomes
/// one space. Hunk headers and `index` lines stay, so postimage ids can still be checked.
func damage(_ mail: String, collapseInnerWhitespace: Bool) -> String {
    func strip<S: StringProtocol>(_ s: S) -> String {
        var body = Substring(s)
        while let f = body.first, f == " " || f == "\t" { body.removeFirst() }
        while let l = body.last, l == " " || l == "\t" { body.removeLast() }
        guard collapseInnerWhitespace else { return String(body) }
        var out = ""
        var space = false
        for c in body {
            if c == " " || c == "\t" { space = true; continue }
            if space { out += " "; space = false }
            out.append(c)
        }
        return out
    }
    var out: [String] = []
    var inHunk = false
    for line in mail.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("diff --git") { inHunk = false; out.append(String(line)); continue }
        if line.hasPrefix("@@ ") { inHunk = true; out.append(String(line)); continue }
        if line == "-- " || line.hasPrefix("From ") { inHunk = false }
        guard inHunk else { out.append(String(line)); continue }
        if line.hasPrefix("\\") { out.append(String(line)); continue }
        if line.hasPrefix(" ") || line.isEmpty {
            let body = strip(line.dropFirst(line.isEmpty ? 0 : 1))
            if !body.isEmpty { out.append(body) } // blank context lines are dropped
        } else if line.hasPrefix("+") || line.hasPrefix("-") {
            let body = strip(line.dropFirst())
            out.append(String(line.first!) + (body.isEmpty ? "" : " " + body))
        } else {
            inHunk = false
            out.append(String(line))
        }
    }
    return out.joined(separator: "\n")
}
