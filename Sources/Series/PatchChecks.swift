import Mail

/// Checks on one patch that need nothing but the mail: sign-offs, diffstat, an empty diff.
enum PatchChecks {
    static func run(_ patch: inout Patch) {
        let location = patch.source
        let signers = patch.trailers.filter { $0.key == "Signed-off-by" }.compactMap(\.person)
        if signers.isEmpty {
            patch.diagnostics.append(Diagnostic(
                "mail/missing-signoff", .warning,
                "patch \(patch.number)/\(patch.total) has no Signed-off-by: (Documentation/process/submitting-patches.rst)",
                at: location, patch: patch.number))
        } else if let author = patch.author, !author.email.isEmpty, !isObfuscated(author.email) {
            let matches = signers.contains { signer in
                signer.email.lowercased() == author.email.lowercased()
                    || (isObfuscated(signer.email) && !author.name.isEmpty && signer.name == author.name)
            }
            if !matches {
                patch.diagnostics.append(Diagnostic(
                    "mail/from-signoff-mismatch", .warning,
                    "author \(author.formatted) has no matching Signed-off-by (signed off: \(signers.map(\.formatted).joined(separator: ", ")))",
                    at: location, patch: patch.number))
            }
        }
        if patch.files.isEmpty {
            patch.diagnostics.append(Diagnostic(
                "mail/corrupt-diff", .error, "patch \(patch.number)/\(patch.total) carries no diff that could be read",
                at: location, patch: patch.number))
        }
        checkDiffstat(&patch)
    }

    static func isObfuscated(_ email: String) -> Bool {
        email.contains("protected]") || !email.contains("@")
    }

    /// The diffstat as sent must describe the diff as sent.
    static func checkDiffstat(_ patch: inout Patch) {
        guard !patch.diffstat.isEmpty, !patch.files.isEmpty else { return }
        var unmatchedFiles = Set(patch.files.indices)
        for entry in patch.diffstat {
            let candidates = patch.files.indices.filter { unmatchedFiles.contains($0) && matches(entry.path, patch.files[$0]) }
            guard let index = candidates.first else {
                patch.diagnostics.append(Diagnostic(
                    "mail/diffstat-mismatch", .warning, "diffstat names '\(entry.path)', which the diff does not touch",
                    at: entry.mailLine.map { SourceLocation(file: patch.source?.file ?? "", line: $0) }, patch: patch.number,
                    diffPath: entry.path))
                continue
            }
            unmatchedFiles.remove(index)
            let file = patch.files[index]
            guard let changes = entry.changes, !file.isBinary else { continue }
            let actual = file.addedLines + file.removedLines
            if changes != actual {
                patch.diagnostics.append(Diagnostic(
                    "mail/diffstat-mismatch", .warning,
                    "diffstat says \(file.path) has \(changes) changed line(s), the diff has \(actual) (+\(file.addedLines) -\(file.removedLines))",
                    at: entry.mailLine.map { SourceLocation(file: patch.source?.file ?? "", line: $0) }, patch: patch.number,
                    diffPath: file.path))
            }
        }
        for index in unmatchedFiles.sorted() {
            let file = patch.files[index]
            patch.diagnostics.append(Diagnostic(
                "mail/diffstat-mismatch", .warning, "the diff touches \(file.path), which the diffstat does not list",
                at: file.mailLine.map { SourceLocation(file: patch.source?.file ?? "", line: $0) }, patch: patch.number,
                diffPath: file.path))
        }
    }

    /// Diffstat paths may be shortened (`.../foo/bar.c`) or show renames (`a => b`, `{a => b}/c`).
    static func matches(_ statPath: String, _ file: FileDiff) -> Bool {
        var candidates = [file.path]
        if let old = file.oldPath { candidates.append(old) }
        if let new = file.newPath { candidates.append(new) }
        if statPath.contains("=>") {
            return candidates.contains { expandRename(statPath).contains($0) }
        }
        if statPath.hasASCIIPrefix(".../") {
            let tail = statPath.dropFirst(3)
            return candidates.contains { $0.hasSuffix(tail) }
        }
        return candidates.contains(statPath)
    }

