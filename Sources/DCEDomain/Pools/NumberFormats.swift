/// The ways a page may write a phone number, for swapping a default number for a leased
/// one in the same style.
public enum NumberFormats {
    /// Pairs of (how `original` may be written, the same style for `replacement`), for
    /// North American numbers; E.164 alone otherwise. Longest first, so that a longer form
    /// is replaced before a shorter form inside it.
    public static func replacements(of original: PhoneNumber, with replacement: PhoneNumber) -> [(find: String, replaceWith: String)] {
        let styles = variants(of: original)
        let targets = variants(of: replacement)
        guard styles.count == targets.count else { return [(original.e164, replacement.e164)] }
        return zip(styles, targets).map { ($0, $1) }
    }

    /// `+18885554444`, `1-888-555-4444`, `(888) 555-4444`, `888-555-4444`, `888.555.4444`,
    /// `888 555 4444`, `8885554444`, longest first.
    public static func variants(of number: PhoneNumber) -> [String] {
        guard number.isNorthAmerican else { return [number.e164] }
        let d = Array(number.e164.dropFirst(2))
        let npa = String(d[0..<3]), nxx = String(d[3..<6]), line = String(d[6..<10])
        let all = [
            "+1 (\(npa)) \(nxx)-\(line)", "+1 \(npa)-\(nxx)-\(line)", "1 (\(npa)) \(nxx)-\(line)",
            "1-\(npa)-\(nxx)-\(line)", "1.\(npa).\(nxx).\(line)", "(\(npa)) \(nxx)-\(line)", "(\(npa))\(nxx)-\(line)",
            "+1\(npa)\(nxx)\(line)", "1\(npa)\(nxx)\(line)", "\(npa)-\(nxx)-\(line)", "\(npa).\(nxx).\(line)",
            "\(npa) \(nxx) \(line)", "\(npa)\(nxx)\(line)",
        ]
        return all.sorted { $0.count > $1.count }
    }

    /// `888-555-4444`, as Invoca formats promo numbers.
    public static func dashed(_ number: PhoneNumber) -> String {
        guard number.isNorthAmerican else { return number.e164 }
        let d = Array(number.e164.dropFirst(2))
        return "\(String(d[0..<3]))-\(String(d[3..<6]))-\(String(d[6..<10]))"
    }

    /// The national digits (`8885554444`) for North American numbers, else the E.164 digits.
    public static func plain(_ number: PhoneNumber) -> String {
        number.isNorthAmerican ? String(number.e164.dropFirst(2)) : String(number.digits)
    }
}
