
import Series
import Support

/// The `spw-review/1` JSON document (docs/json.md). Field names are a public contract: add
/// fields freely, never rename or drop one.
public enum ReviewJSON {
    public static let schema = "spw-review/1"

    public static func document(
        series: PatchSeries?, inputs: [(path: String, kind: String)], diagnostics: [Diagnostic],
        apply: JSONValue = .null, findings: JSONValue = .array([])
    ) -> JSONValue {
        .object([
            ("schema", .string(schema)),
            ("inputs", .array(inputs.map { .object([("path", .string($0.path)), ("kind", .string($0.kind))]) })),
            ("series", series.map(Self.series) ?? .null),
            ("apply", apply),
            ("findings", findings),
            ("diagnostics", .array(diagnostics.map(Self.diagnostic))),
        ])
    }

    public static func person(_ p: Person?) -> JSONValue {
        guard let p else { return .null }
        return .object([("name", .string(p.name)), ("email", .string(p.email))])
    }

    public static func trailers(_ trailers: [Trailer]) -> JSONValue {
        .array(trailers.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })
    }

    public static func series(_ s: PatchSeries) -> JSONValue {
        .object([
            ("title", .string(s.title)),
            ("version", .string(s.version)),
            ("total", .int(s.total)),
            ("complete", .bool(s.isComplete)),
            ("missingPatches", .array(s.missingPatches.map { .int($0) })),
            ("tags", .array(s.tags.map { .string($0) })),
            ("baseCommit", .optional(s.footer.baseCommit)),
            ("prerequisitePatchIds", .array(s.footer.prerequisitePatchIDs.map { .string($0) })),
            ("changeId", .optional(s.footer.changeID)),
            ("coverLetter", s.coverLetter.map { c in
                .object([
                    ("subject", .string(c.subject)),
                    ("author", person(c.author)),
                    ("date", .optional(c.date)),
                    ("messageId", .optional(c.messageID)),
                    ("body", .string(c.body)),
                    ("location", location(c.source)),
                ])
            } ?? .null),
            ("patches", .array(s.patches.map(patch))),
            ("replies", .array(s.replies.map(reply))),
        ])
    }

    static func location(_ l: SourceLocation?) -> JSONValue {
        guard let l else { return .null }
        return .object([("file", .string(l.file)), ("line", .int(l.line))])
    }

    public static func patch(_ p: Patch) -> JSONValue {
        .object([
            ("number", .int(p.number)),
            ("total", .int(p.total)),
            ("subject", .string(p.subject)),
            ("title", .string(p.subjectInfo.title)),
            ("version", .string(p.subjectInfo.version)),
            ("rfc", .bool(p.subjectInfo.isRFC)),
            ("resend", .bool(p.subjectInfo.isResend)),
            ("author", person(p.author)),
            ("date", .optional(p.date)),
            ("messageId", .optional(p.messageID)),
            ("message", .string(p.message)),
            ("trailers", trailers(p.trailers)),
            ("collectedTrailers", trailers(p.collectedTrailers)),
            ("notes", .string(p.notes)),
            ("diffstat", .array(p.diffstat.map { d in
                .object([("path", .string(d.path)), ("changes", .optional(d.changes)), ("binary", .bool(d.isBinary))])
            })),
            ("damaged", .bool(p.isDamaged)),
            ("files", .array(p.files.map(file))),
            ("location", location(p.source)),
        ])
    }

    public static func file(_ f: FileDiff) -> JSONValue {
        let status: String
        if f.isNew { status = "added" }
        else if f.isDeleted { status = "deleted" }
        else if f.isRename { status = "renamed" }
        else if f.isCopy { status = "copied" }
        else { status = "modified" }
        return .object([
            ("oldPath", .optional(f.oldPath)),
            ("newPath", .optional(f.newPath)),
            ("oldBlob", .optional(f.oldBlob)),
            ("newBlob", .optional(f.newBlob)),
            ("oldMode", .optional(f.oldMode)),
            ("newMode", .optional(f.newMode)),
            ("status", .string(status)),
            ("similarity", .optional(f.similarity)),
            ("binary", .bool(f.isBinary)),
            ("hunks", .array(f.hunks.map(hunk))),
        ])
    }

    public static func hunk(_ h: Hunk) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("oldStart", .int(h.oldStart)),
            ("oldCount", .int(h.oldCount)),
            ("newStart", .int(h.newStart)),
            ("newCount", .int(h.newCount)),
            ("header", .string(h.header)),
            ("line", .optional(h.mailLine)),
            ("damage", .array(h.damage.map { d in
                .object([("kind", .string(d.kind.rawValue)), ("line", .optional(d.mailLine)), ("detail", .string(d.detail))])
            })),
        ]
        if h.isDamaged {
            // The best repair the mail alone allows; the apply stage finishes it against the file.
            fields.append(("repairedLines", .array(h.lines.map { .string($0.prefixed) })))
        }
        return .object(fields)
    }

    public static func reply(_ r: Reply) -> JSONValue {
        let target: JSONValue
        switch r.inReplyTo {
        case .cover: target = .object([("cover", .bool(true))])
        case .patch(let n): target = .object([("patch", .int(n))])
        case .unknown: target = .null
        }
        return .object([
            ("author", person(r.author)),
            ("authorEvidence", .optional(r.authorEvidence)),
            ("date", .optional(r.date)),
            ("messageId", .optional(r.messageID)),
            ("subject", .string(r.subject)),
            ("inReplyTo", target),
            ("trailers", trailers(r.trailers)),
            ("text", .string(r.text)),
            ("location", location(r.source)),
        ])
    }

    public static func diagnostic(_ d: Diagnostic) -> JSONValue {
        .object([
            ("code", .string(d.code)),
            ("severity", .string(d.severity.rawValue)),
            ("patch", .optional(d.patch)),
            ("file", .optional(d.location?.file)),
            ("line", .optional(d.location?.line)),
            ("message", .string(d.message)),
            ("diffPath", .optional(d.diffPath)),
            ("hunk", .optional(d.hunk)),
        ])
    }

    /// `spw-review list --format json`.
    public static func list(_ collection: SeriesCollection) -> JSONValue {
        .object([
            ("series", .array(collection.series.enumerated().map { index, s in
                .object([
                    ("index", .int(index + 1)),
                    ("thread", .int(collection.threads[index])),
                    ("title", .string(s.title)),
                    ("version", .string(s.version)),
                    ("patches", .int(Set(s.patches.map(\.number)).count)),
                    ("total", .int(s.total)),
                    ("coverLetter", .bool(s.coverLetter != nil)),
                    ("complete", .bool(s.isComplete)),
                    ("resend", .bool(s.patches.contains { $0.subjectInfo.isResend })),
                    ("replies", .int(s.replies.count)),
                    ("missingPatches", .array(s.missingPatches.map { .int($0) })),
                ])
            })),
        ])
    }
}

extension HunkLine {
    /// The line as it would appear in a diff.
    public var prefixed: String {
        switch kind {
        case .context: " " + text
        case .added: "+" + text
        case .removed: "-" + text
        case .noNewlineMarker: "\\ No newline at end of file"
        }
    }
}
