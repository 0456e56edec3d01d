import Mail

/// Everything found in the input: the series (several versions, resends, unthreaded patches
/// each become one entry), and diagnostics that belong to no patch.
public struct SeriesCollection: Sendable {
    public var series: [PatchSeries]
    public var diagnostics: [Diagnostic]
    /// Messages read, of each kind, for summaries.
    public var messageCount: Int

    /// The series to review: `version` if given, else the newest complete one (the newest of
    /// all when none is complete). Ties go to the one read last.
    public func pick(version: String? = nil) -> PatchSeries? {
        if let version {
            return series.last { $0.version == version }
        }
        let ordered = series.enumerated().sorted { a, b in
            if a.element.isComplete != b.element.isComplete { return !a.element.isComplete }
            let c = SeriesBuilder.compareVersions(a.element.version, b.element.version)
            if c != 0 { return c < 0 }
            return a.offset < b.offset
        }
        return ordered.last?.element
    }
}

/// Turns mails and pasted text into series: classifies each mail (patch, cover letter, reply),
/// threads them by Message-ID / In-Reply-To / References, groups patches by thread and version,
/// and attaches replies and their trailers.
public struct SeriesBuilder {
    private enum Role { case patch, cover, reply, other }

    private struct Entry {
        var role: Role
        var message: MailMessage?
        var patch: Patch?
        var cover: CoverLetter?
        var reply: Reply?
        var subjectInfo: SubjectInfo
        var messageID: String?
        var parents: [String]  // In-Reply-To first, then References from the nearest
    }

    private var entries: [Entry] = []
    private var pasted: [PatchSeries] = []
    private var quilt: [Patch] = []
    private var diagnostics: [Diagnostic] = []
    private var messageCount = 0

    public init() {}

    public mutating func add(_ item: InputItem) {
        switch item {
        case .message(let message):
            messageCount += 1
            add(message)
        case .text(let text):
            diagnostics.append(contentsOf: text.diagnostics)
            guard !text.text.isEmpty else { return }
            switch text.origin {
            case .quiltPatch(let strip):
                addQuiltPatch(text, strip: strip)
            case .headerless:
                let (series, d) = PastedThread(source: text.source).split(text.text)
                diagnostics.append(contentsOf: d)
                if let series { pasted.append(series) }
            }
        }
    }

    private mutating func addQuiltPatch(_ text: PlainText, strip: Int) {
        let lines = TextLines.split(text.text) { $0 + 1 }
        var parser = DiffParser(source: text.source, patchNumber: quilt.count + 1, stripLevel: strip)
        let body = PatchBody.parse(lines, range: 0..<lines.count, parser: &parser)
        var message = body.message.map { String($0.text) }
        while message.first?.isBlank == true { message.removeFirst() }
        let title = message.first.map { $0.trimmingWhitespace() } ?? ""
        if !message.isEmpty { message.removeFirst() }
        let info = SubjectInfo(title: title, isReply: false, isPatch: true, isRFC: false, isResend: false, version: "1",
                               versionGiven: false, number: quilt.count + 1, total: nil, tags: [])
        quilt.append(Patch(
            number: quilt.count + 1, total: 0, subject: title, subjectInfo: info,
            author: body.inBodyFrom ?? body.trailers.first(where: { $0.key == "Signed-off-by" })?.person,
            date: body.inBodyDate, messageID: nil, inReplyTo: nil,
            message: message.joined(separator: "\n").trimmingWhitespace(), trailers: body.trailers, collectedTrailers: [],
            notes: "", diffstat: body.diffstat, files: body.files, footer: body.footer,
            source: SourceLocation(file: text.source, line: 1), diagnostics: parser.diagnostics))
    }

