import CSyntax

/// Whether the pages an entry point hands out can be under writeback while their lock is not
/// held — derived from the code of the mapping's `address_space_operations`, not from a path or
/// a name. A mapping whose operations write nothing back (no `->writepage`, no `->writepages`),
/// or whose `->writepage` starts and ends writeback before it returns (while the caller holds
/// the page lock: fuse's copy to a temporary page, ubifs' synchronous write), never has an
/// unlocked page under writeback, so "lock the page" is all a writer needs there.
///
/// Which mapping an entry point serves is read from the code too: a `write_begin` from the
/// `address_space_operations` it is bound in; a `page_mkwrite` from the `vm_operations_struct`
/// it is bound in, the mmap methods that install that table (`vma->vm_ops = &…`), the
/// `file_operations` that bind those, and the functions that give an inode those file
/// operations and its `a_ops` together. When any link is missing, the entry point stays in scope.
struct WritebackWindows {
    let context: RuleContext
    var program: Program { context.program }

    struct Exclusion {
        var code: String
        var reason: String
        var evidence: [PathStep]

        init(code: String, reason: String, evidence: [PathStep]) {
            self.code = code
            self.reason = reason
            self.evidence = evidence
        }

        /// Several tables' exclusions as one: their reasons (each once), their evidence after
        /// `extraEvidence`, and the code they share (else `mixedCode`, else the first one's).
        init(combining parts: [Exclusion], extraEvidence: [PathStep] = [], mixedCode: String? = nil) {
            var reasons: [String] = []
            for p in parts where !reasons.contains(p.reason) { reasons.append(p.reason) }
            self.init(code: parts.first?.code ?? "", reason: reasons.joined(separator: "; "),
                      evidence: extraEvidence + parts.flatMap(\.evidence))
            if let mixedCode, Set(parts.map(\.code)).count > 1 { code = mixedCode }
        }
    }

    /// Why none of the mappings behind `bindings` can have an unlocked page under writeback, or nil.
    func exclusion(of bindings: [OpsBinding]) -> Exclusion? {
        guard let slot = bindings.first?.slot,
              let kind = context.model.entryPoint(structType: bindings.first?.structType, slot: slot)?.kind else { return nil }
        let aops: [OpsVariable]
        var linkEvidence: [PathStep] = []
        switch kind {
        case .writeBegin:
            aops = bindings.map { OpsVariable(variable: $0.variable, file: $0.file) }
        case .pageMkwrite:
            guard let found = aopsBehindVmOps(bindings, evidence: &linkEvidence) else { return nil }
            aops = found
        default:
            return nil
        }
        return allClosed(aops, linkEvidence: linkEvidence)
    }

    /// The exclusion when every one of `aops` is closed, or nil.
    func allClosed(_ aops: [OpsVariable], linkEvidence: [PathStep]) -> Exclusion? {
        guard !aops.isEmpty else { return nil }
        var closed: [Exclusion] = []
        for a in Set(aops).sorted(by: { ($0.variable, $0.file) < ($1.variable, $1.file) }) {
            guard let e = closedWindow(of: a) else { return nil }
            closed.append(e)
        }
        return Exclusion(combining: closed, extraEvidence: linkEvidence, mixedCode: "writeback-under-lock")
    }

    /// The `address_space_operations` given to inodes together with one of `fileOperations`
    /// (the functions that assign `->i_fop` and `->a_ops`), with a step per such function; nil
    /// when some file_operations has no such setup in the tree.
    func aopsOfInodes(given fileOperations: Set<String>, evidence: inout [PathStep]) -> [OpsVariable]? {
        let setters = program.installs.filter { $0.slot == context.model.ops.fileOpsMember && fileOperations.contains($0.variable) }
        // Every file_operations must lead to an inode setup, or some mapping is unaccounted for.
        guard !setters.isEmpty, Set(setters.map(\.variable)) == fileOperations else { return nil }
        var aops: [OpsVariable] = []
        for setter in setters {
            let assigned = program.installs.filter { $0.function == setter.function && $0.slot == context.model.ops.addressSpaceOpsMember && $0.file == setter.file }
            guard !assigned.isEmpty else { return nil }
            aops += assigned.map { OpsVariable(variable: $0.variable, file: $0.file) }
            evidence.append(PathStep(file: setter.file, line: setter.line,
                                     note: "\(setter.function)() gives the inode \(setter.variable) and \(assigned.map { "&" + $0.variable }.joined(separator: " or "))"))
        }
        return aops
    }

    /// An ops table as code names it from one file: a `static` table is that file's.
    struct OpsVariable: Hashable {
        var variable: String
        var file: String
    }

    /// The `address_space_operations` of the inodes whose mmap installs one of `vmOps`.
    func aopsBehindVmOps(_ vmOps: [OpsBinding], evidence: inout [PathStep]) -> [OpsVariable]? {
        // An install names the table a binding is in when it sees that binding's definition.
        let installs = program.installs.filter { i in
            i.slot == context.model.ops.vmOpsMember && vmOps.contains { b in
                b.variable == i.variable && program.opsBindings(of: i.variable, seenFrom: i.file).contains(b)
            }
        }
        guard !installs.isEmpty else { return nil }
        let installers = Set(installs.map(\.function))
        let mmaps = program.bindings.filter { b in
            context.model.binds(b, .mmap)
                && (installers.contains(b.function) || calls(b.function, seenFrom: b.file, anyOf: installers))
        }
        guard !mmaps.isEmpty else { return nil }
        guard let aops = aopsOfInodes(given: Set(mmaps.map(\.variable)), evidence: &evidence) else { return nil }
        for i in installs { evidence.append(PathStep(file: i.file, line: i.line, note: "\(i.function)() installs &\(i.variable)")) }
        return aops
    }

