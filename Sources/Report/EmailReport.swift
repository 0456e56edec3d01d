
import Series
import StablePages
import Support

/// Replies a maintainer can send as they are, as an mbox (`git send-email`, mutt): one message
/// per patch that has something to answer, to that patch's Message-ID, quoting the hunk each
/// comment is about with the comment right below the quoted line; and one to the cover letter
/// (or, without one, to the first patch) with what the series resolves and how it applied.
/// Plain text, 72 columns for prose (quoted code and path steps are kept whole), no top-posting,
/// a signature.
public enum EmailReport {
    public static let width = 72

    public static func render(_ r: ReviewSummary, reviewer: Person? = nil) -> String {
        var messages: [String] = []
        var answered: [Int] = []
        // Findings by the patch that opened them: tree k is the k-th patch applied.
        var byTree: [Int: [Finding]] = [:]
        for f in r.introduced { byTree[f.introducedBy ?? 1, default: []].append(f) }
        for k in byTree.keys.sorted() {
            guard let patch = r.patch(forTree: k) else { continue }
            let problems = r.diagnostics.filter { $0.patch == patch.number && $0.severity != .info }
            messages.append(patchReply(r, patch: patch, findings: byTree[k]!, diagnostics: problems, reviewer: reviewer))
            answered.append(k)
        }
        if r.series.coverLetter != nil || messages.isEmpty {
            messages.insert(summaryReply(r, answered: answered, reviewer: reviewer), at: 0)
        }
        return messages.joined(separator: "\n")
    }

    // MARK: - One patch

    static func patchReply(_ r: ReviewSummary, patch: Patch, findings: [Finding], diagnostics: [Diagnostic],
                           reviewer: Person?) -> String {
        var out = headers(subject: patch.subject.isEmpty ? "[PATCH] \(patch.subjectInfo.title)" : patch.subject,
                          messageID: patch.messageID, recipients: patch.recipients, author: patch.author, reviewer: reviewer)
        out.append("On \(patch.date ?? "an unknown date"), \(name(patch.author)) wrote:")
        // Each comment goes below the hunk line it is about: the finding's own line when the patch
        // touches it, else the last step of its path that the patch touches, else the file's
        // first hunk. Comments on one hunk share one quote.
        var groups: [(place: HunkPlace?, findings: [Finding])] = []
        for f in findings.sorted(by: { ($0.file, $0.line) < ($1.file, $1.line) }) {
            // A removed wait is named by its line in the file before the patch.
            let place = hunkPlace(patch, file: f.file, lines: [f.line] + f.path.filter { $0.file == f.file }.map(\.line).reversed(),
                                  oldSide: f.rule == "stable-pages/wait-removed")
            if let place, let g = groups.firstIndex(where: { $0.place?.file == place.file && $0.place?.hunk == place.hunk }) {
                groups[g].findings.append(f)
                groups[g].place!.target = max(groups[g].place!.target, place.target)
            } else {
                groups.append((place, [f]))
            }
        }
        for (place, group) in groups {
            if let place { out += quote(patch, place) } else { out.append("> [\(group[0].file):\(group[0].line)]") }
            for f in group {
                out.append("")
                out += wrap("\(f.severity.rawValue): \(f.message) [\(f.rule)]")
                if !f.path.isEmpty {
                    out.append("")
                    out += wrap("The path, step by step:")
                    for step in f.path.prefix(16) { out.append("  \(step.file):\(step.line): \(step.note)") }
                    if f.path.count > 16 { out += wrap("(\(f.path.count - 16) more steps: spw-review --format json)", indent: "  ", hanging: "  ") }
                }
            }
            out.append("")
        }
        for d in diagnostics {
            out += wrap("\(d.severity.rawValue): \(d.message) [\(d.code)]")
            out.append("")
        }
        out += signature
        return out.joined(separator: "\n")
    }

    struct HunkPlace {
        var file: Int
        var hunk: Int
        /// Index in the hunk's lines of the line commented on.
        var target: Int
    }

