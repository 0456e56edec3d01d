/// Builds the repaired region of a damaged hunk that matched the file ignoring whitespace:
/// context and removed lines are the file's own; blank lines the mailer dropped come back from
/// the file; added lines are re-indented in kernel style. Returns every distinct candidate,
/// the preferred first, so that a postimage id can choose among them.
struct RepairBuilder {
    var hunk: PreparedHunk
    var lines: [[UInt8]]
    /// File lines of each old-side line of the hunk (usually one each).
    var match: [ClosedRange<Int>]

    enum BlankPlacement: CaseIterable { case scored, blanksFirst, blanksLast }

    func candidates() -> [[[UInt8]]] {
        var out: [[[UInt8]]] = []
        let styles: [KernelIndent.Style] = hunk.reindent ? KernelIndent.Style.all : [.preferred]
        for placement in BlankPlacement.allCases {
            for style in styles {
                let region = build(style: style, placement: placement)
                if !out.contains(region) { out.append(region) }
                if out.count >= 16 { return out }
            }
        }
        return out
    }

    func build(style: KernelIndent.Style, placement: BlankPlacement) -> [[UInt8]] {
        let first = match[0].lowerBound
        let historyStart = max(0, first - 100)
        var history = Array(lines[historyStart..<first])
        let regionStartInHistory = history.count
        var pendingAdded: [[UInt8]] = []
        var previous = first - 1
        var oldIndex = 0
        var previousWasRemoved = false

        func reindented(_ added: [[UInt8]], following: ArraySlice<[UInt8]>) -> [[UInt8]] {
            guard hunk.reindent else { return added }
            var out: [[UInt8]] = []
            var scratch = history
            for line in added {
                let fixed = KernelIndent.reindent(line, history: scratch[...], following: following, style: style)
                out.append(fixed)
                scratch.append(fixed)
            }
            return out
        }

        func flushGap(before fileIndex: Int) {
            let blanks = fileIndex > previous + 1 ? Array(lines[(previous + 1)..<fileIndex]) : []
            let following = lines[fileIndex..<min(lines.count, fileIndex + 3)]
            let added = reindented(pendingAdded, following: following)
            pendingAdded = []
            if added.isEmpty || blanks.isEmpty {
                history += blanks + added
                return
            }
            let before: Int
            switch placement {
            case .blanksFirst: before = blanks.count
            case .blanksLast: before = 0
            case .scored where previousWasRemoved:
                // git puts added lines right after the removed ones they replace; context
                // (the dropped blanks) comes after the change.
                before = 0
            case .scored:
                let next = lines[fileIndex]
                let last = history.last(where: { !LineKey.isBlank($0) }) ?? []
                before = (0...blanks.count).min { a, b in
                    score(blanksBefore: a, of: blanks.count, added: added, previous: last, next: next)
                        < score(blanksBefore: b, of: blanks.count, added: added, previous: last, next: next)
                }!
            }
            history += Array(blanks[0..<before]) + added + Array(blanks[before...])
        }

        for op in hunk.ops {
            switch op.kind {
            case .added:
                pendingAdded.append(op.text)
            case .context, .removed:
                let span = match[oldIndex]
                oldIndex += 1
                flushGap(before: span.lowerBound)
                if op.kind == .context { history += lines[span] }
                previous = span.upperBound
                previousWasRemoved = op.kind == .removed
            }
        }
        if !pendingAdded.isEmpty {
            let end = match.last!.upperBound + 1
            history += reindented(pendingAdded, following: lines[end..<min(lines.count, end + 3)])
            pendingAdded = []
        }
        return Array(history[regionStartInHistory...])
    }

    /// Kernel layout penalties for putting `blanksBefore` of the dropped blank lines before the
    /// added block and the rest after it. Lower is better; ties prefer blanks first.
    func score(blanksBefore: Int, of total: Int, added: [[UInt8]], previous: [UInt8], next: [UInt8]) -> Int {
        let blank: [UInt8] = []
        let sequence = [previous] + [[UInt8]](repeating: blank, count: blanksBefore) + added
            + [[UInt8]](repeating: blank, count: total - blanksBefore) + [next]
        var penalty = 0
        for k in 1..<sequence.count {
            let a = sequence[k - 1], b = sequence[k]
            let aBlank = LineKey.isBlank(a), bBlank = LineKey.isBlank(b)
            if aBlank && bBlank { penalty += 30 }
            if aBlank && b.withoutLeadingWhitespace.first == UInt8(ascii: "}") { penalty += 20 }
            if bBlank && a.withoutTrailingWhitespace.last == UInt8(ascii: "{") { penalty += 20 }
        }
        return penalty + (total - blanksBefore)
    }
}

/// For a conflict: the place in the file that looks most like the hunk's old side, and a small
/// diff between what the patch expected and what is there.
enum ClosestPlace {
    static func describe(expected: [[UInt8]], in lines: [[UInt8]], keys: [[UInt8]], near line: Int, path: String)
        -> (line: Int?, diff: String) {
        let wanted = expected.map(LineKey.of)
        var best = 0, bestAt = -1
        if !lines.isEmpty {
            for start in 0..<lines.count {
                var score = 0
                for i in 0..<wanted.count where start + i < keys.count && !wanted[i].isEmpty && keys[start + i] == wanted[i] {
                    score += 1
                }
                if score > best || (score == best && score > 0 && abs(start - line) < abs(bestAt - line)) {
                    best = score
                    bestAt = start
                }
            }
        }
        var out = "--- expected by the patch\n"
        guard best > 0 else {
            out += "+++ \(path): no similar place\n"
            for e in expected { out += "-" + e.text + "\n" }
            return (nil, out)
        }
        let window = Array(lines[bestAt..<min(lines.count, bestAt + expected.count)])
        out += "+++ \(path):\(bestAt + 1)\n"
        out += "@@ -1,\(expected.count) +\(bestAt + 1),\(window.count) @@\n"
        for (kind, text) in lineDiff(expected, window) {
            out += kind + text.text + "\n"
        }
        return (bestAt + 1, out)
    }

    /// A minimal line diff (LCS on whitespace-insensitive keys), for small inputs.
    static func lineDiff(_ a: [[UInt8]], _ b: [[UInt8]]) -> [(String, [UInt8])] {
        let ka = a.map(LineKey.of), kb = b.map(LineKey.of)
        let n = a.count, m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    table[i][j] = ka[i] == kb[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
                }
            }
        }
        var out: [(String, [UInt8])] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, ka[i] == kb[j] {
                out.append((" ", b[j])); i += 1; j += 1
            } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
                out.append(("-", a[i])); i += 1
            } else {
                out.append(("+", b[j])); j += 1
            }
        }
        return out
    }
}
