import Series

/// What happened to one hunk (`status` in the JSON).
public enum ApplyStatus: String, Sendable, Codable {
    case applied
    case appliedWithOffset = "applied-with-offset"
    case repaired
    case alreadyApplied = "already-applied"
    case conflict
    case skipped
}

/// One hunk's outcome.
public struct HunkResult: Sendable {
    public var file: String
    /// 1-based index of the hunk within its file's diff.
    public var hunk: Int
    public var status: ApplyStatus
    /// Lines between where the header put the hunk and where it applied (new-side numbering).
    public var offset: Int?
    /// 1-based line in the resulting file where the hunk's lines start.
    public var line: Int?
    public var message: String
    /// For conflicts: the expected lines against the closest place in the file, as a small diff.
    public var closest: String?
    /// For repairs: how many distinct repaired versions of the hunk were considered.
    public var candidates: Int?
    /// How the hunk was applied when not plainly: `whitespace-insensitive`, `three-way`.
    public var method: String?
    /// Its lines' `\r`s were the file's (a CRLF file) and applied as sent.
    public var carriageReturnsAreTheFiles = false

    public init(file: String, hunk: Int, status: ApplyStatus, offset: Int? = nil, line: Int? = nil,
                message: String, closest: String? = nil, candidates: Int? = nil, method: String? = nil) {
        self.file = file
        self.hunk = hunk
        self.status = status
        self.offset = offset
        self.line = line
        self.message = message
        self.closest = closest
        self.candidates = candidates
        self.method = method
    }
}

/// A hunk turned into byte lines, ready to apply.
struct PreparedHunk {
    enum Kind { case context, removed, added }
    struct Op {
        var kind: Kind
        var text: [UInt8]
    }

    var index: Int
    var header: Hunk
    var keepsCarriageReturns: Bool
    var ops: [Op] = []
    var old: [[UInt8]] = []
    var new: [[UInt8]] = []
    var oldMissingNewline = false
    var newMissingNewline = false
    var leadingContext = 0
    var trailingContext = 0
    /// Where git would look first: the new-side start, 0-based.
    var expected: Int
    /// Added lines lost their indentation in the mail: re-indent them against the file.
    var reindent: Bool
    /// How many blank context lines the mailer dropped.
    var droppedBlanks: Int

    /// `keepCarriageReturns`: a line's `\r` before the newline is the file's (it has CRLF lines)
    /// and applies as sent; otherwise the mailer's, and dropped.
    init(_ hunk: Hunk, index: Int, keepCarriageReturns: Bool = true) {
        self.keepsCarriageReturns = keepCarriageReturns
        self.index = index
        self.header = hunk
        expected = max(0, hunk.newStart - 1)
        reindent = hunk.damage.contains { $0.kind == .missingContextPrefix || $0.kind == .indentationLost || $0.kind == .nonBreakingSpace }
        var last: Kind? = nil
        for line in hunk.lines {
            switch line.kind {
            case .noNewlineMarker:
                switch last {
                case .context: oldMissingNewline = true; newMissingNewline = true
                case .removed: oldMissingNewline = true
                case .added: newMissingNewline = true
                case nil: break
                }
            case .context, .removed, .added:
                let kind: Kind = line.kind == .context ? .context : line.kind == .removed ? .removed : .added
                var text = line.bytes
                if text.last == 0x0D, !keepCarriageReturns { text.removeLast() }
                ops.append(Op(kind: kind, text: text))
                if kind != .added { old.append(text) }
                if kind != .removed { new.append(text) }
                last = kind
            }
        }
        for op in ops { if op.kind == .context { leadingContext += 1 } else { break } }
        for op in ops.reversed() { if op.kind == .context { trailingContext += 1 } else { break } }
        let presentOld = old.count
        droppedBlanks = max(0, hunk.oldCount - presentOld)
    }
}

/// Applies one file's hunks to its text: exact, then at an offset, then whitespace-insensitive
/// with repair; detects hunks already applied; describes conflicts.
struct HunkApplier {
    var path: String

    struct FileOutcome {
        var text: FileText
        var results: [HunkResult]
        /// Per hunk: the number of repair candidates (1 when the hunk was not repaired).
        var candidateCounts: [Int]
        var hasConflict: Bool { results.contains { $0.status == .conflict } }
    }

