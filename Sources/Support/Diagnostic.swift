/// How serious a diagnostic is. The CLI maps the worst one to an exit status.
public enum Severity: String, Sendable, Codable, Comparable {
    case info, warning, error

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A place in an input file, 1-based line. `file` is the path as the user gave it.
public struct SourceLocation: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

/// A finding about the input itself (not about the kernel code): bad mail, damaged diffs,
/// missing sign-offs. Codes are namespaced (`mail/…`) and documented in docs/diagnostics.md.
public struct Diagnostic: Sendable, Hashable, Codable {
    public var code: String
    public var severity: Severity
    public var message: String
    /// Where in the input the problem is (mail file and line), when known.
    public var location: SourceLocation?
    /// The patch number (N of N/M) the diagnostic is about, when known.
    public var patch: Int?
    /// The path inside the diff (e.g. `mm/filemap.c`) the diagnostic is about, when known.
    public var diffPath: String?
    /// The 1-based hunk index within `diffPath`, when known.
    public var hunk: Int?

    public init(
        _ code: String, _ severity: Severity, _ message: String,
        at location: SourceLocation? = nil, patch: Int? = nil, diffPath: String? = nil, hunk: Int? = nil
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.location = location
        self.patch = patch
        self.diffPath = diffPath
        self.hunk = hunk
    }

    /// The same problem `lines` lines further down its file.
    public mutating func moveDown(_ lines: Int) { location?.line += lines }

    /// `file:line: severity: message [code]`, the way compilers and git print problems.
    public var rendered: String {
        var prefix = ""
        if let location { prefix = "\(location.file):\(location.line): " }
        return "\(prefix)\(severity.rawValue): \(message) [\(code)]"
    }
}
