import CSyntax

/// Where the pages of a mapping come from, read from its `vm_operations_struct`'s `.fault`
/// handler: the functions it calls (five calls deep, bodies in the tree), asked of the model's
/// `faultPageSource` entries. A handler that reaches a page-cache source keeps the mapping in
/// scope; one that reaches only PFN insertion, vmalloc or kernel memory, or that forwards to
/// another table's `->fault`, or that fails on every path, hands out no page-cache page, so a
/// writer of that mapping has no writeback to wait for.
struct FaultPageSources {
    let context: RuleContext
    var program: Program { context.program }

    /// Why none of `vmOps` hands out page-cache pages, or nil when one may (or we cannot tell).
    func exclusion(vmOps bindings: [OpsBinding]) -> WritebackWindows.Exclusion? {
        guard !bindings.isEmpty else { return nil }
        var all: [WritebackWindows.Exclusion] = []
        var seen = Set<String>()
        for b in bindings where seen.insert("\(b.file)|\(b.variable)").inserted {
            guard let e = exclusion(of: b.variable, seenFrom: b.file) else { return nil }
            all.append(e)
        }
        return WritebackWindows.Exclusion(combining: all)
    }

    func exclusion(of vmOps: String, seenFrom file: String?) -> WritebackWindows.Exclusion? {
        guard let fault = program.opsBindings(of: vmOps, seenFrom: file).first(where: context.model.ops.fault.matches),
              let root = definition(fault.function, near: fault.file) else { return nil }
        let binding = PathStep(file: fault.file, line: fault.line, note: "\(vmOps).fault = \(fault.function)")
        var nonCache: PathStep?
        var forwarding: PathStep?
        var ownPage: PathStep?
        var queue = [(root, 0)]
        var seen: Set<Int> = [root.file << 32 | root.function]
        while let ((f, k), depth) = queue.popLast() {
            let file = program.files[f]
            // `vmf->page = rp->pages[i]`: the handler hands out a page it holds itself; unless a
            // page-cache source is reached below, that page is the driver's, not the page cache's.
            if ownPage == nil { ownPage = pageAssignment(in: file, function: k) }
            for call in file.calls(in: file.functions[k].body) {
                guard let name = file.calleeName(of: call) else {
                    // `bb->vm_ops->fault(vma, vmf)`: the pages are whatever another table hands out.
                    if let callee = file.tree.child(call, 0), file.normalizedText(of: callee).replacingOccurrences(of: " ", with: "").hasSuffix("->fault") {
                        forwarding = forwarding ?? PathStep(file: file.path, line: file.line(of: call),
                                                            note: "\(file.functions[k].name)() forwards to \(file.displayText(of: callee))")
                    }
                    continue
                }
                if let source = pageSource(name) {
                    if source { return nil }
                    nonCache = nonCache ?? PathStep(file: file.path, line: file.line(of: call),
                                                    note: "\(file.functions[k].name)() calls \(name)()")
                    continue
                }
                if depth < 5, let d = program.definition(name, from: f), seen.insert(d.file << 32 | d.function).inserted {
                    queue.append((d, depth + 1))
                }
            }
        }
        if let step = nonCache ?? ownPage ?? forwarding {
            let how = nonCache != nil ? "maps memory that is not page cache"
                : ownPage != nil ? "hands out pages the driver holds itself, from no page-cache lookup"
                : "forwards to another vm_operations_struct's fault"
            return WritebackWindows.Exclusion(code: nonCache != nil || ownPage != nil ? "not-page-cache" : "forwards-fault",
                                              reason: "\(vmOps)'s fault handler \(fault.function)() \(how): no page-cache page, no writeback",
                                              evidence: [binding, step])
        }
        let summary = context.analyzer.summary(file: root.file, function: root.function)
        if !summary.outcomes.isEmpty, summary.outcomes.allSatisfy({ $0.returnClass == .noWrite }) {
            return WritebackWindows.Exclusion(code: "fault-fails", reason: "\(vmOps)'s fault handler \(fault.function)() fails on every path",
                                              evidence: [binding] + (summary.outcomes.first?.path.suffix(1) ?? []))
        }
        return nil
    }

    /// The first `X->page = …` in the function whose value is not a call (a call is asked of the model).
    func pageAssignment(in file: ParsedFile, function k: Int) -> PathStep? {
        let tree = file.tree
        var found: PathStep?
        tree.walk(file.functions[k].body) { node in
            guard found == nil, tree.kind(node) == .assignment, tree[node].op == .assign,
                  let target = tree.child(node, 0), var value = tree.child(node, 1), tree.kind(target) == .member,
                  file.normalizedText(of: target).replacingOccurrences(of: " ", with: "").hasSuffix("->page") else { return }
            while tree.kind(value) == .cast, let inner = tree.child(value, 1) { value = inner }
            guard tree.kind(value) != .call else { return }
            found = PathStep(file: file.path, line: file.line(of: node), note: "\(file.displayText(of: node))")
        }
        return found
    }

    func pageSource(_ name: String) -> Bool? {
        for entry in context.analyzer.table[name] ?? [] {
            if case .faultPageSource(let pageCache) = entry.effect { return pageCache }
            if case .returnsNewPage(let forPageCache) = entry.effect { return forPageCache }
            if case .returnsPage = entry.effect { return true }
            if case .returnsPageWithFlags = entry.effect { return true }
        }
        return nil
    }

    func definition(_ function: String, near path: String) -> (file: Int, function: Int)? {
        program.definitions[function]?.first { program.files[$0.file].path == path } ?? program.definitions[function]?.first
    }
}