    /// `choices[k]` selects which repair candidate hunk k uses (0 = the preferred one).
    func apply(_ original: FileText, hunks: [PreparedHunk], choices: [Int] = []) -> FileOutcome {
        var text = original
        var results: [HunkResult] = []
        var counts: [Int] = []
        for (k, hunk) in hunks.enumerated() {
            let choice = k < choices.count ? choices[k] : 0
            let (result, count) = applyOne(hunk, to: &text, choice: choice)
            results.append(result)
            counts.append(count)
        }
        return FileOutcome(text: text, results: results, candidateCounts: counts)
    }

    private func applyOne(_ hunk: PreparedHunk, to text: inout FileText, choice: Int) -> (HunkResult, Int) {
        let lines = text.lines
        // Pure insertion (new file, or a -U0 hunk): no context to find.
        if hunk.old.isEmpty {
            let at = min(hunk.expected, lines.count)
            if !hunk.new.isEmpty, at + hunk.new.count <= lines.count, Array(lines[at..<at + hunk.new.count]) == hunk.new,
               !lines.isEmpty {
                return (result(hunk, .alreadyApplied, line: at, message: "the added lines are already there"), 1)
            }
            text.lines.insert(contentsOf: hunk.new, at: at)
            if at + hunk.new.count == text.lines.count { text.missingFinalNewline = hunk.newMissingNewline }
            return (result(hunk, .applied, offset: 0, line: at, message: "applied"), 1)
        }
        let line = min(hunk.expected, lines.count)
        let matchBeginning = hunk.header.oldStart <= 1
        let matchEnd = hunk.trailingContext == 0
        let forward = findExact(hunk.old, in: lines, from: line, matchBeginning: matchBeginning, matchEnd: matchEnd)
        let reverse = findExact(hunk.new, in: lines, from: line, matchBeginning: matchBeginning, matchEnd: matchEnd)
        if let at = forward, reverse == nil || abs(at - line) <= abs(reverse! - line) {
            splice(&text, at: at, count: hunk.old.count, with: hunk.new, hunk: hunk)
            let offset = at - line
            if offset == 0 { return (result(hunk, .applied, offset: 0, line: at, message: "applied"), 1) }
            return (result(hunk, .appliedWithOffset, offset: offset, line: at,
                           message: "applied at an offset of \(offset) line\(abs(offset) == 1 ? "" : "s")"), 1)
        }
        if let at = reverse, !hunk.new.isEmpty {
            return (result(hunk, .alreadyApplied, offset: at - line, line: at,
                           message: "already applied: its result is at line \(at + 1)"), 1)
        }
        // Whitespace-insensitive, letting dropped blank context lines be found again.
        let keys = lines.map(LineKey.of)
        var matches = findLoose(hunk.old, keys: keys, maxSkipped: hunk.droppedBlanks)
        var joined = false
        if matches.isEmpty {
            matches = findLoose(hunk.old, keys: keys, maxSkipped: hunk.droppedBlanks, allowJoined: true)
            joined = !matches.isEmpty
        }
        if matches.count == 1 {
            let match = matches[0]
            let candidates = RepairBuilder(hunk: hunk, lines: lines, match: match).candidates()
            let chosen = candidates[min(choice, candidates.count - 1)]
            let first = match.first!.lowerBound, last = match.last!.upperBound
            text.lines.replaceSubrange(first...last, with: chosen)
            if last + 1 == lines.count, hunk.oldMissingNewline || hunk.newMissingNewline {
                text.missingFinalNewline = hunk.newMissingNewline
            }
            let offset = first - line
            var message = "context matched the file ignoring whitespace"
            if hunk.droppedBlanks > 0 { message += "; \(hunk.droppedBlanks) dropped blank context line\(hunk.droppedBlanks == 1 ? "" : "s") restored" }
            if joined { message += "; lines the mail joined matched as the file's separate lines" }
            if hunk.reindent { message += "; added lines re-indented in kernel style" }
            if offset != 0 { message += "; at an offset of \(offset) line\(abs(offset) == 1 ? "" : "s")" }
            return (HunkResult(file: path, hunk: hunk.index, status: .repaired, offset: offset, line: first + 1,
                               message: message, candidates: candidates.count, method: "whitespace-insensitive"),
                    candidates.count)
        }
        let reverseLoose = hunk.new.isEmpty ? [] : findLoose(hunk.new, keys: keys, maxSkipped: hunk.droppedBlanks)
        if reverseLoose.count == 1, matches.isEmpty {
            let at = reverseLoose[0].first!.lowerBound
            return (HunkResult(file: path, hunk: hunk.index, status: .alreadyApplied, offset: at - line, line: at + 1,
                               message: "already applied (ignoring whitespace): its result is at line \(at + 1)",
                               method: "whitespace-insensitive"), 1)
        }
        var message = "the hunk's context and removed lines are not in the file"
        if matches.count > 1 {
            let places = matches.prefix(5).map { String($0.first!.lowerBound + 1) }.joined(separator: ", ")
            message = "ambiguous: the damaged hunk matches \(matches.count) places ignoring whitespace (lines \(places)); a unique match is required"
        }
        let closest = ClosestPlace.describe(expected: hunk.old, in: lines, keys: keys, near: line, path: path)
        return (HunkResult(file: path, hunk: hunk.index, status: .conflict, line: nil,
                           message: message + (closest.line.map { "; closest place at line \($0)" } ?? ""),
                           closest: closest.diff), 1)
    }

