@testable import CSyntax

func parse(_ source: String, path: String = "test.c") -> ParsedFile {
    CParser.parse(Array(source.utf8), path: path)
}

extension ParsedFile {
    var functionNames: [String] { functions.map(\.name) }

    /// Kinds of the body's top-level statements.
    func bodyKinds(_ function: String) -> [NodeKind] {
        guard let f = self.function(named: function) else { return [] }
        return tree.children(f.body).map { tree.kind($0) }
    }

    func bodyStatements(_ function: String) -> [NodeID] {
        guard let f = self.function(named: function) else { return [] }
        return tree.children(f.body)
    }

    /// A compact s-expression of a node, for shape assertions.
    func sexp(_ id: NodeID) -> String {
        let n = tree[id]
        var head = "\(n.kind)"
        if let name = name(of: id) { head += " \(name)" }
        if n.op != .none { head += " \(n.op)" }
        switch n.kind {
        case .numberLiteral, .stringLiteral, .characterLiteral, .typeName, .opaque:
            head += " \(normalizedText(of: id))"
        default: break
        }
        let kids = (0..<tree.childCount(id)).map { slot in tree.child(id, slot).map { sexp($0) } ?? "_" }
        return kids.isEmpty ? "(\(head))" : "(\(head) \(kids.joined(separator: " ")))"
    }

    func cfg(_ function: String) -> ControlFlowGraph {
        ControlFlowGraph.build(self.function(named: function)!, in: self)
    }
}
