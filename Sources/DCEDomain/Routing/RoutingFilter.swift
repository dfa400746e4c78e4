/// The comparisons a target's filter can make.
public enum FilterOperator: String, Hashable, Sendable, Codable, CaseIterable {
    case equals
    case `in`
    case notIn = "not_in"
    case exists
    /// Inclusive numeric bounds, either of which may be left open.
    case range
}

/// A condition a call must meet for a target to take it, on a call field (`caller_state`,
/// `caller_zip`, `caller_area_code`, `caller`, `dialed`) or on any tag by its name.
public struct RoutingFilter: Hashable, Sendable, Codable {
    public static let maximumFieldLength = Tags.maximumKeyLength
    public static let maximumValues = 1000

    public enum Condition: Hashable, Sendable {
        case equals(String)
        case oneOf(Set<String>)
        case noneOf(Set<String>)
        case exists
        case range(minimum: FilterNumber?, maximum: FilterNumber?)
    }

    public let field: String
    public let condition: Condition

    /// Builds a filter from its parts as a request carries them; `path` names the filter
    /// in errors (`targets[0].filters[1]`). `range` takes `minimum` and/or `maximum`, the
    /// others take `values` (`equals` exactly one, `exists` none).
    public init(field: String, operator name: String, values: [String] = [], minimum: String? = nil, maximum: String? = nil, path: String) throws(RoutingPlanError) {
        guard !field.isEmpty else { throw RoutingPlanError(field: "\(path).field", problem: .required) }
        guard field.count <= Self.maximumFieldLength else { throw RoutingPlanError(field: "\(path).field", problem: .tooLong(maximum: Self.maximumFieldLength)) }
        guard let op = FilterOperator(rawValue: name) else { throw RoutingPlanError(field: "\(path).operator", problem: .unknownOperator(name)) }
        guard values.count <= Self.maximumValues else { throw RoutingPlanError(field: "\(path).values", problem: .tooMany(maximum: Self.maximumValues)) }
        let normalized = values.map(Self.normalize)
        switch op {
        case .equals:
            guard normalized.count == 1, let value = normalized.first else { throw RoutingPlanError(field: "\(path).values", problem: .valuesRequired(operator: name)) }
            condition = .equals(value)
        case .in:
            guard !normalized.isEmpty else { throw RoutingPlanError(field: "\(path).values", problem: .valuesRequired(operator: name)) }
            condition = .oneOf(Set(normalized))
        case .notIn:
            guard !normalized.isEmpty else { throw RoutingPlanError(field: "\(path).values", problem: .valuesRequired(operator: name)) }
            condition = .noneOf(Set(normalized))
        case .exists:
            guard values.isEmpty, minimum == nil, maximum == nil else { throw RoutingPlanError(field: "\(path).values", problem: .valuesNotAllowed(operator: name)) }
            condition = .exists
        case .range:
            guard values.isEmpty else { throw RoutingPlanError(field: "\(path).values", problem: .valuesNotAllowed(operator: name)) }
            let low = try minimum.map { text throws(RoutingPlanError) in
                guard let number = FilterNumber(parsing: text) else { throw RoutingPlanError(field: "\(path).minimum", problem: .notANumber(text)) }
                return number
            }
            let high = try maximum.map { text throws(RoutingPlanError) in
                guard let number = FilterNumber(parsing: text) else { throw RoutingPlanError(field: "\(path).maximum", problem: .notANumber(text)) }
                return number
            }
            guard low != nil || high != nil else { throw RoutingPlanError(field: path, problem: .emptyRange) }
            if let low, let high, high < low { throw RoutingPlanError(field: path, problem: .emptyRange) }
            condition = .range(minimum: low, maximum: high)
        }
        self.field = field
    }

    public var operatorName: FilterOperator {
        switch condition {
        case .equals: .equals
        case .oneOf: .in
        case .noneOf: .notIn
        case .exists: .exists
        case .range: .range
        }
    }

    /// Whether a call whose value for `field` is `value` (nil: the call has none) passes.
    /// Text compares without case and surrounding space, as vendors write `ca` and `CA`.
    /// A call with no value fails every operator but `not_in`: a buyer that wants the
    /// field present says so with `exists`.
    public func admits(_ value: String?) -> Bool {
        let present = value.map(Self.normalize).flatMap { $0.isEmpty ? nil : $0 }
        switch condition {
        case .equals(let expected): return present == expected
        case .oneOf(let allowed): return present.map { allowed.contains($0) } ?? false
        case .noneOf(let refused): return present.map { !refused.contains($0) } ?? true
        case .exists: return present != nil
        case .range(let minimum, let maximum):
            guard let present, let number = FilterNumber(parsing: present) else { return false }
            if let minimum, number < minimum { return false }
            if let maximum, number > maximum { return false }
            return true
        }
    }

    static func normalize(_ text: String) -> String { text.trimmingWhitespace().lowercased() }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey { case field, `operator`, values, minimum, maximum }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            self = try Self(
                field: try container.decode(String.self, forKey: .field),
                operator: try container.decode(String.self, forKey: .operator),
                values: try container.decodeIfPresent([String].self, forKey: .values) ?? [],
                minimum: try container.decodeIfPresent(String.self, forKey: .minimum),
                maximum: try container.decodeIfPresent(String.self, forKey: .maximum),
                path: "filter")
        } catch let error as RoutingPlanError {
            throw DecodingError.dataCorruptedError(forKey: .operator, in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try container.encode(operatorName.rawValue, forKey: .operator)
        switch condition {
        case .equals(let value): try container.encode([value], forKey: .values)
        case .oneOf(let values), .noneOf(let values): try container.encode(values.sorted(), forKey: .values)
        case .exists: break
        case .range(let minimum, let maximum):
            try container.encodeIfPresent(minimum?.description, forKey: .minimum)
            try container.encodeIfPresent(maximum?.description, forKey: .maximum)
        }
    }
}

/// A decimal number held exactly in millionths, so a filter's bounds compare without
/// floating point. Parsed from `-12`, `7.5`, `0.000001`; at most 12 integer digits.
public struct FilterNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let fractionDigits = 6
    public let millionths: Int64

    public init?(parsing text: String) {
        var scalars = Substring(text.trimmingWhitespace())
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        let parts = scalars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.count <= Self.fractionDigits,
              fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        fraction += String(repeating: "0", count: Self.fractionDigits - fraction.count)
        // At most 12 + 6 digits: below Int64's 19, so no step can overflow.
        guard let wholeValue = Int64(whole), let fractionValue = Int64(fraction) else { return nil }
        let magnitude = wholeValue * 1_000_000 + fractionValue
        millionths = negative ? -magnitude : magnitude
    }

    public var description: String {
        let magnitude = millionths.magnitude
        let whole = magnitude / 1_000_000, fraction = magnitude % 1_000_000
        var text = (millionths < 0 ? "-" : "") + String(whole)
        if fraction != 0 {
            let digits = String(fraction)
            var padded = String(repeating: "0", count: Self.fractionDigits - digits.count) + digits
            while padded.last == "0" { padded.removeLast() }
            text += "." + padded
        }
        return text
    }

    public static func < (lhs: FilterNumber, rhs: FilterNumber) -> Bool { lhs.millionths < rhs.millionths }
}
