import CLibGit2

extension Repository {
    /// The commits of a revision range (`A..B`, `@{upstream}..HEAD`), oldest first.
    public func commits(range: String) throws -> [ObjectID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue), "git_revwalk_sorting")
        if range.contains("..") {
            try check(git_revwalk_push_range(walk, range), "git_revwalk_push_range(\(range))")
        } else {
            var oid = try resolveCommit(range).oid
            try check(git_revwalk_push(walk, &oid), "git_revwalk_push(\(range))")
        }
        var ids: [ObjectID] = []
        var oid = git_oid()
        while git_revwalk_next(&oid, walk) == 0 { ids.append(ObjectID(oid)) }
        git_error_clear()
        return ids
    }

    /// `git rev-list --reverse --topo-order TIP --not --remotes`: the commits a push of `tip` to a
    /// new branch sends, as far as this repository knows what the remotes have (`hiding` globs).
    public func commits(reachableFrom tip: ObjectID, hiding globs: [String] = ["refs/remotes/*"]) throws -> [ObjectID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue), "git_revwalk_sorting")
        var oid = tip.oid
        try check(git_revwalk_push(walk, &oid), "git_revwalk_push(\(tip.hex))")
        for glob in globs { try check(git_revwalk_hide_glob(walk, glob), "git_revwalk_hide_glob(\(glob))") }
        var ids: [ObjectID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 { ids.append(ObjectID(next)) }
        git_error_clear()
        return ids
    }

    /// Whether any reference matches `glob` (`refs/remotes/*`).
    public func hasReferences(matching glob: String) -> Bool {
        var iterator: OpaquePointer?
        guard git_reference_iterator_glob_new(&iterator, pointer, glob) == 0 else { git_error_clear(); return false }
        defer { git_reference_iterator_free(iterator) }
        var reference: OpaquePointer?
        let found = git_reference_next(&reference, iterator) == 0
        if found { git_reference_free(reference) }
        git_error_clear()
        return found
    }

    /// A shallow clone: history stops at the grafted commits.
    public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    /// The paths whose entries differ between two trees (either side's name; no rename
    /// detection): identical subtrees are skipped by id, so two kernel trees a patch apart
    /// cost a few lookups.
    public func changedPaths(from old: ObjectID, to new: ObjectID) throws -> Set<String> {
        guard old != new else { return [] }
        var oldTree: OpaquePointer?
        var newTree: OpaquePointer?
        var o = old.oid, n = new.oid
        try check(git_tree_lookup(&oldTree, pointer, &o), "git_tree_lookup")
        defer { git_tree_free(oldTree) }
        try check(git_tree_lookup(&newTree, pointer, &n), "git_tree_lookup")
        defer { git_tree_free(newTree) }
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, &options), "git_diff_tree_to_tree")
        defer { git_diff_free(diff) }
        var paths = Set<String>()
        for k in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, k)?.pointee else { continue }
            if let p = delta.old_file.path { paths.insert(String(cString: p)) }
            if let p = delta.new_file.path { paths.insert(String(cString: p)) }
        }
        return paths
    }

    /// The diff between two trees as `git diff` prints it (3 lines of context, full index ids);
    /// `from` nil is the empty tree.
    public func patchText(from old: ObjectID?, to new: ObjectID) throws -> String {
        var oldTree: OpaquePointer?
        var newTree: OpaquePointer?
        if var o = old?.oid { try check(git_tree_lookup(&oldTree, pointer, &o), "git_tree_lookup") }
        defer { if oldTree != nil { git_tree_free(oldTree) } }
        var n = new.oid
        try check(git_tree_lookup(&newTree, pointer, &n), "git_tree_lookup")
        defer { git_tree_free(newTree) }
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.id_abbrev = 40
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, &options), "git_diff_tree_to_tree")
        defer { git_diff_free(diff) }
        var findOptions = git_diff_find_options()
        try check(git_diff_find_options_init(&findOptions, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "git_diff_find_options_init")
        try check(git_diff_find_similar(diff, &findOptions), "git_diff_find_similar")
        var buffer = git_buf()
        try check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "git_diff_to_buf")
        defer { git_buf_dispose(&buffer) }
        guard let data = buffer.ptr else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: buffer.size), as: UTF8.self)
    }
}
