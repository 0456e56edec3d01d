import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// The kind of a stored object.
public enum ObjectKind: Sendable, Equatable {
    case commit, tree, blob, tag, other

    init(_ type: git_object_t) {
        switch type {
        case GIT_OBJECT_COMMIT: self = .commit
        case GIT_OBJECT_TREE: self = .tree
        case GIT_OBJECT_BLOB: self = .blob
        case GIT_OBJECT_TAG: self = .tag
        default: self = .other
        }
    }
}

/// A git repository opened through libgit2.
///
/// With `inMemoryWrites`, an in-memory object backend (libgit2's mempack) is added at the
/// highest priority: every object this handle creates (blobs, trees, commits) lives only in
/// this process, and reads fall through to the repository's own object database. Nothing in
/// the repository's directory is written.
public final class Repository {
    let pointer: OpaquePointer
    let odb: OpaquePointer
    /// The mempack backend; owned by `odb` once added, so never freed here.
    private let mempack: OpaquePointer?

    public var writesInMemory: Bool { mempack != nil }

    /// Opens the repository at `path` or, searching upwards, the one enclosing it.
    public init(path: String, inMemoryWrites: Bool = false) throws {
        _ = libgit2Initialized
        var repo: OpaquePointer?
        try check(git_repository_open_ext(&repo, path, 0, nil), "git_repository_open_ext(\(path))")
        pointer = repo!
        var database: OpaquePointer?
        do {
            try check(git_repository_odb(&database, pointer), "git_repository_odb")
        } catch {
            git_repository_free(pointer)
            throw error
        }
        odb = database!
        if inMemoryWrites {
            var backend: UnsafeMutablePointer<git_odb_backend>?
            do {
                try check(git_mempack_new(&backend), "git_mempack_new")
                // Priority above the loose (1) and pack (2) backends: writes go to the first
                // writable backend by priority.
                try check(git_odb_add_backend(odb, backend, 1000), "git_odb_add_backend")
            } catch {
                git_odb_free(odb)
                git_repository_free(pointer)
                throw error
            }
            mempack = OpaquePointer(backend)
        } else {
            mempack = nil
        }
    }

    deinit {
        git_odb_free(odb)
        git_repository_free(pointer)
    }

    /// The `.git` directory of the repository enclosing `path`, or nil when there is none.
    public static func discover(from path: String) -> String? {
        _ = libgit2Initialized
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_repository_discover(&buffer, path, 0, nil) == 0, let text = buffer.ptr else {
            git_error_clear()
            return nil
        }
        return String(cString: text)
    }

    /// The `.git` directory (or the repository itself when bare), with a trailing slash.
    public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

    /// The working tree, with a trailing slash; nil for a bare repository.
    public var workingDirectory: String? { git_repository_workdir(pointer).map { String(cString: $0) } }

    // MARK: - References

