/// The units `spw-review stress` takes on its command line, as dd and fio spell them.
public enum StressUnits {
    /// `64K`, `64M`, `1G`, `4096` (K, M, G are powers of 1024; an optional `iB`/`B` is allowed).
    public static func bytes(_ text: String) -> Int? {
        var s = text.trimmingCharacters(in: " ").uppercased()
        if s.hasSuffix("IB") { s.removeLast(2) } else if s.hasSuffix("B") { s.removeLast() }
        var shift = 0
        switch s.last {
        case "K": shift = 10
        case "M": shift = 20
        case "G": shift = 30
        default: break
        }
        if shift > 0 { s.removeLast() }
        guard let n = Int(s), n > 0, n <= Int.max >> shift else { return nil }
        return n << shift
    }

    /// `30s`, `500ms`, `2m`, `1h`, or plain seconds (`30`, `0.5`).
    public static func seconds(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: " ").lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let n = Double(s.dropLast(suffix.count)), n > 0, n.isFinite else { return nil }
            return n * scale
        }
        guard let n = Double(s), n > 0, n.isFinite else { return nil }
        return n
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
