import Support
import Series
import Git

/// `--apply-to-branch NAME`: the series as real commits on a new branch. Refuses an existing
/// branch and the checked-out one; refuses a series that did not apply.
enum BranchWriter {
    static func check(branch: String, repository: Repository) throws {
        guard Repository.isValidBranchName(branch) else { throw ApplyError("--apply-to-branch \(branch): not a valid branch name") }
        if try repository.headBranch() == branch {
            throw ApplyError("--apply-to-branch \(branch): that branch is checked out; name a new branch")
        }
        if try repository.branchExists(branch) {
            throw ApplyError("--apply-to-branch \(branch): the branch exists; name a new branch (nothing is ever overwritten)")
        }
    }

    static func write(branch: String, result: inout ApplyResult, series: PatchSeries, memory: Repository) throws {
        guard result.applied else {
            let failed = result.patches.filter { $0.status == .conflict || $0.status == .skipped }.map { String($0.number) }
            result.diagnostics.append(Diagnostic("apply/branch-refused", .error,
                                                 "--apply-to-branch \(branch): not written, patch(es) \(failed.joined(separator: ", ")) did not apply"))
            return
        }
        let disk = try Repository(path: memory.gitDirectory)
        try check(branch: branch, repository: disk)
        var parent = ObjectID(hex: result.base.commit)!
        var previousTree = try disk.commit(parent).treeID
        for (k, patch) in series.patches.enumerated() {
            let tree = ObjectID(hex: result.patches[k].tree)!
            if tree == previousTree {
                result.patches[k].message += "; no commit written (no change)"
                continue
            }
            try copyTree(tree, from: memory, to: disk)
            let author = signature(for: patch)
            let committer = disk.defaultSignature() ?? author
            let commit = try disk.createCommit(tree: tree, parents: [parent], author: author, committer: committer,
                                               message: message(for: patch))
            result.patches[k].commit = commit.hex
            parent = commit
            previousTree = tree
        }
        try disk.createBranch(branch, at: parent)
        result.branch = branch
        result.branchTip = parent.hex
    }

    /// Copies a tree and everything below it that the target lacks.
    static func copyTree(_ tree: ObjectID, from source: Repository, to target: Repository) throws {
        if target.contains(tree) { return }
        for entry in try source.tree(tree).entries {
            if entry.isTree {
                try copyTree(entry.id, from: source, to: target)
            } else if entry.mode != .gitlink {
                try source.copyObject(entry.id, to: target)
            }
        }
        try source.copyObject(tree, to: target)
    }

    static func signature(for patch: Patch) -> Signature {
        let when = patch.date.flatMap(MailDate.parse) ?? (0, 0)
        return Signature(name: patch.author?.name ?? "Unknown", email: patch.author?.email ?? "unknown@unknown",
                         time: when.time, offsetMinutes: when.offsetMinutes)
    }

    /// Title, body and the patch's own trailers, as `git am` would commit them.
    static func message(for patch: Patch) -> String {
        var text = patch.subjectInfo.title + "\n"
        let body = patch.message.trimmingCharacters()
        if !body.isEmpty { text += "\n" + body + "\n" }
        if !patch.trailers.isEmpty {
            text += "\n" + patch.trailers.map { "\($0.key): \($0.value)" }.joined(separator: "\n") + "\n"
        }
        return text
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
