/// What each diagnostic code means and what to do about it: `spw-review explain CODE` prints it,
/// and a test keeps it the same as docs/diagnostics.md.
public enum DiagnosticCatalog {
    public static let entries: [(code: String, severity: String, explanation: String)] = [
        ("mail/whitespace-damage", "warning", "A hunk's whitespace was mangled in transit: context lines lost their leading space, indentation was stripped or tabs turned into spaces, or blank context lines were dropped (the hunk has fewer lines than its header says, equally on both sides). The message says which, and where. spw-review repairs the hunk as far as the mail allows (`repairedLines` in JSON) and the apply stage finishes the repair against the real file. `indentation is spaces` is a guess from the mail alone: when a tree is at hand and the hunk's lines are in the file exactly as sent (a file indented with spaces), the warning is withdrawn. Resend with `git send-email`."),
        ("mail/line-wrapped", "warning", "A long diff line was wrapped by the mailer onto the next line; the pieces were joined again."),
        ("mail/non-breaking-space", "warning", "U+00A0 stands where a space was (typical of HTML mailers and web archives); replaced by a space."),
        ("mail/crlf-in-diff", "warning", "Diff lines end with CR (CRLF inside the diff, usually from a base64 or quoted-printable body written on Windows)."),
        ("mail/hunk-count-mismatch", "warning", "A hunk's line counts do not match its `@@` header in a way no known damage explains (hand-edited patch, lines lost)."),
        ("mail/corrupt-diff", "error / warning", "A `[PATCH]` mail whose diff cannot be read at all (error), or a `diff --git` header with nothing under it (warning)."),
        ("mail/diffstat-mismatch", "warning", "The diffstat as sent does not describe the diff as sent (a file missing from one of them, or a different number of changed lines). Often a sign of a hand-edited patch."),
        ("mail/parser-disagreement", "warning / info", "libgit2's patch parser, run as a second opinion on every clean git-format diff, reads other files or hunk ranges than we do (warning), or cannot read a diff git writes (info: libgit2 1.5 refuses an empty new file without ---/+++ lines)."),
        ("mail/hostile-path", "error", "A diff path is absolute, contains `..`, or points into `.git/`. Such a patch is never applied."),
        ("mail/missing-signoff", "warning", "A patch has no `Signed-off-by:` (Documentation/process/submitting-patches.rst, \"Sign your work\")."),
        ("mail/from-signoff-mismatch", "warning", "The patch author (the `From:` header, or an in-body `From:` line) has no matching `Signed-off-by:`."),
        ("mail/incomplete-series", "warning", "Patches of an N/M series are missing from the input."),
        ("mail/duplicate-patch", "info", "The same patch appears twice in one series version (a resend: labelled RESEND, the same Message-ID, or the same changed lines); the last copy is used."),
        ("mail/trailer-mismatch", "warning", "A reply gives a trailer (`Reviewed-by:` …) that names someone other than the reply's sender (by address): listed, not applied, as b4 does."),
        ("mail/placeholder-cover", "warning", "The cover letter is `git format-patch --cover-letter`'s unedited template (`*** SUBJECT HERE ***`); it is attached to its series."),
        ("mail/several-series", "error", "The input holds more than one series and they are not one thread: `review` and `apply` stop (exit status 2) and list them; `--series N` or `--series-version V` selects one."),
        ("mail/format-flowed", "warning", "A part is `format=flowed`; the mailer may have re-wrapped or space-stuffed the patch. The flowing is undone (RFC 3676) and reported."),
        ("mail/pasted-thread", "info", "The input had no mail headers and was read as a thread pasted from a web archive; subjects and dates are unknown, authors and versions are inferred."),
        ("mail/no-patch", "error", "No patch was found anywhere in the input (exit status 3)."),
        ("mail/pull-request", "info", "A `git request-pull` mail: it names a branch to fetch and holds no diff. Reported with the repository to fetch; `spw-review check` reviews the fetched commits."),
        ("mail/invalid-base64", "warning", "A base64 part has characters outside the alphabet; they were skipped."),
        ("mail/unknown-charset", "warning", "A part names a charset neither spw-review nor iconv knows; it was read as UTF-8 or, failing that, Windows-1252."),
        ("mail/invalid-charset-bytes", "warning", "A part's bytes are not valid in its declared charset: the lines that are not are shown decoded as Windows-1252, and a patch applies them as the bytes they were."),
        ("mail/unknown-transfer-encoding", "warning", "An unknown `Content-Transfer-Encoding`; the part was read as 8bit."),
        ("mail/crlf", "info", "An encoded part uses CRLF line endings."),
        ("mail/nul-byte", "warning", "NUL bytes in a part were removed."),
        ("mail/corrupt-binary-patch", "warning", "A `GIT binary patch` whose `literal`/`delta` line or base85 lines cannot be read; the file is then skipped."),
        ("mail/huge-line", "warning", "A line over 1 MiB long (no mailer sends that)."),
        ("mail/html-part", "info", "An HTML part was ignored."),
        ("mail/mime-too-deep", "warning", "MIME parts nested deeper than 32 levels; the inner parts were not read."),
        ("mail/mime-no-boundary", "warning", "A multipart part without a boundary; read as plain text."),
        ("mail/quilt-option", "info", "A quilt `series` option other than `-pN` was ignored."),
        ("mail/read-error", "error / warning", "A file could not be read, or is empty; or reading stopped early (a read error, gzip data cut short or corrupt): the mails before the line named are read."),
        ("mail/unreadable", "error / warning", "A file could not be read, or is empty."),
        ("mail/empty", "error / warning", "A file could not be read, or is empty."),
    ]

    public static func explain(_ code: String) -> String? {
        let wanted = code.contains("/") ? code : "mail/" + code
        guard let e = entries.first(where: { $0.code == wanted }) else { return nil }
        return "\(e.code) (\(e.severity))\n\n\(e.explanation)\n"
    }
}
