import Mail

/// `Key: value` at the end of a commit message or in a review reply.
public struct Trailer: Sendable, Hashable, Codable {
    public var key: String
    public var value: String
    /// The person the trailer names, when the value is `Name <email>`.
    public var person: Person? { Person.parse(value).flatMap { $0.email.isEmpty ? nil : $0 } }

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// One line of a hunk body.
public struct HunkLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable { case context, added, removed, noNewlineMarker }
    public var kind: Kind
    /// The line's text without its `' '`/`+`/`-` prefix.
    public var text: Substring {
        get {
            switch storage {
            case .string(let s): s[...]
            case .mail(let source, let start, let end): source.substring(start, end)
            }
        }
        set { storage = .string(String(newValue)); sent = nil }
    }
    /// Line in the input mail file, when known.
    public var mailLine: Int?
    /// The line's bytes after its prefix, exactly as the sender's git wrote them, when `text`
    /// is not them read as UTF-8 (a Latin-1 line in a mail without a charset, a line ending in
    /// `\r`): what applies. A line rewritten in code (a repair) has none.
    public var sent: [UInt8]?
    /// The bytes this line applies as.
    public var bytes: [UInt8] { sent ?? Array(text.utf8) }

    /// Where the text is. A line read from a mail, as nearly all are, is a range of the mail's
    /// text (no String per line: they were a third of the diff parser's time); a line made or
    /// repaired in code has its own String.
    private enum Storage: Sendable {
        case string(String)
        case mail(LineSource, start: Int, end: Int)
    }
    private var storage: Storage

    public init(kind: Kind, text: String, mailLine: Int? = nil) {
        self.kind = kind
        self.storage = .string(text)
        self.mailLine = mailLine
    }

    /// The text of `line` after its first `dropping` bytes (an ASCII prefix).
    init(kind: Kind, line: TextLine, dropping: Int) {
        self.kind = kind
        self.storage = .mail(line.source, start: min(line.start + dropping, line.end), end: line.end)
        self.mailLine = line.mailLine
        self.sent = line.sent.map { Array($0.dropFirst(dropping)) }
        // A `\r` before the newline is not in `text`; it may be the file's (a CRLF file, which git
        // mails as it is) or the mailer's: the apply stage decides against the file.
        if line.hadCarriageReturn { self.sent = (self.sent ?? Array(self.text.utf8)) + [0x0D] }
    }

    public static func == (a: HunkLine, b: HunkLine) -> Bool {
        a.kind == b.kind && a.mailLine == b.mailLine && a.text == b.text
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(text)
        hasher.combine(mailLine)
    }
}

/// Mailer damage found in a hunk, precisely located.
public struct Damage: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A context line arrived without its leading space.
        case missingContextPrefix = "missing-context-prefix"
        /// Leading tabs/indentation were turned into spaces or stripped.
        case indentationLost = "indentation-lost"
        /// Blank context lines were dropped (the hunk has fewer lines than its header says).
        case blankContextDropped = "blank-context-dropped"
        /// A long line was wrapped onto the next line.
        case lineWrapped = "line-wrapped"
        /// Non-breaking spaces (U+00A0) replaced ordinary spaces.
        case nonBreakingSpace = "non-breaking-space"
        /// A line ends with a carriage return inside the diff.
        case carriageReturn = "carriage-return"
        /// The hunk's line counts do not match its header (and no other damage explains it).
        case countMismatch = "count-mismatch"
    }
    public var kind: Kind
    public var mailLine: Int?
    public var detail: String
}

/// A hunk as sent, plus a best repair of what mail did to it.
public struct Hunk: Sendable, Hashable {
    public var oldStart: Int
    public var oldCount: Int
    public var newStart: Int
    public var newCount: Int
    /// The text after the second `@@` (usually the enclosing function).
    public var header: String
    public var lines: [HunkLine]
    /// The `@@` line's position in the mail.
    public var mailLine: Int?
    public var damage: [Damage]