    public mutating func add(_ message: MailMessage) {
        let mail = PatchMail.read(message)
        let info = mail.subjectInfo
        let body = mail.body
        let lines = mail.lines
        let location = SourceLocation(file: message.source, line: message.startLine)
        var parents: [String] = []
        if let r = message.inReplyTo { parents.append(r) }
        parents.append(contentsOf: message.references.reversed().filter { $0 != message.inReplyTo })
        let role: Role
        if info.number == 0 && !info.isReply {
            role = .cover
        } else if !info.isReply && (!body.files.isEmpty || info.isPatch) {
            role = .patch
        } else if info.isReply || message.inReplyTo != nil || !message.references.isEmpty {
            role = .reply
        } else if !body.files.isEmpty {
            role = .patch
        } else {
            role = .other
        }
        var entry = Entry(role: role, message: nil, patch: nil, cover: nil, reply: nil, subjectInfo: info,
                          messageID: message.messageID, parents: parents)
        diagnostics.append(contentsOf: message.diagnostics.map { d in
            var d = d
            if role == .patch { d.patch = info.number ?? 1 }
            return d
        })
        switch role {
        case .patch:
            var patch = Patch(
                number: info.number ?? 1, total: info.total ?? 1, subject: message.subject, subjectInfo: info,
                author: mail.author, date: mail.date,
                messageID: message.messageID, inReplyTo: message.inReplyTo,
                message: mail.message, trailers: body.trailers, collectedTrailers: [],
                notes: body.notes.map { String($0.text) }.joined(separator: "\n"), diffstat: body.diffstat,
                files: body.files, footer: body.footer, source: location, diagnostics: mail.diffDiagnostics)
            patch.diffLines = mail.diffLines
            PatchChecks.run(&patch)
            entry.patch = patch
        case .cover:
            entry.cover = CoverLetter(subject: message.subject, author: message.from, date: message.date,
                                      messageID: message.messageID, body: message.body, source: location)
            var footer = SeriesFooter()
            for line in lines { PatchBody.readFooter(line, into: &footer) }
            coverFooters[entries.count] = footer
        case .reply:
            let own = lines.filter { !LineShape.isQuote($0.text) && !LineShape.isAttribution($0.text) }
                .map { String($0.text) }.joined(separator: "\n").trimmingWhitespace()
            entry.reply = Reply(author: message.from, date: message.date, messageID: message.messageID,
                                subject: message.subject, inReplyTo: .unknown, trailers: ReplyTrailers.find(in: own),
                                text: message.body, ownText: own, source: location, authorEvidence: "From: header")
        case .other:
            if let note = Self.pullRequestNote(lines, source: message.source) { diagnostics.append(note) }
        }
        entries.append(entry)
    }

    private var coverFooters: [Int: SeriesFooter] = [:]

    /// A `git request-pull` mail carries a branch, not a diff: say so, instead of leaving the
    /// reader with a bare "no patch found".
    static func pullRequestNote(_ lines: [TextLine], source: String) -> Diagnostic? {
        guard let since = lines.first(where: { $0.text.hasPrefix("The following changes since commit") }),
              let at = lines.first(where: { $0.text.lowercased().contains("are available in the git repository at") })
        else { return nil }
        let url = lines.drop { $0.mailLine != at.mailLine }.dropFirst()
            .first { !$0.text.allSatisfy(\.isWhitespace) }?.text.trimmingWhitespace() ?? ""
        let fetch = url.isEmpty ? "fetch the branch" : "fetch \(url)"
        return Diagnostic("mail/pull-request", .info,
                          "a pull request (git request-pull), not a patch: \(fetch) and run `spw-review check` on its commits",
                          at: SourceLocation(file: source, line: since.mailLine ?? 1))
    }

    // MARK: - Grouping

