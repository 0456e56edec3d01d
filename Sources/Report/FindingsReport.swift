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
