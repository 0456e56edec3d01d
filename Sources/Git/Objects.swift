import CLibGit2

/// A commit, read-only. Keeps its repository alive.
public final class Commit {
    let pointer: OpaquePointer
    public let repository: Repository

    init(pointer: OpaquePointer, repository: Repository) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit { git_commit_free(pointer) }

    public var id: ObjectID { ObjectID(git_commit_id(pointer)!) }
    public var treeID: ObjectID { ObjectID(git_commit_tree_id(pointer)!) }
    public var parentCount: Int { Int(git_commit_parentcount(pointer)) }
    public var parentIDs: [ObjectID] {
        (0..<git_commit_parentcount(pointer)).map { ObjectID(git_commit_parent_id(pointer, $0)!) }
    }
    /// The first parent, the one `git log --first-parent` follows.
    public var firstParentID: ObjectID? {
        git_commit_parentcount(pointer) > 0 ? ObjectID(git_commit_parent_id(pointer, 0)!) : nil
    }
    public var message: String { git_commit_message(pointer).map { String(cString: $0) } ?? "" }
    public var summary: String { git_commit_summary(pointer).map { String(cString: $0) } ?? "" }
    public var author: Signature { Signature(git_commit_author(pointer)!.pointee) }
    public var committer: Signature { Signature(git_commit_committer(pointer)!.pointee) }
}

/// One entry of a tree.
public struct TreeEntry: Sendable, Hashable {
    public var name: String
    public var id: ObjectID
    public var mode: FileMode
    public var isTree: Bool { mode == .tree }
}

/// A tree, read-only. Keeps its repository alive.
public final class Tree {
    let pointer: OpaquePointer
    public let repository: Repository

    init(pointer: OpaquePointer, repository: Repository) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit { git_tree_free(pointer) }

    public var id: ObjectID { ObjectID(git_tree_id(pointer)!) }
    public var count: Int { git_tree_entrycount(pointer) }

    public var entries: [TreeEntry] {
        (0..<count).map { Tree.entry(git_tree_entry_byindex(pointer, $0)!) }
    }

    public func entry(named name: String) -> TreeEntry? {
        git_tree_entry_byname(pointer, name).map(Tree.entry)
    }

    /// The entry at a slash-separated path below this tree.
    public func entry(path: String) throws -> TreeEntry? {
        var entry: OpaquePointer?
        let code = git_tree_entry_bypath(&entry, pointer, path)
        if code == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(code, "git_tree_entry_bypath(\(path))")
        defer { git_tree_entry_free(entry) }
        return Tree.entry(entry!)
    }

    static func entry(_ raw: OpaquePointer) -> TreeEntry {
        TreeEntry(name: String(cString: git_tree_entry_name(raw)),
                  id: ObjectID(git_tree_entry_id(raw)!),
                  mode: FileMode(rawValue: git_tree_entry_filemode_raw(raw).rawValue))
    }

    /// Every blob below this tree, with its full path (depth first, git's order).
    public func walkBlobs() throws -> [(path: String, entry: TreeEntry)] {
        var out: [(String, TreeEntry)] = []
        func visit(_ tree: Tree, prefix: String) throws {
            for entry in tree.entries {
                if entry.isTree {
                    try visit(try repository.tree(entry.id), prefix: prefix + entry.name + "/")
                } else {
                    out.append((prefix + entry.name, entry))
                }
            }
        }
        try visit(self, prefix: "")
        return out
    }
}

/// Looks up paths in many trees that share most of their subtrees (consecutive commits), by
/// caching `(tree, name) → entry`: after the first commit, most lookups are dictionary hits.
public final class TreePathCache {
    public let repository: Repository
    private struct Key: Hashable {
        var tree: ObjectID
        var name: String
    }
    private var cache: [Key: TreeEntry?] = [:]
    public private(set) var treesRead = 0

    public init(repository: Repository) { self.repository = repository }

    public func entry(path: String, inTree root: ObjectID) throws -> TreeEntry? {
        var current = root
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for (index, component) in components.enumerated() {
            let key = Key(tree: current, name: String(component))
            let found: TreeEntry?
            if let cached = cache[key] {
                found = cached
            } else {
                treesRead += 1
                found = try repository.tree(current).entry(named: key.name)
                cache[key] = .some(found)
            }
            guard let found else { return nil }
            if index == components.count - 1 { return found }
            guard found.isTree else { return nil }
            current = found.id
        }
        return nil
    }
}