    /// Counts of the lines actually present.
    public var presentOldCount: Int { lines.reduce(0) { $0 + ($1.kind == .context || $1.kind == .removed ? 1 : 0) } }
    public var presentNewCount: Int { lines.reduce(0) { $0 + ($1.kind == .context || $1.kind == .added ? 1 : 0) } }
    public var isDamaged: Bool { !damage.isEmpty }
}

/// One side of a `GIT binary patch`: the new content (`literal`) or a delta from the old one
/// (`delta`), deflated, as the base85 lines carried it.
public struct BinaryPatch: Sendable, Hashable {
    public enum Kind: String, Sendable { case literal, delta }
    public var kind: Kind
    /// The size once inflated, as the `literal N` / `delta N` line says.
    public var size: Int
    public var deflated: [UInt8]

    public init(kind: Kind, size: Int, deflated: [UInt8]) {
        self.kind = kind
        self.size = size
        self.deflated = deflated
    }
}

/// One file's part of a diff.
public struct FileDiff: Sendable, Hashable {
    /// `GIT binary patch` data (forward: old → new), when the mail carries it (`--binary`);
    /// nil for "Binary files … differ", which carries none.
    public var binaryPatch: BinaryPatch?
    public var oldPath: String?
    public var newPath: String?
    public var oldBlob: String?
    public var newBlob: String?
    public var oldMode: String?
    public var newMode: String?
    public var isNew = false
    public var isDeleted = false
    public var isRename = false
    public var isCopy = false
    public var similarity: Int?
    public var isBinary = false
    public var hunks: [Hunk] = []
    /// Where `diff --git` (or the first `---`) sits in the mail.
    public var mailLine: Int?
    /// Whether the section had a `diff --git` line (git format) or was a plain `diff -u`.
    public var isGitFormat = false

    /// The path a reviewer would name: the new one unless the file is deleted.
    public var path: String { (isDeleted ? oldPath : newPath) ?? oldPath ?? newPath ?? "" }
    public var addedLines: Int { hunks.reduce(0) { $0 + $1.lines.filter { $0.kind == .added }.count } }
    public var removedLines: Int { hunks.reduce(0) { $0 + $1.lines.filter { $0.kind == .removed }.count } }

    public init() {}
}

/// A line of the diffstat the sender's git printed, as sent.
public struct DiffstatEntry: Sendable, Hashable, Codable {
    public var path: String
    public var changes: Int?
    public var isBinary: Bool
    public var mailLine: Int?
}

/// The parsed `[PATCH …]` part of a subject.
public struct SubjectInfo: Sendable, Hashable, Codable {
    /// The subject with prefixes and `Re:` stripped: the commit title.
    public var title: String
    public var isReply: Bool
    public var isPatch: Bool
    public var isRFC: Bool
    public var isResend: Bool
    /// `"1"` when the subject names none; `"3.2"` for `v3.2`.
    public var version: String
    public var versionGiven: Bool
    public var number: Int?
    public var total: Int?
    /// Every word of the bracketed prefixes except PATCH/RFC/RESEND, the version and N/M (e.g. `net-next`).
    public var tags: [String]
}

/// Who a reply answers.
public enum ReplyTarget: Sendable, Hashable {
    case cover
    case patch(Int)
    case unknown
}

/// A review reply in the thread.
public struct Reply: Sendable {
    public var author: Person?
    public var date: String?
    public var messageID: String?
    public var subject: String
    public var inReplyTo: ReplyTarget
    public var trailers: [Trailer]
    public var text: String
    /// The reply's own words, without quoted lines and attribution.
    public var ownText: String
    public var source: SourceLocation?
    /// How the author was found: a header, an attribution line quoting it, or a sign-off.
    public var authorEvidence: String?
}

/// A cover letter (`[PATCH 0/N]`).
public struct CoverLetter: Sendable {
    public var subject: String
    public var author: Person?
    public var date: String?
    public var messageID: String?
    public var body: String
    public var source: SourceLocation?
    /// Where it went, as its headers say (a reply keeps them in the loop).
    public var recipients = Recipients()
}

