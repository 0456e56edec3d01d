import Apply

/// The `"apply"` member of the `spw-review/1` document (issue 3, docs/apply.md). The named
/// fields are a contract: add fields freely, never rename or drop one.
public enum ApplyJSON {
    public static func apply(_ r: ApplyResult) -> JSONValue {
        .object([
            ("tree", .string(r.tree)),
            ("base", base(r.base)),
            ("patches", .array(r.patches.map(patch))),
            ("resultTree", .string(r.resultTree)),
            ("trees", .array(r.trees.map { .string($0) })),
            ("applied", .bool(r.applied)),
            ("branch", .optional(r.branch)),
            ("branchTip", .optional(r.branchTip)),
        ])
    }

    static func base(_ b: BaseResolution) -> JSONValue {
        .object([
            ("commit", .string(b.commit)),
            ("how", .string(b.how.rawValue)),
            ("matchedBlobs", .int(b.matchedBlobs)),
            ("totalBlobs", .int(b.totalBlobs)),
            ("walked", .int(b.walked)),
            ("searchDepth", .int(b.searchDepth)),
            ("message", .string(b.message)),
        ])
    }

    static func optional(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }

    public static func patch(_ p: PatchResult) -> JSONValue {
        .object([
            ("number", .int(p.number)),
            ("status", .string(p.status.rawValue)),
            ("postimageVerified", optional(p.postimageVerified)),
            // The files whose result is not the blob their `index` line names.
            ("postimageDiffers", .array(p.files.filter { $0.postimageVerified == false }
                .map { .string($0.newPath ?? $0.oldPath ?? "") })),
            ("tree", .string(p.tree)),
            ("hunks", .array(p.hunks.map(hunk))),
            ("subject", .string(p.subject)),
            ("message", .string(p.message)),
            ("commit", .optional(p.commit)),
            ("files", .array(p.files.map(file))),
        ])
    }

    public static func hunk(_ h: HunkResult) -> JSONValue {
        .object([
            ("file", .string(h.file)),
            ("status", .string(h.status.rawValue)),
            ("offset", .optional(h.offset)),
            ("message", .string(h.message)),
            ("hunk", .int(h.hunk)),
            ("line", .optional(h.line)),
            ("method", .optional(h.method)),
            ("candidates", .optional(h.candidates)),
            ("closest", .optional(h.closest)),
        ])
    }

    static func file(_ f: FileResult) -> JSONValue {
        .object([
            ("oldPath", .optional(f.oldPath)),
            ("newPath", .optional(f.newPath)),
            ("status", .string(f.status.rawValue)),
            ("preimageBlob", .optional(f.preimageBlob)),
            ("postimageBlob", .optional(f.postimageBlob)),
            ("indexPreimage", .optional(f.indexPreimage)),
            ("indexPostimage", .optional(f.indexPostimage)),
            ("postimageVerified", optional(f.postimageVerified)),
            ("oldMode", .optional(f.oldMode)),
            ("newMode", .optional(f.newMode)),
            ("message", .string(f.message)),
        ])
    }
}