    /// The commit HEAD points to; nil when HEAD is unborn.
    public func headCommit() throws -> ObjectID? {
        if git_repository_head_unborn(pointer) == 1 { return nil }
        var ref: OpaquePointer?
        try check(git_repository_head(&ref, pointer), "git_repository_head")
        defer { git_reference_free(ref) }
        var peeled: OpaquePointer?
        try check(git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT), "git_reference_peel(HEAD)")
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled)!)
    }

    /// A configuration value as git reads it (repository, then global and system files); nil when
    /// unset.
    public func configString(_ name: String) -> String? {
        var config: OpaquePointer?
        guard git_repository_config_snapshot(&config, pointer) == 0 else { return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, name) == 0, let value else { return nil }
        return String(cString: value)
    }

    /// The URL of the remote `name` (`origin` by default), as configured; nil when there is none.
    public func remoteURL(_ name: String = "origin") -> String? {
        var remote: OpaquePointer?
        guard git_remote_lookup(&remote, pointer, name) == 0 else { return nil }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    /// The branch HEAD names (`master` for `refs/heads/master`), also when it is unborn; nil
    /// when HEAD is detached.
    public func headBranch() throws -> String? {
        var ref: OpaquePointer?
        try check(git_reference_lookup(&ref, pointer, "HEAD"), "git_reference_lookup(HEAD)")
        defer { git_reference_free(ref) }
        guard git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC,
              let target = git_reference_symbolic_target(ref) else { return nil }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : nil
    }

    /// Resolves any revision git understands (`HEAD~3`, `v6.1`, an abbreviated id) to a commit.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var object: OpaquePointer?
        try check(git_revparse_single(&object, pointer, revision), "git_revparse_single(\(revision))")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        try check(git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel(\(revision))")
        defer { git_object_free(peeled) }
        return ObjectID(git_object_id(peeled)!)
    }

    /// The object an abbreviated (or full) hexadecimal id names; nil when there is none.
    /// Throws when the abbreviation is ambiguous.
    public func lookup(abbreviation: String) throws -> (id: ObjectID, kind: ObjectKind)? {
        guard ObjectID.isHexAbbreviation(abbreviation) else { return nil }
        var short = git_oid()
        try check(git_oid_fromstrn(&short, abbreviation, abbreviation.utf8.count), "git_oid_fromstrn(\(abbreviation))")
        var full = git_oid()
        let code = git_odb_exists_prefix(&full, odb, &short, abbreviation.utf8.count)
        if code == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try check(code, "git_odb_exists_prefix(\(abbreviation))")
        var length = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&length, &type, odb, &full), "git_odb_read_header(\(abbreviation))")
        return (ObjectID(full), ObjectKind(type))
    }

    public func contains(_ id: ObjectID) -> Bool {
        var oid = id.oid
        return git_odb_exists(odb, &oid) == 1
    }

    /// Whether a local branch of that name exists.
    public func branchExists(_ name: String) throws -> Bool {
        var ref: OpaquePointer?
        let code = git_branch_lookup(&ref, pointer, name, GIT_BRANCH_LOCAL)
        if code == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return false
        }
        try check(code, "git_branch_lookup(\(name))")
        git_reference_free(ref)
        return true
    }

    public static func isValidBranchName(_ name: String) -> Bool {
        _ = libgit2Initialized
        var valid: Int32 = 0
        guard git_branch_name_is_valid(&valid, name) == 0 else {
            git_error_clear()
            return false
        }
        return valid == 1
    }

    /// Creates `refs/heads/NAME` at `commit`; fails when the branch exists (never forces).
    public func createBranch(_ name: String, at commit: ObjectID) throws {
        let target = try lookupCommitObject(commit)
        defer { git_commit_free(target) }
        var ref: OpaquePointer?
        try check(git_branch_create(&ref, pointer, name, target, 0), "git_branch_create(\(name))")
        git_reference_free(ref)
    }

    // MARK: - Objects

    func lookupCommitObject(_ id: ObjectID) throws -> OpaquePointer {
        var oid = id.oid
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, pointer, &oid), "git_commit_lookup(\(id.short))")
        return commit!
    }

    public func commit(_ id: ObjectID) throws -> Commit {
        Commit(pointer: try lookupCommitObject(id), repository: self)
    }

    public func tree(_ id: ObjectID) throws -> Tree {
        var oid = id.oid
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup(\(id.short))")
        return Tree(pointer: tree!, repository: self)
    }

    /// A blob's bytes.
    public func blobContent(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.oid
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup(\(id.short))")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// The id git would give these bytes as a blob, without storing them.
    public func hashBlob(_ bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { raw in
            try check(git_odb_hash(&oid, raw.baseAddress, raw.count, GIT_OBJECT_BLOB), "git_odb_hash")
        }
        return ObjectID(oid)
    }

    /// Stores a blob (in memory with `inMemoryWrites`). An object that already exists is not
    /// written again: libgit2 would "freshen" it, touching the repository's files.
    @discardableResult
    public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
        let id = try hashBlob(bytes)
        if contains(id) { return id }
        var oid = git_oid()
        try bytes.withUnsafeBytes { raw in
            try check(git_odb_write(&oid, odb, raw.baseAddress, raw.count, GIT_OBJECT_BLOB), "git_odb_write(blob)")
        }
        return ObjectID(oid)
    }

    /// Copies one object (raw, unchanged) into another repository's object database, unless
    /// it is already there.
    public func copyObject(_ id: ObjectID, to other: Repository) throws {
        if other.contains(id) { return }
        var oid = id.oid
        var object: OpaquePointer?
        try check(git_odb_read(&object, odb, &oid), "git_odb_read(\(id.short))")
        defer { git_odb_object_free(object) }
        var written = git_oid()
        try check(git_odb_write(&written, other.odb, git_odb_object_data(object), git_odb_object_size(object),
                                git_odb_object_type(object)), "git_odb_write(\(id.short))")
    }

    /// The kind of a stored object.
    public func kind(of id: ObjectID) throws -> ObjectKind {
        var oid = id.oid
        var length = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&length, &type, odb, &oid), "git_odb_read_header(\(id.short))")
        return ObjectKind(type)
    }

    // MARK: - Trees

    /// Builds a new tree from `base` with the given changes; only the trees along the changed
    /// paths are created.
    public func updateTree(_ base: ObjectID, _ updates: [TreeUpdate]) throws -> ObjectID {
        if updates.isEmpty { return base }
        var baseOID = base.oid
        var baseTree: OpaquePointer?
        try check(git_tree_lookup(&baseTree, pointer, &baseOID), "git_tree_lookup(\(base.short))")
        defer { git_tree_free(baseTree) }
        // The C strings must outlive the call: keep them in one array of owned buffers.
        let paths = updates.map { strdup($0.path)! }
        defer { paths.forEach { free($0) } }
        var raw = [git_tree_update]()
        for (update, path) in zip(updates, paths) {
            var item = git_tree_update()
            item.path = UnsafePointer(path)
            switch update {
            case .upsert(_, let id, let mode):
                item.action = GIT_TREE_UPDATE_UPSERT
                item.id = id.oid
                item.filemode = git_filemode_t(rawValue: mode.rawValue)
            case .remove:
                item.action = GIT_TREE_UPDATE_REMOVE
            }
            raw.append(item)
        }
        var out = git_oid()
        try check(git_tree_create_updated(&out, pointer, baseTree, raw.count, raw), "git_tree_create_updated")
        return ObjectID(out)
    }

    // MARK: - Commits

    /// Writes a commit object (no reference is updated).
    public func createCommit(tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature,
                             message: String) throws -> ObjectID {
        var treeOID = tree.oid
        var treeObject: OpaquePointer?
        try check(git_tree_lookup(&treeObject, pointer, &treeOID), "git_tree_lookup(\(tree.short))")
        defer { git_tree_free(treeObject) }
        var parentObjects = [OpaquePointer?]()
        defer { parentObjects.forEach { git_commit_free($0) } }
        for parent in parents { parentObjects.append(try lookupCommitObject(parent)) }
        let authorSignature = try author.make()
        defer { git_signature_free(authorSignature) }
        let committerSignature = try committer.make()
        defer { git_signature_free(committerSignature) }
        var out = git_oid()
        try parentObjects.withUnsafeMutableBufferPointer { buffer in
            try check(git_commit_create(&out, pointer, nil, authorSignature, committerSignature, nil, message,
                                        treeObject, buffer.count, buffer.baseAddress), "git_commit_create")
        }
        return ObjectID(out)
    }

    /// The identity git would commit as here (`user.name`/`user.email`), at the current time;
    /// nil when none is configured.
    public func defaultSignature() -> Signature? {
        var signature: UnsafeMutablePointer<git_signature>?
        guard git_signature_default(&signature, pointer) == 0, let signature else {
            git_error_clear()
            return nil
        }
        defer { git_signature_free(signature) }
        return Signature(signature.pointee)
    }

    // MARK: - Merging

    /// A three-way merge of one file's contents (`git merge-file`). Conflicts are returned as
    /// text with markers; nothing is written anywhere.
    public func mergeFile(ancestor: [UInt8], ours: [UInt8], theirs: [UInt8], path: String) throws -> MergeFileResult {
        try ancestor.withUnsafeBytes { a in
            try ours.withUnsafeBytes { o in
                try theirs.withUnsafeBytes { t in
                    try path.withCString { cPath in
                        func input(_ raw: UnsafeRawBufferPointer) -> git_merge_file_input {
                            var value = git_merge_file_input()
                            git_merge_file_input_init(&value, UInt32(GIT_MERGE_FILE_INPUT_VERSION))
                            value.ptr = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
                            value.size = raw.count
                            value.path = cPath
                            value.mode = 0o100644
                            return value
                        }
                        var ancestorInput = input(a), oursInput = input(o), theirsInput = input(t)
                        var options = git_merge_file_options()
                        git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION))
                        options.ancestor_label = UnsafePointer(strdup("preimage"))
                        options.our_label = UnsafePointer(strdup("tree"))
                        options.their_label = UnsafePointer(strdup("patch"))
                        defer {
                            free(UnsafeMutablePointer(mutating: options.ancestor_label))
                            free(UnsafeMutablePointer(mutating: options.our_label))
                            free(UnsafeMutablePointer(mutating: options.their_label))
                        }
                        var result = git_merge_file_result()
                        try check(git_merge_file(&result, &ancestorInput, &oursInput, &theirsInput, &options),
                                  "git_merge_file(\(path))")
                        defer { git_merge_file_result_free(&result) }
                        let bytes = result.ptr.map {
                            Array(UnsafeRawBufferPointer(start: $0, count: result.len))
                        } ?? []
                        return MergeFileResult(automergeable: result.automergeable != 0, content: bytes)
                    }
                }
            }
        }
    }
}

