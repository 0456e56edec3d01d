import Support
import StablePages

/// SARIF 2.1.0, for code-scanning dashboards and CI annotations: one result per finding (with its
/// path as a code flow) and per diagnostic at warning or error severity.
public enum SARIF {
    /// Where the reviewed code comes from: SARIF's `versionControlProvenance` (the repository's
    /// `origin` URL when it has one, the base commit, the branch checked out).
    public struct Provenance: Sendable {
        public var repositoryURI: String?
        public var revisionID: String
        public var branch: String?
        public init(repositoryURI: String?, revisionID: String, branch: String?) {
            self.repositoryURI = repositoryURI
            self.revisionID = revisionID
            self.branch = branch
        }
    }

    public static func document(findings: [Finding], diagnostics: [Diagnostic], toolVersion: String,
                                provenance: Provenance? = nil) -> JSONValue {
        var rules: [JSONValue] = RuleRegistry.all.map { rule in
            let d = rule.description
            return .object([
                ("id", .string(d.id)),
                ("name", .string(d.id.split(separator: "/").last.map(String.init) ?? d.id)),
                ("shortDescription", .object([("text", .string(d.title))])),
                ("fullDescription", .object([("text", .string(d.rationale))])),
                ("defaultConfiguration", .object([("level", .string(level(d.severity)))])),
                ("properties", .object([("confidence", .string(d.confidence.rawValue))])),
            ])
        }
        let codes = Array(Set(diagnostics.filter { $0.severity != .info }.map(\.code))).sorted()
        rules += codes.map { .object([("id", .string($0)), ("shortDescription", .object([("text", .string($0))]))]) }
        var results: [JSONValue] = findings.map { f in
            // SARIF's names for a finding against a baseline (the series' base tree).
            let baseline: [(String, JSONValue)] = f.state.map { state in
                [("baselineState", .string(state == .new ? "new" : state == .unchanged ? "unchanged" : "absent"))]
            } ?? []
            // The same finding in another run, after lines moved: rule, file, function, slot and
            // cause, not the line.
            let fingerprint = fnv1a([f.rule, f.file, f.function, f.slot, f.cause ?? ""].joined(separator: "\u{1F}"))
            return .object([
                ("ruleId", .string(f.rule)),
                ("level", .string(level(f.severity))),
                ("message", .object([("text", .string(f.message))])),
                ("locations", .array([location(f.file, f.line)])),
                ("codeFlows", .array([.object([("threadFlows", .array([.object([("locations", .array(f.path.map { step in
                    .object([("location", .object([
                        ("physicalLocation", physical(step.file, step.line)),
                        ("message", .object([("text", .string(step.note))])),
                    ]))])
                }))])]))])])),
                ("properties", .object([
                    ("function", .string(f.function)), ("slot", .string(f.slot)), ("confidence", .string(f.confidence.rawValue)),
                    ("presentIn", .array(f.presentIn.map { .int($0) })),
                    ("introducedBy", .optional(f.introducedBy)), ("resolvedBy", .optional(f.resolvedBy)),
                ])),
                ("partialFingerprints", .object([("spwReviewFinding/v1", .string(fingerprint))])),
            ] + baseline)
        }
        results += diagnostics.filter { $0.severity != .info }.map { d in
            var fields: [(String, JSONValue)] = [
                ("ruleId", .string(d.code)),
                ("level", .string(d.severity == .error ? "error" : "warning")),
                ("message", .object([("text", .string(d.message))])),
            ]
            if let l = d.location { fields.append(("locations", .array([location(l.file, l.line)]))) }
            return .object(fields)
        }
        var run: [(String, JSONValue)] = [
            ("tool", .object([("driver", .object([
                ("name", .string("spw-review")),
                ("version", .string(toolVersion)),
                ("rules", .array(rules)),
            ]))])),
            ("results", .array(results)),
        ]
        if let p = provenance {
            var details: [(String, JSONValue)] = []
            if let uri = p.repositoryURI { details.append(("repositoryUri", .string(uri))) }
            details.append(("revisionId", .string(p.revisionID)))
            if let branch = p.branch { details.append(("branch", .string(branch))) }
            run.append(("versionControlProvenance", .array([.object(details)])))
        }
        return .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object(run)])),
        ])
    }

    /// FNV-1a, 64 bits, as 16 hex digits: stable across runs and machines (`Hasher` is not).
    static func fnv1a(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func level(_ s: FindingSeverity) -> String {
        switch s {
        case .error: "error"
        case .warning: "warning"
        case .note: "note"
        }
    }

    static func physical(_ file: String, _ line: Int) -> JSONValue {
        .object([
            ("artifactLocation", .object([("uri", .string(file))])),
            ("region", .object([("startLine", .int(max(line, 1)))])),
        ])
    }

    static func location(_ file: String, _ line: Int) -> JSONValue {
        .object([("physicalLocation", physical(file, line))])
    }
}
