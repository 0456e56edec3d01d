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