/// The outcome of a file-level three-way merge.
public struct MergeFileResult: Sendable {
    /// True when the merge had no conflicts.
    public var automergeable: Bool
    /// The merged text; with conflict markers when not automergeable.
    public var content: [UInt8]
}

/// A file mode as git records it in trees.
public struct FileMode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let regular = FileMode(rawValue: 0o100644)
    public static let executable = FileMode(rawValue: 0o100755)
    public static let symlink = FileMode(rawValue: 0o120000)
    public static let gitlink = FileMode(rawValue: 0o160000)
    public static let tree = FileMode(rawValue: 0o040000)

    /// Parses `100644` and friends as written on `index`/`new file mode` lines.
    public init?(octal: String) {
        guard let value = UInt32(octal, radix: 8) else { return nil }
        self.rawValue = value
    }

    public var octal: String { String(rawValue, radix: 8) }
    public var description: String { octal }
}

/// One change to a tree: put a blob at a path, or remove a path.
public enum TreeUpdate: Sendable, Hashable {
    case upsert(path: String, id: ObjectID, mode: FileMode)
    case remove(path: String)

    public var path: String {
        switch self {
        case .upsert(let path, _, _), .remove(let path): path
        }
    }
}

/// Who made a commit, and when (seconds since the epoch, offset from UTC in minutes).
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    public var time: Int64
    public var offsetMinutes: Int

    public init(name: String, email: String, time: Int64, offsetMinutes: Int) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    init(_ raw: git_signature) {
        name = raw.name.map { String(cString: $0) } ?? ""
        email = raw.email.map { String(cString: $0) } ?? ""
        time = raw.when.time
        offsetMinutes = Int(raw.when.offset)
    }

    func make() throws -> UnsafeMutablePointer<git_signature> {
        var out: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&out, name, email, time, Int32(offsetMinutes)), "git_signature_new(\(name) <\(email)>)")
        return out!
    }
}