    public func finish() -> SeriesCollection {
        var series: [PatchSeries] = pasted
        var diagnostics = self.diagnostics
        var byID: [String: Int] = [:]
        for (i, e) in entries.enumerated() { if let id = e.messageID { byID[id] = i } }

        // Union patches and cover letters with the patch/cover they reply to, same version only.
        var parent = Array(entries.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        func union(_ a: Int, _ b: Int) { parent[find(a)] = find(b) }
        let seriesRoles: Set<Role> = [.patch, .cover]
        var threaded = Set<Int>()
        for (i, e) in entries.enumerated() where seriesRoles.contains(e.role) {
            for id in e.parents {
                guard let j = byID[id], seriesRoles.contains(entries[j].role) else { continue }
                if entries[j].subjectInfo.version == e.subjectInfo.version && entries[j].subjectInfo.isResend == e.subjectInfo.isResend {
                    union(i, j)
                    threaded.insert(i)
                    threaded.insert(j)
                }
                break
            }
        }
        // Unthreaded patches of one series: same version, total and sender.
        var looseKeys: [String: Int] = [:]
        for (i, e) in entries.enumerated() where seriesRoles.contains(e.role) && !threaded.contains(i) {
            let sender = e.patch?.author?.email ?? e.cover?.author?.email ?? ""
            let key = "\(e.subjectInfo.version)|\(e.subjectInfo.total ?? 1)|\(sender.lowercased())|\(e.subjectInfo.isResend)"
            if (e.subjectInfo.total ?? 1) > 1 || e.role == .cover, let other = looseKeys[key] {
                union(i, other)
            } else {
                looseKeys[key] = i
            }
        }
        var groups: [Int: [Int]] = [:]
        var order: [Int] = []
        for (i, e) in entries.enumerated() where seriesRoles.contains(e.role) {
            let root = find(i)
            if groups[root] == nil { order.append(root) }
            groups[root, default: []].append(i)
        }

        var seriesIndexForEntry: [Int: Int] = [:]
        for root in order {
            let members = groups[root]!
            var patchesByNumber: [Int: Patch] = [:]
            var cover: CoverLetter?
            var footer = SeriesFooter()
            var total = 0
            var info = entries[members[0]].subjectInfo
            for m in members {
                let e = entries[m]
                total = max(total, e.subjectInfo.total ?? 1)
                if let c = e.cover {
                    cover = c
                    info = e.subjectInfo
                    if let f = coverFooters[m] { footer = f }
                }
                if let p = e.patch {
                    if patchesByNumber[p.number] != nil {
                        diagnostics.append(Diagnostic(
                            "mail/duplicate-patch", .info,
                            "patch \(p.number)/\(p.total) appears more than once; the last copy is used",
                            at: p.source, patch: p.number))
                    }
                    patchesByNumber[p.number] = p
                    if cover == nil { info = e.subjectInfo }
                }
            }
            let patches = patchesByNumber.keys.sorted().map { patchesByNumber[$0]! }
            if footer.baseCommit == nil, let f = patches.first(where: { $0.footer.baseCommit != nil })?.footer { footer = f }
            let present = Set(patchesByNumber.keys)
            let missing = total >= 1 ? (1...max(total, 1)).filter { !present.contains($0) } : []
            let title: String
            if let cover { title = SubjectParser.parse(cover.subject).title }
            else { title = (patches.first { $0.number == 1 } ?? patches.first)?.subjectInfo.title ?? "" }
            let s = PatchSeries(title: title, version: info.version, total: max(total, patches.count),
                                coverLetter: cover, patches: patches, replies: [], missingPatches: missing,
                                footer: footer, tags: info.tags)
            for m in members { seriesIndexForEntry[m] = series.count }
            series.append(s)
        }
        if !quilt.isEmpty {
            var patches = quilt
            for i in patches.indices {
                patches[i].total = patches.count
                patches[i].subjectInfo.total = patches.count
                PatchChecks.run(&patches[i])
            }
            series.append(PatchSeries(title: patches[0].subjectInfo.title, version: "1", total: patches.count,
                                      coverLetter: nil, patches: patches, replies: [], missingPatches: [],
                                      footer: patches.first?.footer ?? SeriesFooter(), tags: []))
        }

        // Replies: follow the thread up to the nearest patch or cover letter.
        for (i, e) in entries.enumerated() where e.role == .reply {
            guard var reply = e.reply else { continue }
            var visited: Set<Int> = [i]
            var current = i
            var target: (series: Int, target: ReplyTarget)?
            while target == nil {
                guard let next = entries[current].parents.lazy.compactMap({ byID[$0] }).first(where: { !visited.contains($0) }) else { break }
                visited.insert(next)
                if let s = seriesIndexForEntry[next] {
                    let t: ReplyTarget = entries[next].role == .cover ? .cover : .patch(entries[next].patch?.number ?? 1)
                    target = (s, t)
                }
                current = next
            }
            if let target {
                reply.inReplyTo = target.target
                series[target.series].replies.append(reply)
            } else if series.count == 1 {
                series[0].replies.append(reply)
            }
        }
        for s in series.indices {
            let missing = series[s].missingPatches
            if !missing.isEmpty && !series[s].patches.isEmpty {
                diagnostics.append(Diagnostic(
                    "mail/incomplete-series", .warning,
                    "series '\(series[s].title)' v\(series[s].version): patch(es) \(missing.map(String.init).joined(separator: ", ")) of \(series[s].total) missing",
                    at: series[s].patches.first?.source))
            }
            ReplyTrailers.apply(to: &series[s])
        }
        return SeriesCollection(series: series, diagnostics: diagnostics, messageCount: messageCount)
    }

    /// Compares `3.2` and `10` component by component.
    public static func compareVersions(_ a: String, _ b: String) -> Int {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }
        let y = b.split(separator: ".").map { Int($0) ?? 0 }
        for k in 0..<max(x.count, y.count) {
            let l = k < x.count ? x[k] : 0, r = k < y.count ? y[k] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }
}
