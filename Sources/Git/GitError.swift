import CLibGit2

/// A failed libgit2 call: the call's name, its return code and libgit2's own message.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    public var call: String
    public var code: Int32
    public var message: String

    public init(call: String, code: Int32, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    public var isAmbiguous: Bool { code == GIT_EAMBIGUOUS.rawValue }
    public var isExists: Bool { code == GIT_EEXISTS.rawValue }

    public var description: String { "\(call): \(message)" }

    /// Reads libgit2's per-thread last error right after the failing call, then clears it.
    static func last(_ call: String, _ code: Int32) -> GitError {
        var message = "error \(code)"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        }
        git_error_clear()
        return GitError(call: call, code: code, message: message)
    }
}

/// Throws a `GitError` naming `call` when libgit2 returned a negative code.
@inline(__always)
func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
    if code < 0 { throw GitError.last(call(), code) }
}

/// libgit2 must be initialised once per process before any other call; a global `let` is
/// lazily and atomically initialised by Swift.
let libgit2Initialized: Bool = {
    git_libgit2_init()
    // libgit2 re-hashes every object it reads (git does not): on a long base search that is
    // half the time. Reads are trusted as git trusts them; `git fsck` is the integrity check.
    _ = spw_git_set_strict_hash_verification(0)
    return true
}()
