import Support
import Series
import Git

/// The apply stage: finds the series' base in a repository and applies the patches one by one
/// in memory, producing the trees T0 (the base's) to Tn. Nothing is written to the repository
/// unless a branch is asked for.
public enum SeriesApplier {
    /// Applies `series` to the repository at (or enclosing) `repositoryPath`.
    public static func apply(_ series: PatchSeries, repositoryPath: String,
                             configuration: ApplyConfiguration = ApplyConfiguration()) throws -> ApplyResult {
        try applyKeepingTrees(series, repositoryPath: repositoryPath, configuration: configuration).result
    }

    /// Like `apply`, and hands back the repository whose in-memory object store holds T1..Tn, so
    /// later stages can read the trees (nothing of them is on disk).
    public static func applyKeepingTrees(_ series: PatchSeries, repositoryPath: String,
                                         configuration: ApplyConfiguration = ApplyConfiguration())
        throws -> (result: ApplyResult, repository: Repository) {
        let repository: Repository
        do {
            repository = try Repository(path: repositoryPath, inMemoryWrites: true)
        } catch let error as GitError {
            throw ApplyError("\(repositoryPath): not a git repository (\(error.message))")
        }
        if let branch = configuration.applyToBranch {
            try BranchWriter.check(branch: branch, repository: repository)
        }
        // The base search only reads: a handle without the in-memory backend is enough.
        let reader = try Repository(path: repository.gitDirectory)
        let (base, baseDiagnostics) = try BaseResolver(repository: reader, configuration: configuration).resolve(series)
        var run = Run(repository: repository, series: series)
        run.diagnostics = baseDiagnostics
        let baseTree = try repository.commit(ObjectID(hex: base.commit)!).treeID
        var tree = baseTree
        var trees = [baseTree.hex]
        var patches: [PatchResult] = []
        for patch in series.patches {
            let result = try run.apply(patch, to: tree)
            tree = ObjectID(hex: result.tree)!
            trees.append(result.tree)
            patches.append(result)
        }
        var result = ApplyResult(tree: repository.workingDirectory ?? repository.gitDirectory, base: base,
                                 patches: patches, trees: trees, resultTree: tree.hex, diagnostics: run.diagnostics)
        if let branch = configuration.applyToBranch {
            try BranchWriter.write(branch: branch, result: &result, series: series, memory: repository)
        }
        return (result, repository)
    }

    /// The state of one run: the repository and the diagnostics gathered.
    struct Run {
        let repository: Repository
        let series: PatchSeries
        var diagnostics: [Diagnostic] = []