    private func result(_ hunk: PreparedHunk, _ status: ApplyStatus, offset: Int? = nil, line: Int, message: String) -> HunkResult {
        HunkResult(file: path, hunk: hunk.index, status: status, offset: offset, line: line + 1, message: message)
    }

    private func splice(_ text: inout FileText, at: Int, count: Int, with new: [[UInt8]], hunk: PreparedHunk) {
        let touchesEnd = at + count == text.lines.count
        text.lines.replaceSubrange(at..<at + count, with: new)
        if touchesEnd, hunk.oldMissingNewline || hunk.newMissingNewline || text.missingFinalNewline {
            text.missingFinalNewline = hunk.newMissingNewline
        }
        if text.lines.isEmpty { text.missingFinalNewline = false }
    }

    /// git apply's search: the expected line, then one after, one before, two after...
    func findExact(_ wanted: [[UInt8]], in lines: [[UInt8]], from line: Int, matchBeginning: Bool, matchEnd: Bool) -> Int? {
        guard wanted.count <= lines.count else { return nil }
        func matches(_ at: Int) -> Bool {
            guard at >= 0, at + wanted.count <= lines.count else { return false }
            if matchBeginning && at != 0 { return false }
            if matchEnd && at + wanted.count != lines.count { return false }
            for i in 0..<wanted.count where lines[at + i] != wanted[i] { return false }
            return true
        }
        if matchBeginning { return matches(0) ? 0 : nil }
        if matchEnd { return matches(lines.count - wanted.count) ? lines.count - wanted.count : nil }
        let limit = lines.count - wanted.count
        var distance = 0
        while line - distance >= 0 || line + distance <= limit {
            if matches(line + distance) { return line + distance }
            if distance > 0, matches(line - distance) { return line - distance }
            distance += 1
        }
        return nil
    }

    /// Every place where `wanted` matches ignoring whitespace, blank file lines allowed between
    /// non-blank wanted lines (up to `maxSkipped` in all). Each match gives, for every wanted
    /// line, the file lines it covers: one, or (with `allowJoined`) up to three consecutive
    /// lines whose text together is the wanted line (a line the mail stage joined as wrapped).
    func findLoose(_ wanted: [[UInt8]], keys: [[UInt8]], maxSkipped: Int, allowJoined: Bool = false) -> [[ClosedRange<Int>]] {
        let wantedKeys = wanted.map(LineKey.of)
        guard let firstKey = wantedKeys.first else { return [] }
        func span(_ key: [UInt8], at i: Int) -> ClosedRange<Int>? {
            guard i < keys.count else { return nil }
            if keys[i] == key { return i...i }
            guard allowJoined, !key.isEmpty, !keys[i].isEmpty, key.starts(with: keys[i]) else { return nil }
            var joined = keys[i]
            var end = i
            while end + 1 < keys.count, end - i < 2 {
                end += 1
                joined += keys[end]
                if joined == key { return i...end }
                if !key.starts(with: joined) { return nil }
            }
            return nil
        }
        var found: [[ClosedRange<Int>]] = []
        for start in 0..<keys.count {
            guard let first = span(firstKey, at: start) else { continue }
            var positions = [first]
            var i = first.upperBound + 1
            var skipped = 0
            var ok = true
            for key in wantedKeys.dropFirst() {
                while i < keys.count, keys[i].isEmpty, !key.isEmpty, skipped < maxSkipped {
                    i += 1
                    skipped += 1
                }
                guard let next = span(key, at: i) else { ok = false; break }
                positions.append(next)
                i = next.upperBound + 1
            }
            if ok { found.append(positions) }
            if found.count > 20 { break }
        }
        return found
    }
}
