import Foundation
import Testing
@testable import StablePages

/// A finding's path is for a reviewer to read: it names the calls that matter to the page and
/// leaves out helpers that cannot (`folio_index()`-like getters of numbers).
struct PathStepTests {
    @Test func quietHelpersAreLeftOutAndPageHelpersStay() throws {
        let code = """
            static const struct vm_operations_struct demo_vm_ops = {
            \t.fault = filemap_fault,
            \t.page_mkwrite = demo_page_mkwrite,
            };

            static unsigned long demo_index(struct page *page)
            {
            \treturn page->index;
            }

            static void demo_relock(struct page *page)
            {
            \tlock_page(page);
            }

            vm_fault_t demo_page_mkwrite(struct vm_fault *vmf)
            {
            \tstruct page *page = vmf->page;
            \tunsigned long index = demo_index(page);

            \tdemo_relock(page);
            \tif (index > 10)
            \t\treturn VM_FAULT_NOPAGE;
            \treturn VM_FAULT_LOCKED;
            }
            """
        let tree = MemoryTree(name: "demo", files: ["fs/demo/file.c": Array(code.utf8)])
        let finding = try #require(StablePageEngine().analyze(tree).findings.first { $0.function == "demo_page_mkwrite" })
        let notes = finding.path.map(\.note)
        #expect(!notes.contains { $0.hasPrefix("demo_index()") })
        #expect(notes.contains { $0.hasPrefix("demo_relock(): page locked, not waited for") })
        #expect(notes.contains("!(index > 10)"))
        #expect(notes.contains("return VM_FAULT_LOCKED (page handed back locked)"))
    }
}

/// Issue 16: an outcome's equality is derived, so a field added later takes part in it; only
/// the path is left out (the same exit reached two ways is one exit).
struct OutcomeEqualityTests {
    static func outcome(path: [PathStep] = [], writeback: WritebackChange = .unchanged, replaced: Bool = false) -> Outcome {
        Outcome(returnClass: .faultLocked, returnsPage: false, lock: .locked, waitedInherited: false, waitedUnderLock: true,
                waitedUnlocked: false, relockedAfterWait: false, writeback: writeback, handedBack: false, replaced: replaced,
                path: path)
    }

    @Test func thePathIsNotPartOfEquality() {
        let a = Self.outcome(path: [PathStep(file: "a.c", line: 1, note: "one way")])
        let b = Self.outcome(path: [PathStep(file: "a.c", line: 9, note: "another way")])
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test func everyOtherFieldIs() {
        #expect(Self.outcome() != Self.outcome(writeback: .started))
        #expect(Self.outcome() != Self.outcome(replaced: true))
    }

    @Test func itIsEncodedWithItsPath() throws {
        let a = Self.outcome(path: [PathStep(file: "a.c", line: 3, note: "here")])
        let decoded = try JSONDecoder().decode(Outcome.self, from: JSONEncoder().encode(a))
        #expect(decoded.path == a.path)
        #expect(String(decoding: try JSONEncoder().encode(a), as: UTF8.self).contains("\"path\":[{"))
    }
}
