import ArgumentParser
import Foundation
import Series
import Apply
import Git

/// The options that choose a kernel tree and how to apply a series to it, shared by `apply`
/// and `review`.
struct ApplyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kernel git repository to apply the series to (default: the one enclosing the current directory).",
                               valueName: "dir"))
    var tree: String?

    @Option(help: ArgumentHelp("Apply on this commit (any revision) instead of the series' base-commit or a guessed base.",
                               valueName: "rev"))
    var base: String?

    @Option(name: .customLong("base-search-depth"),
            help: ArgumentHelp("How many first-parent commits from HEAD the base guess may examine.", valueName: "n"))
    var baseSearchDepth: Int = ApplyConfiguration.defaultBaseSearchDepth

    @Option(name: .customLong("apply-to-branch"),
            help: ArgumentHelp("Also write the series as commits on this new branch (never an existing or checked-out one).",
                               valueName: "name"))
    var applyToBranch: String?

    func validate() throws {
        if baseSearchDepth < 1 { throw ValidationError("--base-search-depth must be at least 1") }
    }

    var configuration: ApplyConfiguration {
        ApplyConfiguration(base: base, baseSearchDepth: baseSearchDepth, applyToBranch: applyToBranch)
    }
}

/// When `--tree` is not given, which enclosing repository the apply stage uses.
enum EnclosingRepositoryUse {
    /// `apply`: the user asked for it, so the repository around the current directory, whatever
    /// the series touches (a series that only adds files, too).
    case always
    /// `review`: only when HEAD has one of the files the series changes, so reviewing a kernel
    /// series from inside some other project's checkout stays a mail-only review.
    case ifItHasTheSeriesFiles
}

/// The apply stage as the CLI runs it: the tree named with `--tree`, or the git repository
/// enclosing the current directory; nil when there is none (the review goes on mail-only).
/// Exits 3 when `--tree` is not a git repository; throws `ValidationError` (exit 64) when the
/// named base or branch cannot be used.
func runApplyStage(series: PatchSeries, options: ApplyOptions,
                   enclosing use: EnclosingRepositoryUse = .ifItHasTheSeriesFiles) throws -> ApplyResult? {
    try runApplyStageKeepingTrees(series: series, options: options, enclosing: use)?.result
}

/// The apply stage, keeping the in-memory repository so the trees can be read afterwards.
func runApplyStageKeepingTrees(series: PatchSeries, options: ApplyOptions,
                               enclosing use: EnclosingRepositoryUse = .ifItHasTheSeriesFiles) throws
    -> (result: ApplyResult, repository: Repository)? {
    let path: String
    if let tree = options.tree {
        // Not a repository at all is unusable input (exit 3), said plainly, git-style.
        guard SeriesApplier.enclosingRepository(of: tree) != nil else {
            let exists = FileManager.default.fileExists(atPath: tree)
            Terminal.printError("\(tree): error: \(exists ? "not a git repository" : "no such file or directory") (--tree names the kernel's git repository)")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        path = tree
    } else {
        guard let enclosing = SeriesApplier.enclosingRepository(of: "."),
              use == .always || repositoryHasFiles(of: series, at: enclosing) else {
            return nil
        }
        path = enclosing
    }
    do {
        return try SeriesApplier.applyKeepingTrees(series, repositoryPath: path, configuration: options.configuration)
    } catch let error as ApplyError {
        throw ValidationError(error.message)
    }
}

/// Whether HEAD of the repository at `path` has any file the series modifies or deletes.
func repositoryHasFiles(of series: PatchSeries, at path: String) -> Bool {
    guard let repository = try? Repository(path: path), let head = try? repository.headCommit(),
          let tree = try? repository.tree(repository.commit(head).treeID) else { return false }
    for patch in series.patches {
        for file in patch.files where !file.isNew {
            if let old = file.oldPath, (try? tree.entry(path: old)) ?? nil != nil { return true }
        }
    }
    return false
}
