/// Paths a patch may not touch: absolute ones, ones that climb out with `..`, and anything in
/// a `.git` directory (git apply refuses the same; `.git` compared case-insensitively, as on
/// case-insensitive file systems).
enum PathSafety {
    /// Why the path is refused, or nil when it is fine.
    static func problem(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        if path.hasPrefix("/") { return "absolute path" }
        // A tab is an ordinary byte of a name (git quotes it as `\t`); other control characters
        // could rewrite a terminal that prints the path, and a backslash is a separator on Windows.
        if path.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0 == "\\" }) {
            return "control character or backslash in path"
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for component in components {
            if component == ".." { return "path climbs out of the tree with `..`" }
            if component.isEmpty || component == "." { return "empty or `.` path component" }
            if component.lowercased() == ".git" { return "path inside `.git/`" }
        }
        return nil
    }
}
