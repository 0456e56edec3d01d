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

/// Looks up the same paths in many trees that share most of their subtrees (consecutive
/// commits): results are memoised by (subtree id, path, depth), so once a subtree has been
/// seen, every path below it costs one entry lookup in the root and one dictionary lookup.
public final class TreePathCache {
    public let repository: Repository
    private struct Key: Hashable {
        var tree: ObjectID
        var path: Int32
        var depth: Int32
    }
    private var memo: [Key: TreeEntry?] = [:]
    /// Subtrees opened, by id: the files of one directory share every tree above them.
    private var opened: [ObjectID: Tree] = [:]
    private var paths: [[String]] = []
    private var pathIndex: [String: Int] = [:]
    public private(set) var treesRead = 0

    public init(repository: Repository) { self.repository = repository }

    private func index(of path: String) -> Int {
        if let k = pathIndex[path] { return k }
        paths.append(path.split(separator: "/", omittingEmptySubsequences: true).map(String.init))
        pathIndex[path] = paths.count - 1
        return paths.count - 1
    }

    /// The entry at `path` below the tree `root`, or nil.
    public func entry(path: String, inTree root: ObjectID) throws -> TreeEntry? {
        let k = index(of: path)
        return try lookup(path: k, depth: 0, in: root)
    }

    /// The entries at several paths below one tree (each tree on the way is opened once).
    public func entries(paths wanted: [String], inTree root: ObjectID) throws -> [TreeEntry?] {
        try wanted.map { try entry(path: $0, inTree: root) }
    }

    private func lookup(path k: Int, depth: Int, in tree: ObjectID) throws -> TreeEntry? {
        let key = Key(tree: tree, path: Int32(k), depth: Int32(depth))
        if let cached = memo[key] { return cached }
        let components = paths[k]
        guard depth < components.count else { return nil }
        let treeObject: Tree
        if let known = opened[tree] {
            treeObject = known
        } else {
            treeObject = try repository.tree(tree)
            treesRead += 1
            if opened.count > 20_000 { opened.removeAll(keepingCapacity: true) }
            opened[tree] = treeObject
        }
        var result: TreeEntry? = nil
        if let found = treeObject.entry(named: components[depth]) {
            if depth == components.count - 1 {
                result = found
            } else if found.isTree {
                result = try lookup(path: k, depth: depth + 1, in: found.id)
            }
        }
        // Roots differ from commit to commit: only subtrees are worth remembering. The bound
        // keeps a long walk's memory flat.
        if depth > 0 {
            if memo.count > 200_000 { memo.removeAll(keepingCapacity: true) }
            memo[key] = .some(result)
        }
        return result
    }
}