        mutating func apply(_ patch: Patch, to tree: ObjectID) throws -> PatchResult {
            var hunks: [HunkResult] = []
            var files: [FileResult] = []
            var updates: [TreeUpdate] = []
            // Paths changed by earlier files of this patch (nil: removed).
            var overlay: [String: (id: ObjectID, mode: FileMode)?] = [:]
            let treeObject = try repository.tree(tree)
            func entry(_ path: String) throws -> (id: ObjectID, mode: FileMode)? {
                if let changed = overlay[path] { return changed }
                return try treeObject.entry(path: path).flatMap { $0.isTree ? nil : ($0.id, $0.mode) }
            }
            func location(_ line: Int?) -> SourceLocation? {
                guard let file = patch.source?.file, let line else { return patch.source }
                return SourceLocation(file: file, line: line)
            }

            // Refuse the whole patch when any path is unsafe.
            for file in patch.files {
                for path in [file.oldPath, file.newPath].compactMap({ $0 }) {
                    if let problem = PathSafety.problem(path) {
                        let message = "refused: \(problem): \(path)"
                        diagnostics.append(Diagnostic("apply/unsafe-path", .error, "patch \(patch.number): \(message)",
                                                      at: location(file.mailLine), patch: patch.number, diffPath: path))
                        return PatchResult(number: patch.number, subject: patch.subjectInfo.title, status: .skipped,
                                           postimageVerified: nil, tree: tree.hex, hunks: [],
                                           files: [FileResult(oldPath: file.oldPath, newPath: file.newPath, status: .skipped,
                                                              message: message)],
                                           message: message)
                    }
                }
            }

            for file in patch.files {
                let path = file.path
                var fileResult = FileResult(oldPath: file.oldPath, newPath: file.newPath, status: .applied,
                                            indexPreimage: file.oldBlob, indexPostimage: file.newBlob,
                                            oldMode: file.oldMode, newMode: file.newMode, message: "applied")
                var binaryResult: [UInt8]?
                if file.isBinary, let binary = file.binaryPatch {
                    // `--binary` mails carry the data: applied as git applies it.
                    let old = try (file.isNew ? nil : (file.oldPath ?? file.newPath)).flatMap { try entry($0) }
                    do {
                        binaryResult = try BinaryPatchApplier.apply(binary, to: try old.map { try repository.blobContent($0.id) } ?? [])
                    } catch {
                        let message = "\(error)"
                        diagnostics.append(Diagnostic("apply/conflict", .error, "patch \(patch.number): \(path): \(message)",
                                                      at: location(file.mailLine), patch: patch.number, diffPath: path))
                        fileResult.status = .conflict
                        fileResult.message = message
                        hunks.append(HunkResult(file: path, hunk: 1, status: .conflict, message: message))
                        files.append(fileResult)
                        continue
                    }
                } else if file.isBinary {
                    let message = "binary file skipped: the mail says only that it differs (made without `git format-patch --binary`), so there is nothing to apply"
                    diagnostics.append(Diagnostic("apply/binary-skipped", .warning, "\(path): \(message)",
                                                  at: location(file.mailLine), patch: patch.number, diffPath: path))
                    fileResult.status = .skipped
                    fileResult.message = message
                    files.append(fileResult)
                    continue
                }
                let newMode = file.newMode.flatMap(FileMode.init(octal:))
                let oldModeGiven = file.oldMode.flatMap(FileMode.init(octal:))
                for mode in [oldModeGiven, newMode].compactMap({ $0 }) where mode == .symlink || mode == .gitlink {
                    diagnostics.append(Diagnostic("apply/special-file", .warning,
                                                  "\(path): \(mode == .symlink ? "symbolic link" : "submodule (gitlink)") in the patch (mode \(mode.octal))",
                                                  at: location(file.mailLine), patch: patch.number, diffPath: path))
                }
                if newMode == .gitlink || oldModeGiven == .gitlink {
                    fileResult.status = .skipped
                    fileResult.message = "submodule changes are not applied"
                    files.append(fileResult)
                    continue
                }
                if let old = oldModeGiven, let new = newMode, old != new, !file.isNew, !file.isDeleted {
                    diagnostics.append(Diagnostic("apply/mode-change", .info, "\(path): mode \(old.octal) → \(new.octal)",
                                                  at: location(file.mailLine), patch: patch.number, diffPath: path))
                }

                var prepared = file.hunks.enumerated().map { PreparedHunk($0.element, index: $0.offset + 1) }
                let applier = HunkApplier(path: path)
                let sourcePath = file.isNew ? nil : (file.oldPath ?? file.newPath)
                // A copy (or rename) takes its source as it was before this patch, as git does: an
                // earlier file of the same diff may have changed it.
                let source = try sourcePath.flatMap { path in
                    file.isCopy || file.isRename ? try treeObject.entry(path: path).flatMap { $0.isTree ? nil : ($0.id, $0.mode) } : try entry(path)
                }
                fileResult.preimageBlob = source?.id.hex

                // Existence checks.
                if file.isNew, let existing = try entry(file.newPath ?? path) {
                    let outcome = applier.apply(FileText([]), hunks: prepared)
                    let content = try repository.blobContent(existing.id)
                    if !outcome.hasConflict, outcome.text.bytes == content {
                        fileResult.status = .alreadyApplied
                        fileResult.message = "already applied: the new file is already there with this content"
                        hunks += prepared.map { HunkResult(file: path, hunk: $0.index, status: .alreadyApplied, message: "already applied") }
                    } else {
                        fileResult.status = .conflict
                        fileResult.message = "the patch creates \(path), which already exists with other content"
                        hunks.append(HunkResult(file: path, hunk: 1, status: .conflict, message: fileResult.message))
                    }
                    files.append(fileResult)
                    continue
                }
                if !file.isNew, source == nil {
                    if file.isDeleted {
                        fileResult.status = .alreadyApplied
                        fileResult.message = "already applied: \(path) is not in the tree"
                        hunks += prepared.map { HunkResult(file: path, hunk: $0.index, status: .alreadyApplied, message: "already deleted") }
                    } else {
                        fileResult.status = .conflict
                        fileResult.message = "\(sourcePath ?? path) is not in the tree"
                        hunks.append(HunkResult(file: path, hunk: 1, status: .conflict, message: fileResult.message))
                        diagnostics.append(Diagnostic("apply/conflict", .error, "patch \(patch.number): \(fileResult.message)",
                                                      at: location(file.mailLine), patch: patch.number, diffPath: path))
                    }
                    files.append(fileResult)
                    continue
                }

                let preimage = try source.map { try repository.blobContent($0.id) } ?? []
                // Lines sent with `\r\n` to a file that has none: the mailer's CRs, not the file's.
                if file.hunks.contains(where: { $0.damage.contains { $0.kind == .carriageReturn } }),
                   !file.isNew, !preimage.containsCRLF {
                    prepared = file.hunks.enumerated().map { PreparedHunk($0.element, index: $0.offset + 1, keepCarriageReturns: false) }
                }
                var outcome = binaryResult.map { HunkApplier.FileOutcome(text: FileText($0), results: [], candidateCounts: []) }
                    ?? applier.apply(FileText(preimage), hunks: prepared)
                var resultText = outcome.text
                var method: String? = nil

                // Three-way fallback: the patch's own preimage is in the repository but differs.
                if outcome.hasConflict, binaryResult == nil, let abbreviation = file.oldBlob,
                   let found = try? repository.lookup(abbreviation: abbreviation), found.kind == .blob,
                   found.id != source?.id {
                    let theirsBase = try repository.blobContent(found.id)
                    let onPreimage = applier.apply(FileText(theirsBase), hunks: prepared)
                    if !onPreimage.hasConflict {
                        let merged = try repository.mergeFile(ancestor: theirsBase, ours: preimage, theirs: onPreimage.text.bytes,
                                                              path: path)
                        method = "three-way"
                        if merged.automergeable {
                            resultText = FileText(merged.content)
                            outcome.results = outcome.results.map { r in
                                var r = r
                                r.status = .applied
                                r.method = "three-way"
                                r.closest = nil
                                r.message = "applied by a three-way merge: the patch applies to its preimage blob \(found.id.short), merged into the tree's \(source?.id.short ?? "file")"
                                return r
                            }
                            diagnostics.append(Diagnostic("apply/three-way", .info,
                                                          "\(path): applied by a three-way merge from preimage blob \(found.id.short)",
                                                          at: location(file.mailLine), patch: patch.number, diffPath: path))
                        } else {
                            let regions = ConflictRegions.extract(merged.content)
                            outcome.results = outcome.results.map { r in
                                var r = r
                                if r.status == .conflict {
                                    r.method = "three-way"
                                    r.message += "; the three-way merge from preimage blob \(found.id.short) conflicts too (\(regions.count) region\(regions.count == 1 ? "" : "s"))"
                                    r.closest = (r.closest ?? "") + regions.joined(separator: "")
                                }
                                return r
                            }
                        }
                    }
                }

                let conflicted = outcome.results.contains { $0.status == .conflict }
                if conflicted {
                    for r in outcome.results where r.status == .conflict {
                        let hunk = file.hunks[r.hunk - 1]
                        diagnostics.append(Diagnostic("apply/conflict", .error, "patch \(patch.number): \(path) hunk \(r.hunk): \(r.message)",
                                                      at: location(hunk.mailLine), patch: patch.number, diffPath: path, hunk: r.hunk))
                    }
                }

                // Postimage verification (and choice between repair candidates).
                var verified: Bool? = nil
                let preimageMatches: Bool
                if file.isNew {
                    preimageMatches = true
                } else if let abbreviation = file.oldBlob, let source {
                    preimageMatches = source.id.matches(abbreviation: abbreviation)
                } else {
                    preimageMatches = false
                }
                if !conflicted, method == nil, let expected = file.newBlob, ObjectID.isHexAbbreviation(expected) || expected.allSatisfy({ $0 == "0" }),
                   preimageMatches, !file.isDeleted {
                    var id = try repository.hashBlob(resultText.bytes)
                    verified = id.matches(abbreviation: expected)
                    if verified == false, outcome.candidateCounts.contains(where: { $0 > 1 }) {
                        for choices in SeriesApplier.choiceVectors(outcome.candidateCounts, limit: 256).dropFirst() {
                            let alternative = applier.apply(FileText(preimage), hunks: prepared, choices: choices)
                            id = try repository.hashBlob(alternative.text.bytes)
                            if id.matches(abbreviation: expected) {
                                verified = true
                                outcome = alternative
                                resultText = alternative.text
                                for k in outcome.results.indices where choices[k] > 0 {
                                    outcome.results[k].message += "; the postimage id \(expected) chose repair candidate \(choices[k] + 1) of \(outcome.candidateCounts[k])"
                                }
                                break
                            }
                        }
                    } else if verified == true {
                        for k in outcome.results.indices where outcome.results[k].status == .repaired {
                            outcome.results[k].message += "; confirmed by the postimage id \(expected)"
                        }
                    }
                    if verified == false {
                        diagnostics.append(Diagnostic("apply/postimage-mismatch", .warning,
                                                      "\(path): the result is not the postimage blob \(expected) the patch names",
                                                      at: location(file.mailLine), patch: patch.number, diffPath: path))
                    }
                }
                fileResult.postimageVerified = verified
                if file.hunks.contains(where: { $0.damage.contains { $0.kind == .carriageReturn } }), prepared.first?.keepsCarriageReturns == true {
                    for k in outcome.results.indices { outcome.results[k].carriageReturnsAreTheFiles = true }
                }
                hunks += outcome.results

                if conflicted {
                    fileResult.status = .conflict
                    fileResult.message = "not applied: \(outcome.results.filter { $0.status == .conflict }.count) conflicting hunk(s)"
                    files.append(fileResult)
                    continue
                }
                fileResult.status = SeriesApplier.combined(outcome.results.map(\.status))
                fileResult.message = outcome.results.isEmpty ? "no hunks" : fileResult.status.rawValue

                for r in outcome.results where r.status == .repaired {
                    let hunk = file.hunks[r.hunk - 1]
                    diagnostics.append(Diagnostic("apply/repaired", .info, "patch \(patch.number): \(path) hunk \(r.hunk): \(r.message)",
                                                  at: location(hunk.mailLine), patch: patch.number, diffPath: path, hunk: r.hunk))
                }

                // Tree changes.
                if file.isDeleted {
                    if !resultText.lines.isEmpty || resultText.missingFinalNewline {
                        fileResult.status = .conflict
                        fileResult.message = "the patch deletes \(path), but the file has lines the patch does not remove"
                        hunks.append(HunkResult(file: path, hunk: prepared.count, status: .conflict, message: fileResult.message))
                        diagnostics.append(Diagnostic("apply/conflict", .error, "patch \(patch.number): \(fileResult.message)",
                                                      at: location(file.mailLine), patch: patch.number, diffPath: path))
                        files.append(fileResult)
                        continue
                    }
                    updates.append(.remove(path: sourcePath ?? path))
                    overlay[sourcePath ?? path] = .some(nil)
                    files.append(fileResult)
                    continue
                }
                let target = file.newPath ?? path
                let mode = newMode ?? source?.mode ?? .regular
                let bytes = resultText.bytes
                let blob = try repository.writeBlob(bytes)
                fileResult.postimageBlob = blob.hex
                if file.isRename, let old = sourcePath, old != target {
                    updates.append(.remove(path: old))
                    overlay[old] = .some(nil)
                }
                if blob != source?.id || mode != source?.mode || target != sourcePath {
                    updates.append(.upsert(path: target, id: blob, mode: mode))
                }
                overlay[target] = (blob, mode)
                files.append(fileResult)
            }

            let statuses = files.map(\.status)
            var status = SeriesApplier.combined(statuses)
            if statuses.isEmpty { status = .skipped }
            var newTree = tree
            var message = status.rawValue
            if status == .conflict {
                message = "not applied: conflicts in \(files.filter { $0.status == .conflict }.map { $0.newPath ?? $0.oldPath ?? "?" }.joined(separator: ", ")); T\(patch.number) = T\(patch.number - 1)"
            } else if status != .skipped {
                // Removals first: a rename's old path must go before a file may take its place.
                let ordered = updates.filter { if case .remove = $0 { true } else { false } }
                    + updates.filter { if case .upsert = $0 { true } else { false } }
                newTree = try repository.updateTree(tree, ordered)
            }
            if status == .alreadyApplied {
                diagnostics.append(Diagnostic("apply/already-applied", .warning, "patch \(patch.number) is already in the tree",
                                              at: patch.source, patch: patch.number))
            }
            // Verified only when every file that has a postimage was checked and is it: a file
            // skipped, in conflict or unchecked leaves the patch unverified.
            let checkable = files.filter { !($0.newPath == nil && $0.status == .applied) }
            let verified: Bool?
            if checkable.contains(where: { $0.postimageVerified == false }) {
                verified = false
            } else if !checkable.isEmpty && checkable.allSatisfy({ $0.postimageVerified == true || $0.status == .alreadyApplied }) {
                verified = true
            } else {
                verified = nil
            }
            return PatchResult(number: patch.number, subject: patch.subjectInfo.title, status: status,
                               postimageVerified: verified, tree: newTree.hex, hunks: hunks, files: files,
                               message: message)
        }
    }

