import Foundation

/// A kernel release as `major.minor` (`2.6.39` is read as 2.6 with sublevel 39; `3.9`, `6.1`).
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var parts: [Int]

    public init(_ parts: Int...) { self.parts = parts }
    public init(parts: [Int]) { self.parts = parts }

    public init?(_ text: String) {
        let p = text.split(separator: ".").compactMap { Int($0) }
        guard !p.isEmpty else { return nil }
        parts = p
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        for k in 0..<max(a.parts.count, b.parts.count) {
            let x = k < a.parts.count ? a.parts[k] : 0, y = k < b.parts.count ? b.parts[k] : 0
            if x != y { return x < y }
        }
        return false
    }

    public var description: String { parts.map(String.init).joined(separator: ".") }

    /// Reads VERSION, PATCHLEVEL and SUBLEVEL from a kernel top-level Makefile.
    public static func fromMakefile(_ text: String) -> KernelVersion? {
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n").prefix(20) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let v = Int(parts[1]) { fields[parts[0]] = v }
        }
        guard let major = fields["VERSION"], let minor = fields["PATCHLEVEL"] else { return nil }
        return KernelVersion(parts: [major, minor, fields["SUBLEVEL"] ?? 0])
    }
}

/// The releases a model entry holds for: `[since, until)`; nil ends are open.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    public var since: KernelVersion?
    public var until: KernelVersion?

    public static let always = VersionRange(since: nil, until: nil)
    public static func since(_ v: KernelVersion) -> VersionRange { VersionRange(since: v, until: nil) }
    public static func before(_ v: KernelVersion) -> VersionRange { VersionRange(since: nil, until: v) }

    /// Unknown version: the newest behaviour (an open-ended range) applies.
    public func contains(_ version: KernelVersion?) -> Bool {
        guard let version else { return until == nil }
        if let since, version < since { return false }
        if let until, !(version < until) { return false }
        return true
    }

    public var description: String {
        switch (since, until) {
        case (nil, nil): "all versions"
        case (let s?, nil): "since \(s)"
        case (nil, let u?): "before \(u)"
        case (let s?, let u?): "\(s) to before \(u)"
        }
    }
}

