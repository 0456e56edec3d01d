import Git
import Support
import Series

/// Compares our reading of each clean, git-format diff with libgit2's patch parser: files and
/// hunk ranges must agree. Damaged diffs are ours alone (libgit2 rejects them, as git apply does).
public enum DiffSecondOpinion {
    public static func check(_ series: PatchSeries) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for patch in series.patches where !patch.isDamaged && patch.files.allSatisfy({ $0.isGitFormat && !$0.isBinary }) {
            let rawDiff = patch.rawDiff
            if rawDiff.isEmpty { continue }
            let theirs: [ParsedPatchFile]
            do {
                theirs = try GitPatchParser.parse(rawDiff)
            } catch {
                // libgit2 1.5 refuses some diffs git itself writes (an empty new file has no
                // ---/+++ lines): worth a note, not a warning about the mail.
                diagnostics.append(Diagnostic(
                    "mail/parser-disagreement", .info,
                    "libgit2 cannot read patch \(patch.number)/\(patch.total)'s diff, which we read as clean (\(error)); our reading stands",
                    at: patch.source, patch: patch.number))
                continue
            }
            let ours = patch.files.map { f in
                ParsedPatchFile(oldPath: f.oldPath, newPath: f.newPath,
                                hunks: f.hunks.map { ParsedHunkRange(oldStart: $0.oldStart, oldCount: $0.oldCount,
                                                                     newStart: $0.newStart, newCount: $0.newCount) })
            }
            // libgit2 names both sides of an added/deleted file with the existing path.
            let normalize: ([ParsedPatchFile]) -> [String] = { files in
                files.map { f in "\(f.newPath ?? f.oldPath ?? ""):" + f.hunks.map { "\($0.oldStart),\($0.oldCount)+\($0.newStart),\($0.newCount)" }.joined(separator: " ") }
            }
            if normalize(ours) != normalize(theirs.map { f in
                var f = f
                if f.newPath == nil || f.newPath == "/dev/null" { f.newPath = f.oldPath }
                return f
            }) {
                diagnostics.append(Diagnostic(
                    "mail/parser-disagreement", .warning,
                    "patch \(patch.number)/\(patch.total): libgit2 reads the diff as \(normalize(theirs).joined(separator: "; ")), we read \(normalize(ours).joined(separator: "; "))",
                    at: patch.source, patch: patch.number))
            }
        }
        return diagnostics
    }
}