/// A reply's trailer that names someone else than the reply's sender (b4 calls it a mismatch).
public struct MismatchedTrailer: Sendable {
    public var trailer: Trailer
    public var sender: Person?
    public var source: SourceLocation?
}

/// The `To:` and `Cc:` of a mail, one address (as written) per entry, and the thread it is in.
public struct Recipients: Sendable, Hashable {
    /// The header values as sent (unfolded); split into addresses only when a reply asks.
    public var toHeader: String = ""
    public var ccHeader: String = ""
    /// `References:` as sent (oldest first).
    public var references: [String] = []
    public var to: [String] { AddressList.split(toHeader) }
    public var cc: [String] { AddressList.split(ccHeader) }
    public init(toHeader: String = "", ccHeader: String = "", references: [String] = []) {
        self.toHeader = toHeader
        self.ccHeader = ccHeader
        self.references = references
    }
}

/// The footer fields git format-patch writes (and b4 reads).
public struct SeriesFooter: Sendable, Hashable, Codable {
    public var baseCommit: String?
    public var prerequisitePatchIDs: [String] = []
    public var changeID: String?
    public init() {}
}

/// One patch of the series.
public struct Patch: Sendable {
    public var number: Int
    public var total: Int
    public var subject: String
    public var subjectInfo: SubjectInfo
    public var author: Person?
    public var date: String?
    public var messageID: String?
    public var inReplyTo: String?
    /// The commit message (title excluded), without trailers.
    public var message: String
    public var trailers: [Trailer]
    /// Trailers given in review replies (`Reviewed-by:` etc.), as b4 collects them.
    public var collectedTrailers: [Trailer]
    /// The notes between `---` and the diff (changelog), without the diffstat.
    public var notes: String
    public var diffstat: [DiffstatEntry]
    public var files: [FileDiff]
    public var footer: SeriesFooter
    public var source: SourceLocation?
    public var diagnostics: [Diagnostic]
    /// Where the mail went, as its headers say.
    public var recipients = Recipients()
    /// Trailers given in replies by someone other than the person they name: not applied.
    public var mismatchedTrailers: [MismatchedTrailer] = []
    /// The diff as sent (from its first `diff --git`/`---` line to its end), for second opinions.
    /// Made from the mail's lines when asked for.
    public var rawDiff: String { diffLines.map(DiffText.joined) ?? "" }
    var diffLines: ArraySlice<TextLine>?

    public var isDamaged: Bool { files.contains { $0.hunks.contains { $0.isDamaged } } }

    public init(
        number: Int, total: Int, subject: String, subjectInfo: SubjectInfo, author: Person?, date: String?,
        messageID: String?, inReplyTo: String?, message: String, trailers: [Trailer], collectedTrailers: [Trailer],
        notes: String, diffstat: [DiffstatEntry], files: [FileDiff], footer: SeriesFooter, source: SourceLocation?,
        diagnostics: [Diagnostic]
    ) {
        self.number = number
        self.total = total
        self.subject = subject
        self.subjectInfo = subjectInfo
        self.author = author
        self.date = date
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.message = message
        self.trailers = trailers
        self.collectedTrailers = collectedTrailers
        self.notes = notes
        self.diffstat = diffstat
        self.files = files
        self.footer = footer
        self.source = source
        self.diagnostics = diagnostics
    }
}

/// A whole series, as the CLI and later stages see it.
public struct PatchSeries: Sendable {
    public var title: String
    public var version: String
    public var total: Int
    public var coverLetter: CoverLetter?
    public var patches: [Patch]
    public var replies: [Reply]
    public var missingPatches: [Int]
    public var footer: SeriesFooter
    public var tags: [String]
    /// Where every mail of the series was read, copies of a resent patch included.
    public var mailSources: [SourceLocation] = []

    public var isComplete: Bool { missingPatches.isEmpty && !patches.isEmpty }
}
