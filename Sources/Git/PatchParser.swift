import CLibGit2

/// One file of a diff as libgit2's patch parser reads it.
public struct ParsedPatchFile: Sendable, Equatable {
    public var oldPath: String?
    public var newPath: String?
    public var hunks: [ParsedHunkRange]

    public init(oldPath: String?, newPath: String?, hunks: [ParsedHunkRange]) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.hunks = hunks
    }
}

public struct ParsedHunkRange: Sendable, Equatable {
    public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
    public init(oldStart: Int, oldCount: Int, newStart: Int, newCount: Int) {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
    }
}

/// libgit2's own patch parser (`git_diff_from_buffer`), used as a second opinion on well-formed
/// diffs. It rejects mailer damage (see ../shared/notes/libgit2-1.5.md); callers use it only
/// where the diff is clean.
public enum GitPatchParser {
    public static func parse(_ text: String) throws -> [ParsedPatchFile] {
        _ = libgit2Initialized
        var diff: OpaquePointer?
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                try check(git_diff_from_buffer(&diff, chars.baseAddress, chars.count), "git_diff_from_buffer")
            }
        }
        guard let diff else { return [] }
        defer { git_diff_free(diff) }
        var files: [ParsedPatchFile] = []
        for index in 0..<git_diff_num_deltas(diff) {
            var patch: OpaquePointer?
            try check(git_patch_from_diff(&patch, diff, index), "git_patch_from_diff")
            guard let patch else { continue }
            defer { git_patch_free(patch) }
            let delta = git_patch_get_delta(patch)!.pointee
            var file = ParsedPatchFile(
                oldPath: delta.old_file.path.map { String(cString: $0) },
                newPath: delta.new_file.path.map { String(cString: $0) }, hunks: [])
            for h in 0..<git_patch_num_hunks(patch) {
                var hunk: UnsafePointer<git_diff_hunk>?
                var lines = 0
                try check(git_patch_get_hunk(&hunk, &lines, patch, h), "git_patch_get_hunk")
                guard let hunk else { continue }
                file.hunks.append(ParsedHunkRange(oldStart: Int(hunk.pointee.old_start), oldCount: Int(hunk.pointee.old_lines),
                                                  newStart: Int(hunk.pointee.new_start), newCount: Int(hunk.pointee.new_lines)))
            }
            files.append(file)
        }
        return files
    }
}