    /// `dir/{a => b}/c` → [`dir/a/c`, `dir/b/c`]; `a => b` → [`a`, `b`].
    static func expandRename(_ s: String) -> [String] {
        if let open = s.firstIndex(of: "{"), let close = s.firstIndex(of: "}"), open < close {
            let prefix = s[..<open], suffix = s[s.index(after: close)...]
            let inside = s[s.index(after: open)..<close].components(separatedBy: " => ")
            return inside.map { (prefix + $0 + suffix).replacingOccurrences(of: "//", with: "/") }
        }
        return s.components(separatedBy: " => ").map { $0.trimmingWhitespace() }
    }
}

/// A hunk of a series: patch number, the diff's path, 1-based index within the file's diff.
public struct HunkAddress: Hashable, Sendable {
    public var patch: Int
    public var path: String
    public var hunk: Int
    public init(patch: Int, path: String, hunk: Int) {
        self.patch = patch
        self.path = path
        self.hunk = hunk
    }
}

extension PatchSeries {
    /// The series once the tree has spoken: hunks whose context and removed lines are in the
    /// file exactly as the mail has them (`appliedAsSent`) did not lose their indentation in
    /// transit, whatever the mail alone suggested (a file indented with spaces looks like tabs
    /// expanded by a mailer). Their `indentation-lost` damage and its warning are withdrawn;
    /// every other kind stays (a context line without its leading space is damage even when
    /// its text matches).
    public func confirmingIndentation(appliedAsSent: Set<HunkAddress>,
                                      filesCarriageReturns: Set<HunkAddress> = []) -> PatchSeries {
        guard !appliedAsSent.isEmpty else { return self }
        var out = self.withdrawingCarriageReturns(filesCarriageReturns)
        for p in out.patches.indices {
            let number = out.patches[p].number
            var withdrawn: [(path: String, hunk: Int, detail: String)] = []
            for f in out.patches[p].files.indices {
                let path = out.patches[p].files[f].path
                for h in out.patches[p].files[f].hunks.indices
                    where appliedAsSent.contains(HunkAddress(patch: number, path: path, hunk: h + 1)) {
                    let hunk = out.patches[p].files[f].hunks[h]
                    // Only the "spaces, no tabs" guess, and only when a line the file was searched
                    // for (context or removed) is indented with spaces: matched exactly, the file
                    // itself has spaces there. A hunk with nothing to match (a new file, a pure
                    // insertion) or unindented context proves nothing about its added lines.
                    let fileHasSpaces = hunk.lines.contains { ($0.kind == .context || $0.kind == .removed) && $0.text.firstByte == 0x20 }
                    let lost = hunk.damage.filter { $0.kind == .indentationLost && $0.detail == DiffParser.spacesNotTabs }
                    guard fileHasSpaces, !lost.isEmpty else { continue }
                    out.patches[p].files[f].hunks[h].damage.removeAll { $0.kind == .indentationLost && $0.detail == DiffParser.spacesNotTabs }
                    withdrawn += lost.map { (path, h + 1, DiffParser.describe(.indentationLost, count: 1, detail: $0.detail).1) }
                }
            }
            out.patches[p].diagnostics.removeAll { d in
                d.code == "mail/whitespace-damage" && withdrawn.contains { w in
                    d.diffPath == w.path && d.hunk == w.hunk && d.message.hasSuffix(": " + w.detail)
                }
            }
        }
        return out
    }

    /// `\r`s that are the file's (a CRLF file, applied as sent) are not mailer damage.
    func withdrawingCarriageReturns(_ hunks: Set<HunkAddress>) -> PatchSeries {
        guard !hunks.isEmpty else { return self }
        var out = self
        for p in out.patches.indices {
            let number = out.patches[p].number
            var withdrawn: [(path: String, hunk: Int)] = []
            for f in out.patches[p].files.indices {
                let path = out.patches[p].files[f].path
                for h in out.patches[p].files[f].hunks.indices where hunks.contains(HunkAddress(patch: number, path: path, hunk: h + 1)) {
                    out.patches[p].files[f].hunks[h].damage.removeAll { $0.kind == .carriageReturn }
                    withdrawn.append((path, h + 1))
                }
            }
            out.patches[p].diagnostics.removeAll { d in
                d.code == "mail/crlf-in-diff" && withdrawn.contains { d.diffPath == $0.path && d.hunk == $0.hunk }
            }
        }
        return out
    }
}
