import Series
import StablePages
import Support

/// What CI systems and b4 take from a review: per patch, what it introduces.
public enum PatchVerdicts {
    /// The findings patch `k` (the k-th applied; without a tree, the one the diff rule names)
    /// opens, and the problems in its mail or apply, worst first.
    public static func forPatch(_ k: Int, of r: ReviewSummary) -> (findings: [Finding], diagnostics: [Diagnostic]) {
        let number = r.patch(forTree: k)?.number ?? k
        let findings = r.introduced.filter { ($0.introducedBy ?? 1) == k }
            .sorted { ($0.severity == .error ? 0 : 1, $0.file, $0.line) < ($1.severity == .error ? 0 : 1, $1.file, $1.line) }
        let diagnostics = r.diagnostics.filter { $0.patch == number && $0.severity != .info }
            .sorted { ($0.severity == .error ? 0 : 1) < ($1.severity == .error ? 0 : 1) }
        return (findings, diagnostics)
    }
}

/// `--format b4`: what `b4 prep --check` runs per patch (`b4.prep-perpatch-check-cmd =
/// spw-review review - --format b4`, the patch on standard input). One line per finding the
/// patch introduces and per problem in its mail, checkpatch's terse form
/// (`file:line: ERROR: message`, which b4 reads as a failure; `WARNING:` as a warning); nothing
/// at all when the patch is clean (b4 then says it passed).
public enum B4Report {
    public static func render(_ r: ReviewSummary) -> String {
        var lines: [String] = []
        for k in 1...max(1, r.series.patches.count) {
            let (findings, diagnostics) = PatchVerdicts.forPatch(k, of: r)
            for f in findings {
                lines.append("\(f.file):\(f.line): \(f.severity == .error ? "ERROR" : f.severity == .warning ? "WARNING" : "CHECK"): \(f.message) [\(f.rule)]")
            }
            for d in diagnostics {
                let at = d.diffPath.map { "\($0): " } ?? d.location.map { "\($0.file):\($0.line): " } ?? ""
                lines.append("\(at)\(d.severity == .error ? "ERROR" : "WARNING"): \(d.message) [\(d.code)]")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

/// `--format patchwork-check`: for each patch, the body patchwork's checks API takes
/// (`POST /api/patches/{id}/checks/`: `state`, `target_url`, `description` of at most 255
/// characters, `context`), with the patch's number and Message-ID to find its patchwork id by
/// (docs/patchwork.md).
public enum PatchworkCheckReport {
    public static let context = "spw-review"

    public static func document(_ r: ReviewSummary, targetURL: String?) -> JSONValue {
        .array(r.series.patches.enumerated().map { index, patch in
            let (findings, diagnostics) = PatchVerdicts.forPatch(index + 1, of: r)
            let failing = findings.contains { $0.severity == .error } || diagnostics.contains { $0.severity == .error }
            let warning = !findings.isEmpty || !diagnostics.isEmpty
            let state = failing ? "fail" : warning ? "warning" : "success"
            var description: String
            if let first = findings.first {
                description = "\(findings.count) stable-page finding(s): \(first.message)"
            } else if let first = diagnostics.first {
                description = "\(diagnostics.count) problem(s): \(first.message)"
            } else {
                description = r.trees > 0 ? "no stable-page finding introduced" : "no problem in the diff (reviewed without a kernel tree)"
            }
            if description.count > 255 { description = String(description.prefix(254)) + "…" }
            return .object([
                ("patch", .int(patch.number)),
                ("messageID", .optional(patch.messageID)),
                ("check", .object([
                    ("state", .string(state)),
                    ("target_url", .optional(targetURL)),
                    ("description", .string(description)),
                    ("context", .string(context)),
                ])),
            ])
        })
    }
}
