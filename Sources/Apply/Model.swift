import Support
import Git
import Series

/// What `spw-review apply` / `review` were asked to do with a tree.
public struct ApplyConfiguration: Sendable {
    /// `--base REV`: any revision git understands.
    public var base: String?
    /// How many first-parent commits from HEAD the base guess may examine.
    public var baseSearchDepth: Int
    /// `--apply-to-branch NAME`: write real commits on this new branch.
    public var applyToBranch: String?

    public static let defaultBaseSearchDepth = 10_000

    public init(base: String? = nil, baseSearchDepth: Int = ApplyConfiguration.defaultBaseSearchDepth,
                applyToBranch: String? = nil) {
        self.base = base
        self.baseSearchDepth = baseSearchDepth
        self.applyToBranch = applyToBranch
    }
}

/// One status vocabulary for hunks and patches (`status` in the JSON).
public typealias PatchStatus = ApplyStatus

/// How the base commit was chosen.
public enum BaseChoice: String, Sendable, Codable {
    case given
    case baseCommit = "base-commit"
    case guessed
    case head
}

public struct BaseResolution: Sendable {
    /// Full id of the base commit (T0 is its tree).
    public var commit: String
    public var how: BaseChoice
    /// Preimage blobs of the series (first preimage of each path) found in the base's tree.
    public var matchedBlobs: Int
    public var totalBlobs: Int
    /// First-parent commits examined by the guess (0 when no guess was made).
    public var walked: Int
    /// The walk's bound.
    public var searchDepth: Int
    public var message: String
}

/// One file of one patch.
public struct FileResult: Sendable {
    public var oldPath: String?
    public var newPath: String?
    public var status: ApplyStatus
    /// The blob the file had before the patch (in the tree applied to), full id.
    public var preimageBlob: String?
    /// The blob after the patch, full id.
    public var postimageBlob: String?
    /// The abbreviated ids on the patch's `index` line.
    public var indexPreimage: String?
    public var indexPostimage: String?
    /// true: the result has the postimage id the patch names; false: it differs although the
    /// preimage was the patch's; nil: not checkable (no `index` line, or another preimage).
    public var postimageVerified: Bool?
    public var oldMode: String?
    public var newMode: String?
    public var message: String
}

/// One patch: its status, the tree after it (Tk) and every hunk.
public struct PatchResult: Sendable {
    public var number: Int
    public var subject: String
    public var status: ApplyStatus
    public var postimageVerified: Bool?
    /// Tk: the tree after this patch (unchanged from Tk-1 when the patch did not apply).
    public var tree: String
    public var hunks: [HunkResult]
    public var files: [FileResult]
    /// With `--apply-to-branch`: the commit written for this patch.
    public var commit: String?
    public var message: String
}

/// The whole apply stage's outcome.
public struct ApplyResult: Sendable {
    /// The repository's working directory (or git directory when bare).
    public var tree: String
    public var base: BaseResolution
    public var patches: [PatchResult]
    /// T0 (the base's tree), T1, ..., Tn.
    public var trees: [String]
    /// Tn.
    public var resultTree: String
    /// With `--apply-to-branch`: the branch written and its tip.
    public var branch: String?
    public var branchTip: String?
    public var diagnostics: [Diagnostic]

    /// True when every patch applied (possibly repaired, at offsets, or already applied).
    public var applied: Bool { !patches.contains { $0.status == .conflict || $0.status == .skipped } }
}

/// Errors that stop the apply stage (as opposed to per-hunk conflicts, which are results).
public struct ApplyError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ApplyResult {
    /// Hunks whose context and removed lines were found in the file exactly as the mail has
    /// them (applied, at an offset, or already applied; not by the whitespace-blind search).
    public var hunksAppliedAsSent: Set<HunkAddress> {
        var out = Set<HunkAddress>()
        for p in patches {
            for h in p.hunks where h.method == nil && [.applied, .appliedWithOffset, .alreadyApplied].contains(h.status) {
                out.insert(HunkAddress(patch: p.number, path: h.file, hunk: h.hunk))
            }
        }
        return out
    }

    /// Hunks whose lines end in `\r` because the file's do (a CRLF file), applied as sent.
    public var hunksWithTheFilesCarriageReturns: Set<HunkAddress> {
        var out = Set<HunkAddress>()
        for p in patches {
            for h in p.hunks where h.carriageReturnsAreTheFiles && h.method == nil
                && [.applied, .appliedWithOffset, .alreadyApplied].contains(h.status) {
                out.insert(HunkAddress(patch: p.number, path: h.file, hunk: h.hunk))
            }
        }
        return out
    }
}
