import Apply
import Support
import Series
import StablePages

/// What a review found, as the people-facing renderers (Markdown, email reply) see it.
public struct ReviewSummary {
    public var series: PatchSeries
    public var apply: ApplyResult?
    public var findings: [Finding]
    public var trees: Int
    public var diagnostics: [Diagnostic]
    /// List the findings the series leaves as they were (`--all`); by default they are only counted,
    /// since an author or maintainer reads what the series changes.
    public var listsUnchanged: Bool

    public init(series: PatchSeries, apply: ApplyResult?, findings: [Finding], trees: Int, diagnostics: [Diagnostic],
                listsUnchanged: Bool = false) {
        self.series = series
        self.apply = apply
        self.findings = findings
        self.trees = trees
        self.diagnostics = diagnostics
        self.listsUnchanged = listsUnchanged
    }

    /// "52 findings already in the base tree, unchanged: --all to list them", when they are not listed.
    public var unchangedCountLine: String? {
        let count = untouched.count
        guard !listsUnchanged, count > 0 else { return nil }
        return FindingsCount.unchangedLine(count)
    }

    public var introduced: [Finding] { findings.filter { trees == 0 || $0.introducedBy != nil } }
    public var resolved: [Finding] { findings.filter { $0.resolvedBy != nil && $0.introducedBy == nil } }
    public var untouched: [Finding] { trees == 0 ? [] : findings.filter { $0.introducedBy == nil && $0.resolvedBy == nil } }

    /// The patch tree `k` is the result of: the k-th patch applied, whatever its number (a series
    /// with a missing patch has gaps), so a finding is never pinned on a neighbour.
    func patch(forTree k: Int) -> Patch? {
        k >= 1 && k <= series.patches.count ? series.patches[k - 1] : nil
    }

    func patchLabel(_ k: Int) -> String {
        guard let p = patch(forTree: k) else { return "\(k)/\(series.total)" }
        let title = p.subjectInfo.title
        return "\(p.number)/\(series.total)" + (title.isEmpty ? "" : " \(title)")
    }
}

/// The one line that stands for the findings a series leaves alone.
public enum FindingsCount {
    public static func unchangedLine(_ count: Int) -> String {
        "\(count) finding\(count == 1 ? "" : "s") already in the base tree, unchanged: --all to list \(count == 1 ? "it" : "them")"
    }
}

/// Markdown, for a merge request, a patchwork check or a CI summary.
public enum MarkdownReport {
    public static func render(_ r: ReviewSummary) -> String {
        var out: [String] = []
        let s = r.series
        out.append("## spw-review: \(s.title.isEmpty ? "(untitled series)" : s.title) v\(s.version)")
        out.append("")
        out.append("\(s.patches.count) of \(s.total) patches" + (s.coverLetter != nil ? ", cover letter" : "") + ", \(s.replies.count) replies.")
        out.append("")
        out.append("| patch | author | files | mail | apply |")
        out.append("| --- | --- | --- | --- | --- |")
        for p in s.patches {
            let apply = r.apply?.patches.first { $0.number == p.number }.map { $0.status.rawValue } ?? "—"
            let files = p.files.map { "`\($0.path)`" }.joined(separator: ", ")
            out.append("| \(r.patchLabel(p.number)) | \(p.author?.name ?? "") | \(files) | \(p.isDamaged ? "damaged, repaired" : "clean") | \(apply) |")
        }
        out.append("")
        if r.trees == 0 {
            out.append("No kernel tree: only the rules that read the diff ran.")
            out.append("")
        }
        section(&out, "Introduced by the series", r.introduced, paths: true)
        section(&out, "Resolved by the series", r.resolved, paths: true)
        if r.listsUnchanged { section(&out, "Present before and after", r.untouched, paths: false) }
        if r.findings.isEmpty { out.append("No stable-page findings.\n") }
        if let line = r.unchangedCountLine { out.append(line + "\n") }
        let problems = r.diagnostics.filter { $0.severity != .info }
        if !problems.isEmpty {
            out.append("### Mail and apply diagnostics")
            out.append("")
            for d in problems {
                let at = d.location.map { "`\($0.file):\($0.line)` " } ?? ""
                out.append("- \(at)**\(d.severity.rawValue)** \(d.message) (`\(d.code)`)")
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    static func section(_ out: inout [String], _ title: String, _ findings: [Finding], paths: Bool) {
        guard !findings.isEmpty else { return }
        out.append("### \(title)")
        out.append("")
        for f in findings {
            var delta = ""
            if let k = f.introducedBy { delta += " — introduced by patch \(k)" }
            if let k = f.resolvedBy { delta += " — resolved by patch \(k)" }
            out.append("- **\(f.severity.rawValue)** `\(f.file):\(f.line)` \(f.message) (`\(f.rule)`)\(delta)")
            if paths && !f.path.isEmpty {
                out.append("  <details><summary>path</summary>")
                out.append("")
                for step in f.path { out.append("  - `\(step.file):\(step.line)` \(step.note)") }
                out.append("")
                out.append("  </details>")
            }
        }
        out.append("")
    }
}
