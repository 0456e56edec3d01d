import CSyntax
import Dispatch
import Foundation
import Series

/// A C example for a rule: lines ending in `//~ finding` mark where the rule must report (the
/// line of the function or variable it names); an example without markers must stay silent.
public struct RuleExample: Sendable {
    public var name: String
    public var code: String

    public init(_ name: String, _ code: String) {
        self.name = name
        self.code = code
    }

    public var expectedLines: [Int] {
        code.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { $0.element.contains("//~ finding") }.map { $0.offset + 1 }
    }
}

/// What a rule is, for people: the same text feeds `spw-review explain`, `spw-review rules`,
/// docs/rules.md and the example tests.
public struct RuleDescription: Sendable {
    public var id: String
    public var title: String
    public var rationale: String
    public var severity: FindingSeverity
    public var confidence: Confidence
    /// Which way the rule errs, in the words of smatch's checks.
    public var errs: String
    public var triggering: [RuleExample]
    public var nonTriggering: [RuleExample]
}

/// An entry point the model says is out of scope, and why: reported, not silently skipped.
public struct NotApplicableEntry: Sendable, Hashable, Codable {
    public var function: String
    public var file: String
    public var line: Int
    public var slot: String
    public var reason: String
    /// Why, as a stable word: `model` (a table or configuration entry), `no-writeback` (the
    /// mapping's address_space_operations write nothing back), `writeback-under-lock` (its
    /// ->writepage starts and ends writeback before it returns, under the page lock).
    public var code: String = "model"
    /// The lines of code the exclusion rests on.
    public var evidence: [PathStep] = []
}

/// Collects the not-applicable entry points the rules meet (rules share one per tree).
public final class ExplanationLog: @unchecked Sendable {
    private(set) var entries: [NotApplicableEntry] = []
    func add(_ e: NotApplicableEntry) { if !entries.contains(e) { entries.append(e) } }
}

/// Derived exclusions by entry point, shared by the rules of one tree.
final class ExclusionMemo: @unchecked Sendable {
    var values: [String: WritebackWindows.Exclusion?] = [:]
    /// One derived answer (nil: in scope), as a worker hands it over.
    struct Value { var exclusion: WritebackWindows.Exclusion? }
}

/// What a rule sees: one tree's program, its analysis, the model, and the entry points.
public struct RuleContext {
    public let program: Program
    public let analyzer: PathAnalyzer
    public let model: StablePageModel
    let explanations = ExplanationLog()
    let exclusions = ExclusionMemo()

    /// Functions bound to `slot` (any struct type the model lists for it), grouped by function.
    func entryPoints(slot: String) -> [(function: String, bindings: [OpsBinding])] {
        var order: [String] = []
        var byFunction: [String: [OpsBinding]] = [:]
        for b in program.bindings where b.slot == slot {
            if let type = b.structType, model.entryPoint(structType: type, slot: slot) == nil { continue }
            if byFunction[b.function] == nil { order.append(b.function) }
            byFunction[b.function, default: []].append(b)
        }
        return order.map { ($0, byFunction[$0]!) }
    }

    func describe(_ b: OpsBinding) -> String {
        "\(b.structType.map { "struct \($0) " } ?? "")\(b.variable).\(b.slot) at \(b.file):\(b.line)"
    }

