import Support
import Series

/// Terminal output: what a reviewer reads first. Colour only on a terminal and without NO_COLOR.
public struct TextStyle: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    public func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func bold(_ s: String) -> String { paint(s, "1") }
    public func dim(_ s: String) -> String { paint(s, "2") }
    public func severity(_ severity: Severity) -> String {
        switch severity {
        case .error: paint("error", "1;31")
        case .warning: paint("warning", "1;33")
        case .info: paint("note", "1;36")
        }
    }
}

public enum TextReport {
    public static func series(_ s: PatchSeries, style: TextStyle) -> String {
        var out: [String] = []
        let title = s.title.isEmpty ? "(untitled series)" : s.title
        var summary = "\(s.patches.count) of \(s.total) patch\(s.total == 1 ? "" : "es")"
        summary += s.coverLetter != nil ? ", cover letter" : ", no cover letter"
        summary += ", \(s.replies.count) repl\(s.replies.count == 1 ? "y" : "ies")"
        out.append(style.bold("Series: \(title) v\(s.version)") + " (\(summary))")
        if let base = s.footer.baseCommit { out.append("  base-commit: \(base)") }
        if !s.missingPatches.isEmpty {
            out.append("  missing: " + s.missingPatches.map { "\($0)/\(s.total)" }.joined(separator: ", "))
        }
        if let c = s.coverLetter {
            let subject = c.subject.isEmpty ? "(cover letter, no subject)" : c.subject
            out.append("  0/\(s.total) \(subject)" + (c.author.map { style.dim(" — \($0.formatted)") } ?? ""))
        }
        for p in s.patches {
            let subject = p.subjectInfo.title.isEmpty ? "(no subject)" : p.subjectInfo.title
            out.append("  \(p.number)/\(p.total) \(subject)" + (p.author.map { style.dim(" — \($0.formatted)") } ?? ""))
            for f in p.files {
                var line = "      \(f.path)"
                if f.isBinary { line += " (binary)" }
                if f.isNew { line += " (new)" }
                if f.isDeleted { line += " (deleted)" }
                if f.isRename, let old = f.oldPath { line += " (renamed from \(old))" }
                let damaged = f.hunks.filter(\.isDamaged).count
                line += ": \(f.hunks.count) hunk\(f.hunks.count == 1 ? "" : "s"), +\(f.addedLines) -\(f.removedLines)"
                if damaged > 0 { line += ", " + style.paint("\(damaged) damaged", "33") }
                out.append(line)
            }
            for t in p.trailers + p.collectedTrailers { out.append("      \(t.key): \(t.value)") }
        }
        if !s.replies.isEmpty {
            out.append(style.bold("Replies:"))
            for r in s.replies {
                let who = r.author?.formatted ?? "(unknown author)"
                let to: String
                switch r.inReplyTo {
                case .cover: to = "cover letter"
                case .patch(let n): to = "patch \(n)/\(s.total)"
                case .unknown: to = "thread"
                }
                let first = r.ownText.split(separator: "\n").first.map(String.init) ?? ""
                out.append("  \(who) → \(to): \(first.count > 70 ? String(first.prefix(67)) + "..." : first)")
                for t in r.trailers { out.append("      \(t.key): \(t.value)") }
            }
        }
        return out.joined(separator: "\n")
    }

    /// `file:line: warning: message [code]`.
    public static func diagnostic(_ d: Diagnostic, style: TextStyle) -> String {
        var prefix = ""
        if let l = d.location { prefix = "\(l.file):\(l.line): " }
        return "\(prefix)\(style.severity(d.severity)): \(d.message) [\(d.code)]"
    }

    public static func list(_ c: SeriesCollection, style: TextStyle) -> String {
        c.series.enumerated().map { index, s in
            let title = s.title.isEmpty ? "(untitled)" : s.title
            let present = Set(s.patches.map(\.number)).count
            var flags: [String] = []
            flags.append(s.coverLetter != nil ? "cover" : "no cover")
            flags.append(s.isComplete ? "complete" : "incomplete")
            if s.patches.contains(where: { $0.subjectInfo.isResend }) { flags.append("resend") }
            return "\(index + 1)\tv\(s.version)\t\(present)/\(s.total)\t\(flags.joined(separator: ", "))\t\(title)"
        }.joined(separator: "\n")
    }
}