    /// Why every inode given `fileOperations` has a mapping that never leaves an unlocked page
    /// under writeback, or nil.
    func closedMapping(fileOperations: String) -> Exclusion? {
        var evidence: [PathStep] = []
        guard let aops = aopsOfInodes(given: [fileOperations], evidence: &evidence) else { return nil }
        return allClosed(aops, linkEvidence: evidence)
    }

    /// Whether every call that is given the page (in `root` and the functions it calls with a
    /// body, three deep) reaches code or a model entry we can read, or a page-flag accessor
    /// (which the model's `pageStateReaders` describes, writeback ones excepted by their entries).
    func everyPageCalleeIsKnown(from root: (file: Int, function: Int)) -> Bool {
        var queue = [(root, 0)]
        var seen: Set<Int> = [root.file << 32 | root.function]
        while let ((f, k), depth) = queue.popLast() {
            let file = program.files[f]
            let pages = Set(file.functions[k].parameters.filter {
                FunctionWalker.bareType($0.typeText) == "structpage*" || FunctionWalker.bareType($0.typeText) == "structfolio*"
            }.map(\.name))
            for call in file.calls(in: file.functions[k].body) {
                let givesPage = file.arguments(of: call).contains { pages.contains(file.normalizedText(of: $0).replacingOccurrences(of: " ", with: "")) }
                guard let name = file.calleeName(of: call) else {
                    if givesPage { return false }  // through a function pointer
                    continue
                }
                // The model's word first: its vocabulary is what the walk used, not the body.
                if context.analyzer.table[name] != nil { continue }
                if let d = program.definition(name, from: f) {
                    if depth < 3, seen.insert(d.file << 32 | d.function).inserted { queue.append((d, depth + 1)) }
                    continue
                }
                guard givesPage else { continue }
                if context.model.pageStateReaders.contains(where: { name.hasPrefix($0) }) { continue }
                return false
            }
        }
        return true
    }

    func calls(_ function: String, seenFrom path: String, anyOf names: Set<String>) -> Bool {
        guard let from = program.fileIndex(of: path), let def = program.definition(function, from: from) else { return false }
        return program.calledNames(file: def.file, function: def.function).contains(where: names.contains)
    }

    /// Why `aops` never leaves an unlocked page under writeback, or nil when it may (or we cannot tell).
    func closedWindow(of table: OpsVariable) -> Exclusion? {
        let aops = table.variable
        let slots = program.opsBindings(of: table.variable, seenFrom: table.file)
            .filter { $0.structType == nil || $0.structType == context.model.ops.writepage.structType }
        guard let first = slots.first else { return nil }
        if slots.contains(where: context.model.ops.writepages.matches) { return nil }
        guard let writepage = slots.first(where: context.model.ops.writepage.matches) else {
            return Exclusion(code: "no-writeback", reason: "\(aops) has no ->writepage or ->writepages: its pages are never written back",
                             evidence: [PathStep(file: first.file, line: first.line, note: "\(aops): no .writepage, no .writepages")])
        }
        guard let def = program.definitions[writepage.function]?.first(where: { program.files[$0.file].path == writepage.file })
                ?? program.definitions[writepage.function]?.first else { return nil }
        let summary = context.analyzer.summary(file: def.file, function: def.function)
        // Anything the walk had to assume could hide a writeback start.
        guard summary.assumptions.isEmpty, !summary.outcomes.isEmpty,
              !summary.outcomes.contains(where: { $0.writeback == .started }) else { return nil }
        guard let ended = summary.outcomes.first(where: { $0.writeback == .ended }) else {
            // It never sets PG_writeback — provided every function it hands the page to is one
            // whose effect we know (a body in the tree, a model entry, a flag accessor).
            guard everyPageCalleeIsKnown(from: def) else { return nil }
            return Exclusion(code: "no-writeback",
                             reason: "\(aops)'s ->writepage (\(writepage.function)) never sets PG_writeback: its pages are never under writeback",
                             evidence: [PathStep(file: writepage.file, line: writepage.line, note: "\(aops).writepage = \(writepage.function)"),
                                        PathStep(file: program.files[def.file].path, line: program.files[def.file].outlines[def.function].line,
                                                 note: "\(writepage.function)(): no path sets PG_writeback")])
        }
        let end = ended.path.last { $0.note.contains("writeback ended") || $0.note.contains("end_page_writeback") } ?? ended.path.last
        var evidence = [PathStep(file: writepage.file, line: writepage.line, note: "\(aops).writepage = \(writepage.function)")]
        evidence += ended.path.filter { $0.note.contains("under writeback") || $0.note.contains("writeback ended") }
        if evidence.count == 1, let end { evidence.append(end) }
        return Exclusion(code: "writeback-under-lock",
                         reason: "\(aops)'s ->writepage (\(writepage.function)) starts and ends writeback before it returns, under the page lock its caller holds: no page of this mapping is under writeback while unlocked",
                         evidence: evidence)
    }
}
