// What ops tables a file fills in (`.page_mkwrite = f` in an initializer, `ops->mmap = f`), collected while parsing.
extension Parser {
    mutating func collectBindings(_ list: Int32, structType: String, variable: String, prefix: String) {
        let n = tree.nodes[Int(list)]
        for k in 0..<Int(n.childCount) {
            let element = tree.childSlots[Int(n.childStart) + k]
            if element < 0 { continue }
            let e = tree.nodes[Int(element)]
            if e.kind == .initializerList {
                // Array of structures: every element has the same type.
                collectBindings(element, structType: structType, variable: variable, prefix: prefix)
                continue
            }
            guard e.kind == .designatedInitializer, e.childCount >= 2 else { continue }
            var slot = prefix
            var indexed = false
            for d in 0..<Int(e.childCount) - 1 {
                let designator = tree.nodes[Int(tree.childSlots[Int(e.childStart) + d])]
                if designator.kind == .fieldDesignator {
                    if !slot.isEmpty { slot += "." }
                    slot += text(Int(designator.extra))
                } else {
                    indexed = true
                }
            }
            let value = tree.childSlots[Int(e.childStart) + Int(e.childCount) - 1]
            if kindOf(value) == .initializerList {
                collectBindings(value, structType: structType, variable: variable, prefix: slot)
                continue
            }
            if slot.isEmpty && indexed { continue }
            if let function = boundIdentifier(value) {
                bindings.append(OpsBinding(
                    file: path, line: Int(tokens[Int(e.firstToken)].line), structType: structType,
                    variable: variable, slot: slot, function: text(function), kind: .designatedInitializer,
                    inFunction: currentFunction))
            }
        }
    }

    /// The identifier a slot value binds: `f`, `(cast)f`; not constants (`NULL`, `THIS_MODULE`).
    func boundIdentifier(_ value: Int32) -> Int? {
        var v = value
        while kindOf(v) == .cast, let operand = tree.child(NodeID(v), 1) { v = operand.index }
        guard kindOf(v) == .identifier else { return nil }
        let t = Int(tree.nodes[Int(v)].extra)
        return tokenIsAllCaps(t) ? nil : t
    }

    /// `ops->page_mkwrite = fn;` and `vma->vm_ops = &foo;` inside a function body.
    mutating func noteAssignment(target: Int32, value: Int32) {
        guard let function = currentFunction, kindOf(target) == .member else { return }
        let member = tree.nodes[Int(target)]
        let slotToken = Int(member.extra)
        if slotToken < 0 { return }
        let v = tree.nodes[Int(value)]
        if v.kind == .unary && v.op == .ampersand, let operand = tree.child(NodeID(value), 0),
            kindOf(operand.index) == .identifier
        {
            let name = Int(tree.nodes[Int(operand.index)].extra)
            if localNames.contains(tokenHash(name)) { return }
            installs.append(OpsInstall(
                file: path, line: Int(tokens[Int(member.firstToken)].line), function: function,
                slot: text(slotToken), target: nodeText(target), variable: text(name)))
            return
        }
        guard let ident = boundIdentifier(value) else { return }
        if localNames.contains(tokenHash(ident)) { return }
        let baseNode = tree.child(NodeID(target), 0)
        let base = baseNode.map { nodeText($0.index) } ?? ""
        var structType: String?
        if let b = baseNode, kindOf(b.index) == .identifier,
            let tag = localStructTags[tokenHash(Int(tree.nodes[Int(b.index)].extra))]
        {
            structType = text(Int(tag))
        }
        bindings.append(OpsBinding(
            file: path, line: Int(tokens[Int(member.firstToken)].line), structType: structType, variable: base,
            slot: text(slotToken), function: text(ident), kind: .assignment, inFunction: function))
    }

    func nodeText(_ n: Int32) -> String {
        let node = tree.nodes[Int(n)]
        if node.lastToken < node.firstToken { return "" }
        return (Int(node.firstToken)...Int(node.lastToken)).map { text($0) }.joined()
    }
}