    /// The entry-point function's summary, unless it is suppressed, not applicable, or has no
    /// body in the analysed files.
    func summaryOfEntryPoint(_ function: String, bindings: [OpsBinding], rule: String) -> (file: ParsedFile, summary: FunctionSummary)? {
        guard !suppressed(rule: rule, function: function), let def = definition(of: function, boundIn: bindings) else { return nil }
        let file = program.files[def.file]
        if let reason = model.notApplicableReason(function: function, path: file.path, version: program.version) {
            explanations.add(NotApplicableEntry(function: function, file: file.path, line: file.outlines[def.function].line,
                                                slot: bindings[0].slot, reason: reason))
            return nil
        }
        // Derived once per entry point for all the rules that ask.
        let memoKey = Self.exclusionKey(bindings)
        let derived: WritebackWindows.Exclusion?
        if let known = exclusions.values[memoKey] {
            derived = known
        } else {
            derived = derivedExclusion(bindings)
            exclusions.values[memoKey] = .some(derived)
        }
        if let exclusion = derived {
            explanations.add(NotApplicableEntry(function: function, file: file.path, line: file.outlines[def.function].line,
                                                slot: bindings[0].slot, reason: exclusion.reason, code: exclusion.code,
                                                evidence: exclusion.evidence))
            return nil
        }
        return (file, analyzer.summary(file: def.file, function: def.function))
    }

    /// The body of an entry point: the one in the file that binds it, else the first.
    func definition(of function: String, boundIn bindings: [OpsBinding]) -> (file: Int, function: Int)? {
        program.definitions[function]?.first(where: { program.files[$0.file].path == bindings[0].file })
            ?? program.definitions[function]?.first
    }

    static func exclusionKey(_ bindings: [OpsBinding]) -> String {
        bindings.map { "\($0.file)|\($0.variable)|\($0.slot)" }.joined(separator: ";")
    }

    /// Why the code says the entry point bound by `bindings` is out of scope (see
    /// `FaultPageSources`, `WritebackWindows`), or nil.
    func derivedExclusion(_ bindings: [OpsBinding]) -> WritebackWindows.Exclusion? {
        let pageSource = bindings.first.flatMap { model.entryPoint(structType: $0.structType, slot: $0.slot)?.kind } == .pageMkwrite
            ? FaultPageSources(context: self).exclusion(vmOps: bindings) : nil
        return pageSource ?? WritebackWindows(context: self).exclusion(of: bindings)
    }

    /// Derives every entry point's exclusion on all cores before the rules ask one by one: the
    /// derivation reads fault handlers, mmap methods and ->writepage bodies, and a file kept as
    /// an outline is parsed when first read. What each derives depends on the program only.
    func precomputeExclusions() {
        var work: [[OpsBinding]] = []
        var seen = Set<String>()
        for slot in model.entryPoints.map(\.slot) {
            for (function, bindings) in entryPoints(slot: slot) {
                let key = Self.exclusionKey(bindings)
                guard exclusions.values[key] == nil, seen.insert(key).inserted, let def = definition(of: function, boundIn: bindings),
                      model.notApplicableReason(function: function, path: program.files[def.file].path, version: program.version) == nil
                else { continue }
                work.append(bindings)
            }
        }
        let derived = onAllCores(work) { context, bindings in context.derivedExclusion(bindings) }
        for (bindings, exclusion) in zip(work, derived) { exclusions.values[Self.exclusionKey(bindings)] = .some(exclusion) }
    }

    /// `derive` of each of `items`, on all cores, in the items' order. Each worker has a context
    /// of its own (one analyzer serves one thread); the kept summaries are shared.
    func onAllCores<Item: Sendable>(_ items: [Item], _ derive: @escaping @Sendable (RuleContext, Item) -> WritebackWindows.Exclusion?)
        -> [WritebackWindows.Exclusion?] {
        let workers = min(items.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else { return items.map { derive(self, $0) } }
        let derived = ConcurrentSlots<ExclusionMemo.Value>(count: items.count)
        let shared = program, sharedModel = model, store = analyzer.store
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let local = RuleContext(program: shared, analyzer: PathAnalyzer(program: shared, model: sharedModel, store: store), model: sharedModel)
            for i in stride(from: w, to: items.count, by: workers) { derived.set(i, .init(exclusion: derive(local, items[i]))) }
        }
        return derived.values.map { $0?.exclusion }
    }

    /// An entry point in scope with its summary, as the path rules visit them.
    struct SummarisedEntryPoint {
        var function: String
        var slot: String
        var kind: EntryPointSlot.Kind
        var bindings: [OpsBinding]
        var file: ParsedFile
        var summary: FunctionSummary
    }

