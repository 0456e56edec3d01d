import CSyntax

/// `stable-pages/mmap-without-mkwrite`: a file `mmap` installs a `vm_operations_struct` with
/// `.fault` but no `.page_mkwrite`, so shared writable pages become writable with no hook at all.
public struct MmapWithoutMkwrite: StablePageRule {
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
                static const struct vm_operations_struct foo_vm_ops = { //~ finding
                	.fault		= filemap_fault,
                };
                static int foo_mmap(struct file *file, struct vm_area_struct *vma)
                {
                	vma->vm_ops = &foo_vm_ops;
                	return 0;
                }
                static const struct file_operations foo_fops = { .mmap = foo_mmap };
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
            RuleExample("installed by no file mmap", """
                static const struct vm_operations_struct foo_special_ops = {
                	.fault		= foo_special_fault,
                };
                """),
        ]
    )

    public func check(_ context: RuleContext) -> [Finding] {
        let bindings = context.program.bindings
        var slotsByVariable: [String: [OpsBinding]] = [:]
        var order: [String] = []
        for b in bindings where b.kind != .assignment && (b.structType == nil || b.structType == "vm_operations_struct") {
            if slotsByVariable[b.variable] == nil { order.append(b.variable) }
            slotsByVariable[b.variable, default: []].append(b)
        }
        let mmapBindings = bindings.filter { $0.slot == "mmap" && ($0.structType == nil || $0.structType == "file_operations") }
        let mmapFunctions = Set(mmapBindings.map(\.function))
        var findings: [Finding] = []
        for variable in order {
            let slots = slotsByVariable[variable]!
            guard slots.contains(where: { $0.slot == "fault" }), !slots.contains(where: { $0.slot == "page_mkwrite" }),
                  !context.suppressed(rule: description.id, function: variable) else { continue }
            let definition = slots[0]
            let definitionLine = Self.definitionLine(of: variable, before: definition, in: context.program)
            if let reason = context.model.notApplicableReason(function: variable, path: definition.file) {
                context.explanations.add(NotApplicableEntry(function: variable, file: definition.file, line: definition.line,
                                                            slot: "mmap", reason: reason))
                continue
            }
            let installs = context.program.installs.filter { $0.variable == variable && $0.slot == "vm_ops" }
            var path: [PathStep] = [PathStep(file: definition.file, line: definitionLine,
                                             note: "\(variable): .fault = \(slots.first { $0.slot == "fault" }!.function), no .page_mkwrite")]
            var users: [String] = []
            for install in installs {
                let direct = mmapBindings.filter { $0.function == install.function }
                let indirect = mmapBindings.filter { m in
                    guard let def = context.program.definitions[m.function]?.first else { return false }
                    let file = context.program.files[def.file]
                    return file.calls(in: file.functions[def.function].body).contains { file.calleeName(of: $0) == install.function }
                }
                guard mmapFunctions.contains(install.function) || !indirect.isEmpty else { continue }
                path.append(PathStep(file: install.file, line: install.line, note: "\(install.function)() installs &\(variable)"))
                for m in direct + indirect {
                    path.append(PathStep(file: m.file, line: m.line, note: "\(m.variable).mmap = \(m.function)"))
                    users.append(m.variable)
                }
            }
            guard !users.isEmpty else { continue }
            findings.append(Finding(
                rule: description.id, severity: description.severity, confidence: description.confidence,
                function: variable, file: definition.file, line: definitionLine, slot: "mmap",
                message: "\(variable) has .fault but no .page_mkwrite: shared writable mappings of \(users.sorted().joined(separator: ", ")) become writable without waiting for writeback",
                path: path, bindings: users.sorted(), summariesUsed: [], assumptions: []))
        }
        return findings
    }

    /// The line naming `variable` in its definition (the binding itself sits on a `.slot` line).
    static func definitionLine(of variable: String, before binding: OpsBinding, in program: Program) -> Int {
        guard let file = program.files.first(where: { $0.path == binding.file }) else { return binding.line }
        var best = binding.line
        for (i, token) in file.tokens.enumerated() where Int(token.line) <= binding.line && token.kind == .identifier {
            if file.text(ofToken: Int32(i)) == variable { best = Int(token.line) }
        }
        return best
    }
}
