import Foundation
import Series

/// `stable-pages/wait-removed`: a patch removes a writeback wait and adds none back in the same
/// file — a regression visible in the diff itself, reported even without a kernel tree.
public struct WaitRemoved: DiffRule {
    public init() {}

    public let description = RuleDescription(
        id: "stable-pages/wait-removed",
        title: "a patch removes a writeback wait",
        rationale: """
            Removing wait_on_page_writeback()/wait_for_stable_page()/folio_wait_stable() from a path \
            that hands pages to writers reopens the window this whole area is about. Sometimes the \
            wait moves into a callee (then the tree analysis shows the path still waits); when it does \
            not, the patch needs a reason in its commit message.
            """,
        severity: .warning,
        confidence: .medium,
        errs: "towards noise: it reads the diff only; the tree rules say whether a path really lost its wait",
        triggering: [
            RuleExample("removed", """
                --- a/fs/foo.c
                +++ b/fs/foo.c
                @@ -10,5 +10,4 @@ static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                 	lock_page(page);
                -	wait_on_page_writeback(page); //~ finding
                 	return VM_FAULT_LOCKED;
                 }
                """),
        ],
        nonTriggering: [
            RuleExample("moved to the folio API", """
                --- a/fs/foo.c
                +++ b/fs/foo.c
                @@ -10,5 +10,5 @@ static int foo_page_mkwrite(struct vm_area_struct *vma, struct vm_fault *vmf)
                 	lock_page(page);
                -	wait_on_page_writeback(page);
                +	folio_wait_stable(page_folio(page));
                 	return VM_FAULT_LOCKED;
                 }
                """),
        ]
    )

    public func check(patches: [Patch], model: StablePageModel, version: KernelVersion?) -> [Finding] {
        let waits = Set(model.entries.filter {
            switch $0.effect {
            case .waitsForWriteback, .waitsForStableWrites: return true
            default: return false
            }
        }.map(\.function))
        func callsWait(_ text: Substring) -> String? {
            waits.first { text.contains($0 + "(") }
        }
        var findings: [Finding] = []
        for patch in patches {
            for file in patch.files {
                let added = file.hunks.flatMap { $0.lines.filter { $0.kind == .added } }.contains { callsWait($0.text) != nil }
                if added { continue }
                for hunk in file.hunks {
                    var newLine = hunk.newStart
                    for line in hunk.lines {
                        switch line.kind {
                        case .context, .added: newLine += 1
                        case .noNewlineMarker: break
                        case .removed:
                            guard let wait = callsWait(line.text) else { continue }
                            let function = Self.functionName(inHunkHeader: hunk.header) ?? Finding.unknownFunction
                            findings.append(Finding(
                                rule: description.id, severity: description.severity, confidence: description.confidence,
                                function: function, file: file.path, line: newLine, slot: "",
                                message: "patch \(patch.number)/\(patch.total) removes \(wait)() from \(function)() and adds no wait in \(file.path)",
                                path: [PathStep(file: file.path, line: newLine, note: "-\(line.text.trimmingCharacters(in: .whitespaces))")],
                                bindings: [], summariesUsed: [], inputLine: line.mailLine, assumptions: [],
                                presentIn: [], introducedBy: patch.number, resolvedBy: nil))
                        }
                    }
                }
            }
        }
        return findings
    }

    /// `static int foo(struct x *a,` → `foo`.
    static func functionName(inHunkHeader header: String) -> String? {
        guard let paren = header.firstIndex(of: "(") else { return nil }
        let before = header[..<paren]
        let name = before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : String(name.reversed())
    }
}
