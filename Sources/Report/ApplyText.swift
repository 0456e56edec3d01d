import Apply

/// The apply stage as text: the base, then one line per patch and per hunk.
public enum ApplyText {
    public static func render(_ r: ApplyResult, style: TextStyle) -> String {
        var out: [String] = []
        out.append(style.bold("Tree: ") + r.tree)
        out.append("  base \(String(r.base.commit.prefix(12))) (\(r.base.how.rawValue)): \(r.base.message); "
                   + "\(r.base.matchedBlobs)/\(r.base.totalBlobs) preimage blobs match")
        for p in r.patches {
            var verified = ""
            switch p.postimageVerified {
            case true?: verified = ", postimage verified"
            case false?:
                let differing = p.files.filter { $0.postimageVerified == false }.map { $0.newPath ?? $0.oldPath ?? "?" }
                verified = ", postimage differs: " + differing.joined(separator: ", ")
            case nil: break
            }
            out.append("  \(p.number) \(paint(p.status, style)) \(p.subject)" + style.dim(" → tree \(p.tree.prefix(12))\(verified)"))
            if p.status == .skipped || p.status == .conflict, p.hunks.isEmpty || p.message.hasPrefix("refused") {
                out.append("      " + p.message)
            }
            for h in p.hunks {
                var line = "      \(h.file) hunk \(h.hunk): \(paint(h.status, style))"
                if h.message != h.status.rawValue && h.message != "applied" { line += " — " + h.message }
                out.append(line)
                if let closest = h.closest {
                    out += closest.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "        " + $0 }
                }
            }
        }
        out.append(style.bold("Result tree: ") + r.resultTree)
        if let branch = r.branch, let tip = r.branchTip { out.append("  written to branch \(branch) at \(tip)") }
        return out.joined(separator: "\n")
    }

    static func paint(_ status: ApplyStatus, _ style: TextStyle) -> String {
        switch status {
        case .applied, .alreadyApplied: style.paint(status.rawValue, "32")
        case .appliedWithOffset, .repaired: style.paint(status.rawValue, "33")
        case .conflict, .skipped: style.paint(status.rawValue, "1;31")
        }
    }
}
