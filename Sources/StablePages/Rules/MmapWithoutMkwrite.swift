import CSyntax

/// `stable-pages/mmap-without-mkwrite`: a file `mmap` installs a `vm_operations_struct` with
/// `.fault` but no `.page_mkwrite`, so shared writable pages become writable with no hook at all.
public struct MmapWithoutMkwrite: TreeRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/mmap-without-mkwrite",
        title: "file mapping without page_mkwrite: pages become writable with no hook",
        rationale: """
            Without ->page_mkwrite the fault core maps a shared file page writable on the first \
            write fault without telling the filesystem and without waiting for writeback. Before \
            2011's fix generic_file_vm_ops was exactly that, for every filesystem using \
            generic_file_mmap(). Give the vm_operations_struct a .page_mkwrite that locks the page \
            and waits (filemap_page_mkwrite() in later kernels).
            """,
        severity: .error,
        confidence: .high,
        errs: "towards silence: a vm_operations_struct is reported only when an mmap method in the analysed files installs it",
        triggering: [
            RuleExample("fault only", """
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                };
                static int foo_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_mmap }; //~ finding
                """),
            RuleExample("every file_operations that hands the table out is a mapping of its own", """
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                };
                int foo_generic_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_generic_mmap }; //~ finding
                static const struct file_operations bar_fops = { .mmap = foo_generic_mmap }; //~ finding
                """),
            RuleExample("an mmap that refuses only private mappings keeps shared ones in scope", """
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                };
                static int foo_shared_only_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	if ((vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) == 0)
                		return -EINVAL;
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_shared_only_mmap }; //~ finding
                """),
        ],
        nonTriggering: [
            RuleExample("fault and page_mkwrite", """
                static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	lock_page(vmf->page);
                	wait_for_stable_page(vmf->page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                	.page_mkwrite	= foo_page_mkwrite,
                };
                static int foo_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_mmap };
                """),
            RuleExample("vm_ops replaced after the generic mmap", """
                static const struct vm_operations_struct foo_generic_vm_ops = {
                	.fault		= filemap_fault,
                };
                int foo_generic_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_generic_vm_ops;
                	return 0;
                }
                static int bar_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                {
                	lock_page(vmf->page);
                	wait_for_stable_page(vmf->page);
                	return VM_FAULT_LOCKED;
                }
                static const struct vm_operations_struct bar_vm_ops = {
                	.fault		= filemap_fault,
                	.page_mkwrite	= bar_page_mkwrite,
                };
                static int bar_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	int err = foo_generic_mmap(file, vma);

                	if (err)
                		return err;
                	vma->vm_ops = &bar_vm_ops;
                	return 0;
                }
                static const struct file_operations bar_fops = { .mmap = bar_mmap };
                """),
            RuleExample("an mmap that refuses shared writable mappings", """
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                };
                static int foo_readonly_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE))
                		return -EINVAL;
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_readonly_mmap };
                """),
            RuleExample("a mapping whose address space writes nothing back", """
                static const struct vm_operations_struct foo_vm_ops = {
                	.fault		= filemap_fault,
                };
                static int foo_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_mmap };
                static const struct address_space_operations foo_aops = {
                	.readpage	= foo_readpage,
                	.write_begin	= foo_write_begin,
                };
                static void foo_set_inode_ops(struct inode *inode)
                {
                	inode->i_fop = &foo_fops;
                	inode->i_mapping->a_ops = &foo_aops;
                }
                """),
            RuleExample("installed by no file mmap", """
                static const struct vm_operations_struct foo_special_ops = {
                	.fault		= foo_special_fault,
                };
                """),
        ]
    )

    /// A mapping whose table has `.fault` and no `.page_mkwrite`: what the rule weighs.
    struct Candidate: Sendable {
        var mmap: OpsBinding
        var install: OpsInstall
        var definition: OpsBinding
        var fault: OpsBinding
        /// The model's word that the mapping is out of scope, when it has one.
        var modelReason: String?
    }

    /// One finding per `file_operations.mmap` that hands out such a table, so a filesystem that
    /// adds its own `page_mkwrite` resolves its own finding and nobody else's; `cause` names the
    /// table, so a report can group the mappings one fix would close.
    public func check(_ context: RuleContext) -> [Finding] {
        let program = context.program
        var findings: [Finding] = []
        var seen = Set<String>()
        let model = context.model
        var candidates: [Candidate] = []
        for mmap in program.bindings where model.binds(mmap, .mmap) && mmap.kind != .assignment {
            guard seen.insert("\(mmap.file)|\(mmap.variable)").inserted, !context.suppressed(rule: description.id, function: mmap.variable) else { continue }
            var tables = Set<String>()
            for install in effectiveInstalls(of: mmap.function, seenFrom: mmap.file, in: program, vmOps: model.ops.vmOpsMember)
                where tables.insert("\(install.file)|\(install.variable)").inserted {
                let slots = program.opsBindings(of: install.variable, seenFrom: install.file)
                    .filter { $0.structType == nil || $0.structType == model.ops.fault.structType }
                guard let fault = slots.first(where: model.ops.fault.matches),
                      !slots.contains(where: { model.binds($0, .pageMkwrite) }) else { continue }
                let reason = model.notApplicableReason(function: install.variable, path: slots[0].file, version: program.version)
                    ?? model.notApplicableReason(function: mmap.variable, path: mmap.file, version: program.version)
                candidates.append(Candidate(mmap: mmap, install: install, definition: slots[0], fault: fault, modelReason: reason))
            }
        }
        // What the code says of each, on all cores: it reads mmap methods and fault handlers.
        let exclusions = context.onAllCores(candidates) { local, candidate in
            candidate.modelReason == nil ? exclusion(of: candidate, in: local) : nil
        }
        for (candidate, derived) in zip(candidates, exclusions) {
            let (mmap, install, definition, fault) = (candidate.mmap, candidate.install, candidate.definition, candidate.fault)
            let exclusion: NotApplicableEntry?
            if let reason = candidate.modelReason {
                exclusion = NotApplicableEntry(function: mmap.variable, file: mmap.file, line: mmap.line, slot: "mmap", reason: reason)
            } else if let derived {
                exclusion = NotApplicableEntry(function: mmap.variable, file: mmap.file, line: mmap.line, slot: "mmap",
                                               reason: derived.reason, code: derived.code, evidence: derived.evidence)
            } else {
                exclusion = nil
            }
            if let exclusion {
                context.explanations.add(exclusion)
                continue
            }
            let definitionLine = Self.definitionLine(of: install.variable, before: definition, in: program)
            findings.append(Finding(
                rule: description.id, severity: description.severity, confidence: description.confidence,
                function: mmap.variable, file: mmap.file, line: mmap.line, slot: "mmap",
                message: "shared writable mappings of \(mmap.variable) (.mmap = \(mmap.function)) get \(install.variable), which has .fault but no .page_mkwrite: pages become writable without waiting for writeback",
                path: [
                    PathStep(file: definition.file, line: definitionLine,
                             note: "\(install.variable): .fault = \(fault.function), no .page_mkwrite"),
                    PathStep(file: install.file, line: install.line, note: "\(install.function)() installs &\(install.variable)"),
                    PathStep(file: mmap.file, line: mmap.line, note: "\(mmap.variable).mmap = \(mmap.function)"),
                ],
                bindings: [context.describe(mmap)], summariesUsed: [], assumptions: [], cause: install.variable))
        }
        return findings
    }

    /// Why the code says `candidate`'s shared writable pages cannot be under writeback, or nil:
    /// the mmap refuses them, the fault handler hands out no page-cache page, or the inodes'
    /// mapping never leaves an unlocked page under writeback.
    func exclusion(of candidate: Candidate, in context: RuleContext) -> WritebackWindows.Exclusion? {
        let (mmap, install) = (candidate.mmap, candidate.install)
        if let refusal = refusesSharedWritable(mmap.function, seenFrom: mmap.file, in: context.program) {
            return WritebackWindows.Exclusion(code: "no-shared-writable", reason: "\(mmap.function)() refuses shared writable mappings",
                                              evidence: [refusal])
        }
        return FaultPageSources(context: context).exclusion(of: install.variable, seenFrom: install.file)
            ?? WritebackWindows(context: context).closedMapping(fileOperations: mmap.variable)
    }

    /// The `vm_ops` an mmap method leaves in the vma: its own `vma->vm_ops = &…` when it has
    /// one (it overrides what `generic_file_mmap()` installed before it), else those of the
    /// functions it calls, two calls deep.
    func effectiveInstalls(of function: String, seenFrom path: String, in program: Program, vmOps member: String) -> [OpsInstall] {
        // Functions by definition as seen from the binding's file: a static `afu_mmap` in one
        // driver is not another driver's `afu_mmap`.
        guard let from = program.fileIndex(of: path), let root = program.definition(function, from: from) else { return [] }
        func installs(of def: (file: Int, function: Int)) -> [OpsInstall] {
            let f = program.files[def.file]
            let name = f.outlines[def.function].name
            return f.opsInstalls.filter { $0.function == name && $0.slot == member }
        }
        let own = installs(of: root)
        if !own.isEmpty { return own }
        var frontier = [root]
        var visited: Set<Int> = [root.file << 32 | root.function]
        for _ in 0..<2 {
            var next: [(file: Int, function: Int)] = []
            for def in frontier {
                for callee in program.calledNames(file: def.file, function: def.function) {
                    guard let d = program.definition(callee, from: def.file),
                          visited.insert(d.file << 32 | d.function).inserted else { continue }
                    let found = installs(of: d)
                    if !found.isEmpty { return found }
                    next.append(d)
                }
            }
            frontier = next
        }
        return []
    }

    /// `if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE)) return -EINVAL;`: the
    /// mmap method returns an error for shared mappings, so no shared writable page exists.
    func refusesSharedWritable(_ function: String, seenFrom path: String, in program: Program) -> PathStep? {
        guard let from = program.fileIndex(of: path), let def = program.definition(function, from: from)
        else { return nil }
        let file = program.files[def.file]
        let tree = file.tree
        var found: PathStep?
        tree.walk(file.functions[def.function].body) { node in
            guard found == nil, tree.kind(node) == .ifStatement, let condition = tree.child(node, 0),
                  let then = tree.child(node, 1) else { return }
            let text = file.normalizedText(of: condition)
            // `(vm_flags & VM_SHARED) == 0` or `!(… & VM_SHARED)` refuses *private* mappings.
            let compact = text.replacingOccurrences(of: " ", with: "")
            guard compact.contains("VM_SHARED") || compact.contains("VM_MAYSHARE"), !compact.contains("!"),
                  !compact.contains("==0") else { return }
            var returned: NodeID? = then
            if tree.kind(then) == .compound { returned = tree.children(then).last }
            guard let r = returned, tree.kind(r) == .returnStatement, let value = tree.child(r, 0) else { return }
            if tree.kind(value) == .unary && tree[value].op == .minus {
                found = PathStep(file: file.path, line: file.line(of: node), note: "if (\(file.displayText(of: condition))) \(file.displayText(of: r))")
            }
        }
        return found
    }

    /// The line naming `variable` in its definition (the binding itself sits on a `.slot` line).
    static func definitionLine(of variable: String, before binding: OpsBinding, in program: Program) -> Int {
        guard let index = program.fileIndex(of: binding.file) else { return binding.line }
        let file = program.files[index]
        var best = binding.line
        for (i, token) in file.tokens.enumerated() where Int(token.line) <= binding.line && token.kind == .identifier {
            if file.text(ofToken: Int32(i)) == variable { best = Int(token.line) }
        }
        return best
    }
}
