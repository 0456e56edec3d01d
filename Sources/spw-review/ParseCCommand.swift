import ArgumentParser
import CSyntax
import Foundation
import Report

/// `spw-review parse-c`: shows what the C parser sees, for developers and for checking the parser
/// against real trees.
struct ParseCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-c",
        abstract: "Parse kernel C files and show functions, control-flow graphs or ops bindings.",
        discussion: """
            PATH may be files or directories (searched recursively for .c files). Default output is \
            the function list. Parser recoveries are reported with --functions.
            """
    )

    @OptionGroup var colorChoice: ColorOption

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, dot
    }

    @Argument(help: "Files or directories to parse.") var paths: [String] = []
    @Flag(help: "List function definitions and parser recoveries (default).") var functions = false
    @Option(help: ArgumentHelp("Show the control-flow graph of the named function.", valueName: "FUNCTION"))
    var cfg: String?
    @Flag(help: "List ops-structure slot bindings and vm_ops-style installs.") var ops = false
    @Option(help: "Output format: text, json, or dot (dot only with --cfg).") var format: Format = .text

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or directory") }
        if [functions, cfg != nil, ops].filter({ $0 }).count > 1 {
            throw ValidationError("--functions, --cfg and --ops are mutually exclusive")
        }
        if format == .dot && cfg == nil { throw ValidationError("--format dot needs --cfg FUNCTION") }
    }

    func run() throws {
        var failed = false
        var files: [String] = []
        for path in paths {
            switch SourcePaths.expand(path) {
            case .success(let found): files += found
            case .failure(let message):
                printError("\(path):1: error: \(message)")
                failed = true
            }
        }
        var parsed: [ParsedFile] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("\(file):1: error: cannot read file")
                failed = true
                continue
            }
            parsed.append(CParser.parse([UInt8](data), path: file))
        }
        if let name = cfg {
            var found = false
            for file in parsed {
                for function in file.functions where function.name == name {
                    found = true
                    let graph = ControlFlowGraph.build(function, in: file)
                    print(CFGRendering.render(graph, function, file, format), terminator: "")
                }
            }
            if !found {
                printError("\(paths[0]):1: error: no function named '\(name)'")
                throw ExitCode(1)
            }
        } else if ops {
            print(renderOps(parsed), terminator: "")
        } else {
            print(renderFunctions(parsed), terminator: "")
        }
        if failed { throw ExitCode(1) }
    }

    func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func renderFunctions(_ files: [ParsedFile]) -> String {
        var out = ""
        switch format {
        case .json:
            var functionObjects: [String] = []
            var recoveryObjects: [String] = []
            for file in files {
                for f in file.functions {
                    functionObjects.append(
                        "{\"file\": \(JSONText.string(file.path)), \"name\": \(JSONText.string(f.name)), "
                            + "\"line\": \(f.line), \"endLine\": \(f.endLine)}")
                }
                for r in file.recoveries {
                    recoveryObjects.append(
                        "{\"file\": \(JSONText.string(file.path)), \"line\": \(r.line), "
                            + "\"message\": \(JSONText.string(r.message))}")
                }
            }
            out += "{\"functions\": " + JSONText.array(functionObjects) + ",\n"
            out += " \"recoveries\": " + JSONText.array(recoveryObjects) + "}\n"
        default:
            for file in files {
                for f in file.functions {
                    out += "\(file.path):\(f.line)-\(f.endLine): \(f.name)\n"
                }
                for r in file.recoveries {
                    out += "\(file.path):\(r.line): recovery: \(r.message)\n"
                }
            }
        }
        return out
    }

    func renderOps(_ files: [ParsedFile]) -> String {
        switch format {
        case .json:
            var bindings: [String] = []
            var installs: [String] = []
            for file in files {
                for b in file.opsBindings {
                    bindings.append(
                        "{\"file\": \(JSONText.string(b.file)), \"line\": \(b.line), "
                            + "\"struct\": \(b.structType.map(JSONText.string) ?? "null"), "
                            + "\"variable\": \(JSONText.string(b.variable)), \"slot\": \(JSONText.string(b.slot)), "
                            + "\"function\": \(JSONText.string(b.function)), \"kind\": \(JSONText.string(b.kind.rawValue))}")
                }
                for i in file.opsInstalls {
                    installs.append(
                        "{\"file\": \(JSONText.string(i.file)), \"line\": \(i.line), "
                            + "\"function\": \(JSONText.string(i.function)), \"slot\": \(JSONText.string(i.slot)), "
                            + "\"target\": \(JSONText.string(i.target)), \"variable\": \(JSONText.string(i.variable))}")
                }
            }
            return "{\"bindings\": " + JSONText.array(bindings) + ",\n \"installs\": " + JSONText.array(installs) + "}\n"
        default:
            var out = ""
            for file in files {
                for b in file.opsBindings {
                    let type = b.structType.map { "struct \($0) " } ?? ""
                    out += "\(b.file):\(b.line): \(type)\(b.variable).\(b.slot) = \(b.function)\n"
                }
                for i in file.opsInstalls {
                    out += "\(i.file):\(i.line): \(i.function): \(i.target) = &\(i.variable)\n"
                }
            }
            return out
        }
    }
}

