import StablePages

/// Findings as JSON (the `findings` array of `spw-review/1`) and as text.
public enum FindingsJSON {
    public static func findings(_ findings: [Finding]) -> JSONValue {
        .array(findings.map(finding))
    }

    public static func finding(_ f: Finding) -> JSONValue {
        .object([
            ("rule", .string(f.rule)),
            ("severity", .string(f.severity.rawValue)),
            ("confidence", .string(f.confidence.rawValue)),
            ("function", .string(f.function)),
            ("file", .string(f.file)),
            ("line", .int(f.line)),
            ("slot", .string(f.slot)),
            ("message", .string(f.message)),
            ("path", .array(f.path.map { .object([("file", .string($0.file)), ("line", .int($0.line)), ("note", .string($0.note))]) })),
            ("presentIn", .array(f.presentIn.map { .int($0) })),
            ("introducedBy", .optional(f.introducedBy)),
            ("resolvedBy", .optional(f.resolvedBy)),
            ("state", .optional(f.state?.rawValue)),
            ("bindings", .array(f.bindings.map { .string($0) })),
            ("summariesUsed", .array(f.summariesUsed.map { .string($0) })),
            ("assumptions", .array(f.assumptions.map { .string($0) })),
            ("inputLine", .optional(f.inputLine)),
            ("cause", .optional(f.cause)),
            ("affected", .array(f.affected.map { .string($0) })),
        ])
    }
}

public enum FindingsText {
    /// What each patch did, in one line per patch, as a maintainer would sum a series up:
    /// `patch 1/3: resolves 32 (write-begin-without-wait 32); introduces nothing`.
    public static func verdict(_ findings: [Finding], patches: Int) -> [String] {
        func counted(_ fs: [Finding]) -> String {
            var counts: [String: Int] = [:]
            for f in fs { counts[String(f.rule.split(separator: "/").last ?? ""), default: 0] += 1 }
            return "\(fs.count) (" + counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ") + ")"
        }
        var lines: [String] = []
        for k in 1...max(patches, 1) where patches > 0 {
            let resolved = findings.filter { $0.resolvedBy == k && $0.introducedBy == nil }
            let introduced = findings.filter { $0.introducedBy == k }
            lines.append("patch \(k)/\(patches): "
                         + (resolved.isEmpty ? "resolves nothing" : "resolves " + counted(resolved)) + "; "
                         + (introduced.isEmpty ? "introduces nothing" : "introduces " + counted(introduced)))
        }
        let unchanged = findings.filter { $0.introducedBy == nil && $0.resolvedBy == nil }
        lines.append("before and after the series: " + (unchanged.isEmpty ? "nothing" : counted(unchanged)))
        return lines
    }

    /// `file:line: error: message [rule]`, then the path, indented, one `file:line: note` per step.
    public static func render(_ findings: [Finding], style: TextStyle, showPath: Bool = true, trees: Int = 0) -> String {
        findings.map { f in
            var lines: [String] = []
            let severity: String
            switch f.severity {
            case .error: severity = style.paint("error", "1;31")
            case .warning: severity = style.paint("warning", "1;33")
            case .note: severity = style.paint("note", "1;36")
            }
            var message = "\(f.file):\(f.line): \(severity): \(f.message) [\(f.rule)]"
            if f.confidence != .high { message += " (confidence: \(f.confidence.rawValue))" }
            lines.append(message)
            if trees > 1 {
                var delta = "    present in " + f.presentIn.map { "T\($0)" }.joined(separator: ", ")
                if let k = f.introducedBy { delta += "; introduced by patch \(k)" }
                if let k = f.resolvedBy { delta += "; resolved by patch \(k)" }
                lines.append(style.dim(delta))
            }
            if showPath {
                for step in f.path { lines.append(style.dim("    \(step.file):\(step.line): \(step.note)")) }
                for a in f.assumptions { lines.append(style.dim("    assumed: \(a)")) }
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
