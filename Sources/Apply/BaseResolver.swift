import Support
import Series
import Git

/// Chooses the commit a series applies to: `--base`, then the series' `base-commit:`, then a
/// guess from the `index` lines' preimage blobs within a bounded first-parent walk from HEAD,
/// then HEAD with a warning.
struct BaseResolver {
    let repository: Repository
    let configuration: ApplyConfiguration

    /// The preimage blob of each path the series touches before any of its patches changes it
    /// (later preimages are earlier patches' postimages, never in the base).
    static func preimageBlobs(of series: PatchSeries) -> [(path: String, blob: String)] {
        var touched = Set<String>()
        var out: [(String, String)] = []
        for patch in series.patches {
            for file in patch.files {
                if let old = file.oldPath, !file.isNew, !touched.contains(old), let blob = file.oldBlob,
                   ObjectID.isHexAbbreviation(blob), blob.contains(where: { $0 != "0" }) {
                    out.append((old, blob))
                    touched.insert(old)
                }
                if let old = file.oldPath { touched.insert(old) }
                if let new = file.newPath { touched.insert(new) }
            }
        }
        return out
    }

    func resolve(_ series: PatchSeries) throws -> (BaseResolution, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let blobs = Self.preimageBlobs(of: series)
        let counter = PreimageCounter(repository: repository, blobs: blobs)

        func matched(tree: ObjectID) throws -> Int { try counter.count(in: tree) }
        func matched(_ commit: ObjectID) throws -> Int {
            try matched(tree: try repository.commit(commit).treeID)
        }

        func resolution(_ commit: ObjectID, _ how: BaseChoice, walked: Int = 0, _ message: String) throws -> BaseResolution {
            BaseResolution(commit: commit.hex, how: how, matchedBlobs: try matched(commit), totalBlobs: blobs.count,
                           walked: walked, searchDepth: configuration.baseSearchDepth, message: message)
        }

        if let given = configuration.base {
            let commit: ObjectID
            do {
                commit = try repository.resolveCommit(given)
            } catch let error as GitError {
                throw ApplyError("--base \(given): not a commit in \(repository.workingDirectory ?? repository.gitDirectory) (\(error.message))")
            }
            return (try resolution(commit, .given, "given with --base \(given)"), diagnostics)
        }
        if let named = series.footer.baseCommit {
            if let found = try? repository.lookup(abbreviation: named), found.kind == .commit {
                return (try resolution(found.id, .baseCommit, "the series' base-commit: \(named)"), diagnostics)
            }
            if let commit = try? repository.resolveCommit(named) {
                return (try resolution(commit, .baseCommit, "the series' base-commit: \(named)"), diagnostics)
            }
            diagnostics.append(Diagnostic("apply/base-commit-missing", .warning,
                                          "base-commit \(named) is not in this repository; guessing the base from the index lines"))
        }
        guard let head = try repository.headCommit() else {
            throw ApplyError("the repository has no commits (HEAD is unborn)")
        }
        var best: (commit: ObjectID, matched: Int)? = nil
        var walked = 0
        if !blobs.isEmpty {
            var current: ObjectID? = head
            var previousTree: ObjectID? = nil
            var previousMatched = 0
            while let id = current, walked < configuration.baseSearchDepth {
                walked += 1
                let commit = try repository.commit(id)
                let tree = commit.treeID
                var count = previousMatched
                if tree != previousTree { count = try matched(tree: tree) }
                previousTree = tree
                previousMatched = count
                if count == blobs.count {
                    let message = walked == 1 ? "guessed: HEAD has every preimage blob"
                        : "guessed: the newest commit with every preimage blob, \(walked - 1) first-parent commit\(walked == 2 ? "" : "s") below HEAD"
                    return (BaseResolution(commit: id.hex, how: .guessed, matchedBlobs: count, totalBlobs: blobs.count,
                                           walked: walked, searchDepth: configuration.baseSearchDepth, message: message),
                            diagnostics)
                }
                if count > (best?.matched ?? 0) { best = (id, count) }
                current = commit.firstParentID
            }
        }
        var message = blobs.isEmpty
            ? "the series names no preimage blobs (no index lines) and no base-commit; applying to HEAD"
            : "no commit within \(walked) first-parent commit\(walked == 1 ? "" : "s") of HEAD has every preimage blob of the series; applying to HEAD"
        if let best, best.commit != head {
            message += " (the best, \(best.commit.short), has \(best.matched) of \(blobs.count))"
        }
        diagnostics.append(Diagnostic("apply/base-head", .warning, message))
        var result = try resolution(head, .head, walked: walked, message)
        result.walked = walked
        return (result, diagnostics)
    }
}

/// Counts how many of the preimage blobs a tree has at their paths. The paths form a tree of
/// directories; the count under a directory is remembered by (directory tree id, directory), so
/// a commit that changed one directory costs one root read and a lookup per top-level
/// directory, however many paths the series touches.
final class PreimageCounter {
    final class Directory {
        let number: Int
        var subdirectories: [String: Directory] = [:]
        var files: [(name: String, blob: AbbreviatedObjectID)] = []
        init(number: Int) { self.number = number }
    }
    private struct Key: Hashable {
        var tree: ObjectID
        var directory: Int
    }

    let repository: Repository
    let root: Directory
    private var memo: [Key: Int] = [:]

    init(repository: Repository, blobs: [(path: String, blob: String)]) {
        self.repository = repository
        var count = 0
        func make() -> Directory {
            defer { count += 1 }
            return Directory(number: count)
        }
        root = make()
        for (path, blob) in blobs {
            guard let abbreviation = AbbreviatedObjectID(blob) else { continue }
            var components = path.split(separator: "/").map(String.init)
            guard let name = components.popLast() else { continue }
            var directory = root
            for component in components {
                if let next = directory.subdirectories[component] {
                    directory = next
                } else {
                    let next = make()
                    directory.subdirectories[component] = next
                    directory = next
                }
            }
            directory.files.append((name, abbreviation))
        }
    }

    func count(in tree: ObjectID) throws -> Int {
        try count(tree, root)
    }

    private func count(_ tree: ObjectID, _ directory: Directory) throws -> Int {
        let key = Key(tree: tree, directory: directory.number)
        if let known = memo[key] { return known }
        let object = try repository.tree(tree)
        var total = 0
        for (name, blob) in directory.files {
            if let entry = object.entry(named: name), !entry.isTree, entry.id.matches(blob) { total += 1 }
        }
        for (name, subdirectory) in directory.subdirectories {
            if let entry = object.entry(named: name), entry.isTree { total += try count(entry.id, subdirectory) }
        }
        if memo.count > 500_000 { memo.removeAll(keepingCapacity: true) }
        memo[key] = total
        return total
    }
}