    /// The first of `lines` (of `path`, new side; else old side, for a removed line) that a hunk
    /// of `patch` holds — the finding's own line, then the steps of its path, last first; else
    /// the file's first hunk, up to its first change.
    static func hunkPlace(_ patch: Patch, file path: String, lines: [Int], oldSide: Bool = false) -> HunkPlace? {
        let files = patch.files.indices.filter { patch.files[$0].newPath == path || patch.files[$0].oldPath == path }
        for (k, line) in lines.enumerated() {
            for f in files {
                for (h, hunk) in patch.files[f].hunks.enumerated() {
                    guard let t = index(of: line, in: hunk, oldSide: oldSide && k == 0) else { continue }
                    // A step of the path inside the hunk: the comment is about the hunk's change.
                    let change = k == 0 ? nil : hunk.lines.lastIndex { $0.kind == .added || $0.kind == .removed }
                    return HunkPlace(file: f, hunk: h, target: change ?? t)
                }
            }
        }
        guard let f = files.first, let hunk = patch.files[f].hunks.first else { return nil }
        return HunkPlace(file: f, hunk: 0, target: hunk.lines.firstIndex { $0.kind != .context } ?? 0)
    }

    static func index(of line: Int, in hunk: Hunk, oldSide: Bool = false) -> Int? {
        var old = hunk.oldStart, new = hunk.newStart
        var removed: Int?
        for (i, l) in hunk.lines.enumerated() {
            switch l.kind {
            case .context:
                if new == line && !oldSide { return i }
                old += 1; new += 1
            case .added:
                if new == line && !oldSide { return i }
                new += 1
            case .removed:
                if old == line && removed == nil { removed = i }
                old += 1
            case .noNewlineMarker: break
            }
        }
        return removed
    }

    /// The hunk quoted from its `@@` line through the target line, trimmed to the five before it.
    static func quote(_ patch: Patch, _ place: HunkPlace) -> [String] {
        let file = patch.files[place.file]
        let hunk = file.hunks[place.hunk]
        var out = ["> diff --git a/\(file.oldPath ?? file.path) b/\(file.newPath ?? file.path)",
                   "> @@ -\(hunk.oldStart),\(hunk.oldCount) +\(hunk.newStart),\(hunk.newCount) @@\(hunk.header.isEmpty ? "" : " " + hunk.header)"]
        let first = max(0, place.target - 5)
        if first > 0 { out.append("> [...]") }
        out += hunk.lines[first...place.target].map { "> " + $0.prefixed }
        return out
    }

    // MARK: - The series

