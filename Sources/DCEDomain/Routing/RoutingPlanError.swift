/// Why a routing plan is refused, and where: `field` is the path of the offending value
/// as a request writes it (`targets[2].hours[1]`, `buyers[0].caps[3].limit`), so the HTTP
/// layer can answer 400 naming it.
public struct RoutingPlanError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let problem: Problem

    public init(field: String, problem: Problem) {
        self.field = field
        self.problem = problem
    }

    public enum Problem: Hashable, Sendable, CustomStringConvertible {
        case required
        case tooLong(maximum: Int)
        case tooMany(maximum: Int)
        case outOfRange(ClosedRange<Int>)
        case duplicateID(String)
        case unknownBuyer(String)
        case invalidDestination
        case unknownTimeZone(String)
        case invalidClockTime(String)
        case unknownWeekday(String)
        case emptyWindow
        case noWindows
        case overlappingHours(with: String)
        case everyWeightZero(priority: Int)
        case unknownOperator(String)
        case valuesRequired(operator: String)
        case valuesNotAllowed(operator: String)
        case notANumber(String)
        case emptyRange
        case negativeCap
        case negativeAmount
        case invalidVendor
        case controlCharacter
        case unknownID(String)

        public var description: String {
            switch self {
            case .required: "is required"
            case .tooLong(let maximum): "is longer than \(maximum) characters"
            case .tooMany(let maximum): "has more than \(maximum) entries"
            case .outOfRange(let range): "must be between \(range.lowerBound) and \(range.upperBound)"
            case .duplicateID(let id): "'\(id.prefix(64))' is used twice"
            case .unknownBuyer(let id): "names buyer '\(id.prefix(64))', which the plan does not have"
            case .invalidDestination: "must be an E.164 phone number or a sip: URI"
            case .unknownTimeZone(let name): "'\(name.prefix(64))' is not an IANA time zone"
            case .invalidClockTime(let text): "'\(text.prefix(16))' is not a time of day between 00:00 and 24:00"
            case .unknownWeekday(let text): "'\(text.prefix(16))' is not a day of the week"
            case .emptyWindow: "opens and closes at the same time"
            case .noWindows: "needs at least one window; leave hours out for a target that is always open"
            case .overlappingHours(let other): "overlaps \(other)"
            case .everyWeightZero(let priority): "is 0 on every target of priority \(priority); one of them needs a weight above 0"
            case .unknownOperator(let name): "'\(name.prefix(32))' is not an operator; use one of \(FilterOperator.allCases.map(\.rawValue).joined(separator: ", "))"
            case .valuesRequired(let op): "needs at least one value for '\(op)'"
            case .valuesNotAllowed(let op): "takes no values for '\(op)'"
            case .notANumber(let text): "'\(text.prefix(32))' is not a decimal number"
            case .emptyRange: "has a minimum above its maximum, or neither"
            case .negativeCap: "cannot be below 0"
            case .negativeAmount: "cannot be below 0.00"
            case .invalidVendor: "is not a vendor name (lowercase letters, digits and _)"
            case .controlCharacter: "contains a control character"
            case .unknownID(let id): "'\(id.prefix(64))' does not exist in this account"
            }
        }
    }

    public var description: String { "\(field) \(problem)" }
}