    /// Every entry point of `kinds` (by the model's slot table) that is in scope for `rule`,
    /// with its summary: the one loop the path rules share.
    func summarisedEntryPoints(_ kinds: [EntryPointSlot.Kind], rule: RuleDescription) -> [SummarisedEntryPoint] {
        var out: [SummarisedEntryPoint] = []
        for kind in kinds {
            for slot in model.entryPoints.filter({ $0.kind == kind }).map(\.slot) {
                for (function, bindings) in entryPoints(slot: slot) {
                    guard let (file, summary) = summaryOfEntryPoint(function, bindings: bindings, rule: rule.id) else { continue }
                    out.append(SummarisedEntryPoint(function: function, slot: slot, kind: kind, bindings: bindings, file: file,
                                                    summary: summary))
                }
            }
        }
        return out
    }

    /// A path rule's finding on `entry`: `paths` are the open ones, the first is shown.
    func finding(_ rule: RuleDescription, on entry: SummarisedEntryPoint, message: String, paths: [[PathStep]],
                 confidence: Confidence? = nil) -> Finding {
        Finding(rule: rule.id, severity: rule.severity, confidence: confidence ?? entry.summary.confidence(rule.confidence),
                function: entry.function, file: entry.file.path, line: entry.summary.line, slot: entry.slot,
                message: message, path: paths.first ?? [], bindings: entry.bindings.map(describe),
                summariesUsed: entry.summary.usedSummaries, assumptions: entry.summary.assumptions, openPaths: paths)
    }

    func suppressed(rule: String, function: String) -> Bool {
        model.suppressions.contains { $0.rule == rule && $0.function == function }
    }
}

/// What every rule has: its description (`spw-review rules`, `explain`, docs/rules.md, SARIF).
/// A rule also says what it reads, by conforming to `TreeRule` or `DiffRule`.
public protocol StablePageRule: Sendable {
    var description: RuleDescription { get }
}

/// A rule that reads one tree's program (T0..Tn each), through the summaries and the model.
public protocol TreeRule: StablePageRule {
    func check(_ context: RuleContext) -> [Finding]
}

/// A rule that reads the series' diffs, not a tree: it runs with or without a kernel checkout,
/// and its findings are introduced by the patch they read (`version`: the tree's release, when
/// there is one).
public protocol DiffRule: StablePageRule {
    func check(patches: [Patch], model: StablePageModel, version: KernelVersion?) -> [Finding]
}

/// A rule as the engine runs it: by what it reads.
public enum RegisteredRule: Sendable {
    case tree(any TreeRule)
    case diff(any DiffRule)

    public var description: RuleDescription {
        switch self {
        case .tree(let rule): rule.description
        case .diff(let rule): rule.description
        }
    }
}

/// Every rule, in the order `spw-review rules` lists them.
public enum RuleRegistry {
    public static let all: [RegisteredRule] = [
        .tree(MkwriteWithoutWait()), .tree(WriteBeginWithoutWait()), .tree(MmapWithoutMkwrite()), .tree(WaitBeforeLock()),
        .diff(WaitRemoved()), .diff(ModelEntryEdited()), .tree(AnalysisIncomplete()),
    ]

    public static func rule(id: String) -> RegisteredRule? {
        all.first { $0.description.id == id || $0.description.id.hasSuffix("/" + id) }
    }
}

extension Outcome {
    /// A `page_mkwrite` exit that hands the page back writable.
    var isWritableFaultExit: Bool { returnClass == .faultLocked || returnClass == .zero }
    /// A `write_begin` exit that hands a page back for the copy (not an error return).
    var isWritableWriteBeginExit: Bool { handedBack && returnClass != .nonzero && returnClass != .noWrite }
}

extension FunctionSummary {
    /// The confidence a finding built on this summary deserves.
    func confidence(_ base: Confidence) -> Confidence { assumptions.isEmpty ? base : min(base, .medium) }
}