    static func summaryReply(_ r: ReviewSummary, answered: [Int], reviewer: Person?) -> String {
        let s = r.series
        let target = s.coverLetter.map { (subject: $0.subject, id: $0.messageID, author: $0.author, date: $0.date, recipients: $0.recipients) }
            ?? s.patches.first.map { (subject: $0.subject, id: $0.messageID, author: $0.author, date: $0.date, recipients: $0.recipients) }
        var out: [String] = []
        if let target {
            let subject = target.subject.isEmpty ? "[PATCH v\(s.version)] \(s.title)" : target.subject
            out = headers(subject: subject, messageID: target.id, recipients: target.recipients, author: target.author, reviewer: reviewer)
            out.append("On \(target.date ?? "an unknown date"), \(name(target.author)) wrote:")
            out.append("> \(target.subject.isEmpty ? s.title : SubjectParser.parse(target.subject).title)")
            out.append("")
        }
        out += wrap("spw-review looked at this series for stable page writes (a page must be locked, then waited for writeback, before it is handed back writable).")
        out.append("")
        if let apply = r.apply {
            out += wrap("It applies to \(String(apply.base.commit.prefix(12))) (\(apply.base.how.rawValue)):")
            for (k, p) in apply.patches.enumerated() {
                out += wrap("\(r.patchLabel(k + 1)): \(p.status.rawValue)", indent: "  ", hanging: "    ")
            }
            out.append("")
        }
        if r.trees == 0 {
            out += wrap("There was no kernel tree to review against: only the rules that read the diff ran.")
            out.append("")
        }
        if !answered.isEmpty {
            let labels = answered.map { r.patchLabel($0).split(separator: " ").first.map(String.init) ?? "\($0)" }
            out += wrap("The series opens \(r.introduced.count) path(s) that hand back a page without waiting for writeback; see my replies to patch \(labels.joined(separator: ", ")).")
            out.append("")
        }
        if !r.resolved.isEmpty {
            out += wrap("It closes these:")
            out.append("")
            for f in r.resolved {
                out += wrap("\(f.file):\(f.line): \(f.message)", indent: "  ", hanging: "    ")
                if let k = f.resolvedBy { out += wrap("(resolved by patch \(r.patchLabel(k)))", indent: "    ", hanging: "    ") }
                out.append("")
            }
        }
        if r.listsUnchanged && !r.untouched.isEmpty {
            out += wrap("These were there before and are still there:")
            out.append("")
            for f in r.untouched {
                out += wrap("\(f.file):\(f.line): \(f.message)", indent: "  ", hanging: "    ")
                out.append("")
            }
        }
        if r.findings.isEmpty {
            out += wrap("Nothing to report: no path makes a page writable without waiting.")
            out.append("")
        }
        if let line = r.unchangedCountLine {
            out += wrap(r.introduced.isEmpty && r.resolved.isEmpty ? "The series neither opens nor closes a path; " + line : line)
            out.append("")
        }
        let damage = r.diagnostics.filter { $0.code == "mail/whitespace-damage" }.count
        if damage > 0 {
            out += wrap("The mail's whitespace was damaged in \(damage) place(s); please resend with git send-email.")
            out.append("")
        }
        out += signature
        return out.joined(separator: "\n")
    }

    // MARK: - Parts

    static let signature = ["-- ", "spw-review", ""]

    static func name(_ person: Person?) -> String {
        guard let person else { return "the author" }
        return person.name.isEmpty ? person.email : person.name
    }

    /// An mbox entry's separator and the headers of a reply to `messageID`: `To` the author,
    /// `Cc` whoever the original went to.
    static func headers(subject: String, messageID: String?, recipients: Recipients, author: Person?, reviewer: Person?) -> [String] {
        var out = ["From spw-review Mon Sep 17 00:00:00 2001"]
        if let reviewer, !reviewer.email.isEmpty { out.append("From: \(reviewer.formatted)") }
        let to = author.flatMap { $0.email.isEmpty || $0.email.contains("protected") ? nil : $0 }
        if let to { out.append("To: \(to.formatted)") }
        var seen = Set([to?.email.lowercased() ?? "", reviewer?.email.lowercased() ?? ""])
        var cc: [String] = []
        for address in recipients.to + recipients.cc {
            let email = Person.parse(address)?.email.lowercased() ?? address.lowercased()
            if seen.insert(email).inserted { cc.append(address) }
        }
        if !cc.isEmpty { out.append("Cc: " + cc.joined(separator: ",\n    ")) }
        var title = subject
        while title.lowercased().hasPrefix("re: ") { title = String(title.dropFirst(4)) }
        out.append("Subject: Re: \(title)")
        if let id = messageID {
            out.append("In-Reply-To: <\(id)>")
            let references = (recipients.references.filter { $0 != id } + [id]).map { "<\($0)>" }
            out.append("References: " + references.joined(separator: "\n    "))
        }
        out += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit", ""]
        return out
    }

    /// Prose wrapped at 72 columns (a word longer than the line is kept whole).
    static func wrap(_ text: String, indent: String = "", hanging: String? = nil) -> [String] {
        var lines: [String] = []
        var current = indent
        var empty = true
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !empty && current.count + 1 + word.count > width {
                lines.append(current)
                current = hanging ?? indent
                empty = true
            }
            current += (empty ? "" : " ") + word
            empty = false
        }
        if !empty { lines.append(current) }
        return lines
    }
}