    /// A patch's (or file's) status from its parts': any conflict wins, then skipped-only,
    /// then all already applied, then the strongest intervention.
    static func combined(_ statuses: [ApplyStatus]) -> ApplyStatus {
        if statuses.contains(.conflict) { return .conflict }
        let active = statuses.filter { $0 != .skipped }
        if active.isEmpty { return statuses.isEmpty ? .applied : .skipped }
        if active.allSatisfy({ $0 == .alreadyApplied }) { return .alreadyApplied }
        if active.contains(.repaired) { return .repaired }
        if active.contains(.appliedWithOffset) { return .appliedWithOffset }
        return .applied
    }

    /// Choice vectors over per-hunk candidate counts, by increasing total deviation from the
    /// preferred candidates, at most `limit`.
    static func choiceVectors(_ counts: [Int], limit: Int) -> [[Int]] {
        var all: [[Int]] = [[]]
        for count in counts {
            var next: [[Int]] = []
            for prefix in all {
                for c in 0..<max(1, count) { next.append(prefix + [c]) }
                if next.count > limit * 4 { break }
            }
            all = next
        }
        return Array(all.sorted { $0.reduce(0, +) < $1.reduce(0, +) }.prefix(limit))
    }
}

/// The conflicting regions of a merge result with markers, as small diffs for the report.
enum ConflictRegions {
    static func extract(_ merged: [UInt8]) -> [String] {
        let lines = FileText(merged).lines
        var out: [String] = []
        var current: String? = nil
        for (k, line) in lines.enumerated() {
            if line.starts(with: "<<<<<<<".utf8) { current = "@@ three-way conflict at line \(k + 1) @@\n" }
            if var region = current {
                region += line.text + "\n"
                current = region
                if line.starts(with: ">>>>>>>".utf8) {
                    out.append(region)
                    current = nil
                }
            }
        }
        return out
    }
}

extension SeriesApplier {
    /// The git repository enclosing `path` (its working directory, or its git directory when
    /// bare), or nil.
    public static func enclosingRepository(of path: String) -> String? {
        guard let gitDirectory = Repository.discover(from: path) else { return nil }
        guard let repository = try? Repository(path: gitDirectory) else { return nil }
        return repository.workingDirectory ?? gitDirectory
    }
}

extension Array where Element == UInt8 {
    /// Has a `\r\n` somewhere.
    var containsCRLF: Bool {
        var i = 0
        while i + 1 < count {
            if self[i] == 0x0D && self[i + 1] == 0x0A { return true }
            i += 1
        }
        return false
    }
}