// Helpers are nested in the command so their names cannot clash with the rest of the executable.
extension ParseCCommand {
    /// Expands command-line paths to `.c` files, keeping paths as given (relative stays relative).
    enum SourcePaths {
        enum Expansion { case success([String]), failure(String) }

        static func expand(_ path: String) -> Expansion {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return .failure("no such file or directory")
            }
            if !isDirectory.boolValue { return .success([path]) }
            guard let enumerator = FileManager.default.enumerator(atPath: path) else {
                return .failure("cannot list directory")
            }
            var found: [String] = []
            while let relative = enumerator.nextObject() as? String {
                if relative.hasSuffix(".c") {
                    found.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
                }
            }
            return .success(found.sorted())
        }
    }

    enum JSONText {
        static func string(_ s: String) -> String { JSONValue.string(s).serialized(pretty: false) }

        static func array(_ objects: [String]) -> String {
            objects.isEmpty ? "[]" : "[\n  " + objects.joined(separator: ",\n  ") + "\n]"
        }
    }

    enum CFGRendering {
        static func render(_ graph: ControlFlowGraph, _ function: FunctionDefinition, _ file: ParsedFile,
                           _ format: Format) -> String {
            switch format {
            case .dot: return dot(graph, function, file)
            case .json: return json(graph, function, file)
            case .text: return text(graph, function, file)
            }
        }

        static func summary(_ id: NodeID, _ file: ParsedFile) -> String {
            let s = file.normalizedText(of: id)
            return s.count > 60 ? String(s.prefix(57)) + "..." : s
        }

        static func edgeLabel(_ e: ControlFlowGraph.Edge, _ file: ParsedFile) -> String {
            var label = e.kind.rawValue
            if let c = e.condition { label += ": " + summary(c, file) }
            if let v = e.caseValue {
                label += ": " + summary(v, file)
                if let end = e.caseRangeEnd { label += " ... " + summary(end, file) }
            }
            if let l = e.label { label += ": " + l }
            return label
        }

        static func text(_ graph: ControlFlowGraph, _ function: FunctionDefinition, _ file: ParsedFile) -> String {
            var out = "\(file.path):\(function.line): \(function.name): \(graph.blocks.count) blocks, "
                + "\(graph.edges.count) edges\n"
            for b in graph.blocks {
                let lines = b.firstLine == 0 ? "" : " lines \(b.firstLine)-\(b.lastLine)"
                out += "  B\(b.id) \(b.kind.rawValue)\(b.label.map { " label \($0)" } ?? "")\(lines)\n"
                for item in b.items { out += "    \(summary(item, file))\n" }
                for e in b.outgoing {
                    let edge = graph.edges[e]
                    out += "    -> B\(edge.to) \(edgeLabel(edge, file))\n"
                }
            }
            return out
        }

        static func dotEscape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }

        static func dot(_ graph: ControlFlowGraph, _ function: FunctionDefinition, _ file: ParsedFile) -> String {
            var out = "digraph \"\(dotEscape(function.name))\" {\n  node [shape=box, fontname=\"monospace\"];\n"
            for b in graph.blocks {
                var label = "B\(b.id) \(b.kind.rawValue)"
                if let l = b.label { label += " (\(l):)" }
                if b.firstLine > 0 { label += " L\(b.firstLine)-\(b.lastLine)" }
                for item in b.items { label += "\\l" + dotEscape(summary(item, file)) }
                label += "\\l"
                let shape = b.kind == .returnExit || b.kind == .fallOffExit ? ", shape=oval"
                    : b.kind == .unknown ? ", style=dashed" : ""
                out += "  B\(b.id) [label=\"\(label)\"\(shape)];\n"
            }
            for e in graph.edges {
                out += "  B\(e.from) -> B\(e.to) [label=\"\(dotEscape(edgeLabel(e, file)))\"];\n"
            }
            return out + "}\n"
        }

        static func json(_ graph: ControlFlowGraph, _ function: FunctionDefinition, _ file: ParsedFile) -> String {
            var blocks: [String] = []
            for b in graph.blocks {
                let items = b.items.map { JSONText.string(file.normalizedText(of: $0)) }.joined(separator: ", ")
                var object = "{\"id\": \(b.id), \"kind\": \(JSONText.string(b.kind.rawValue)), "
                    + "\"firstLine\": \(b.firstLine), \"lastLine\": \(b.lastLine), \"items\": [\(items)]"
                if let l = b.label { object += ", \"label\": \(JSONText.string(l))" }
                if let r = b.returnExpression { object += ", \"returns\": \(JSONText.string(file.normalizedText(of: r)))" }
                blocks.append(object + "}")
            }
            var edges: [String] = []
            for e in graph.edges {
                var object = "{\"from\": \(e.from), \"to\": \(e.to), \"kind\": \(JSONText.string(e.kind.rawValue))"
                if let c = e.condition { object += ", \"condition\": \(JSONText.string(file.normalizedText(of: c)))" }
                if let v = e.caseValue { object += ", \"case\": \(JSONText.string(file.normalizedText(of: v)))" }
                if let l = e.label { object += ", \"label\": \(JSONText.string(l))" }
                edges.append(object + "}")
            }
            return "{\"file\": \(JSONText.string(file.path)), \"function\": \(JSONText.string(function.name)), "
                + "\"line\": \(function.line),\n \"blocks\": \(JSONText.array(blocks)),\n \"edges\": \(JSONText.array(edges))}\n"
        }
    }
}
