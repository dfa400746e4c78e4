import DCEDomain

/// Why the directory refused a change, with the field a request must fix.
public enum ExchangeError: Error, Equatable, CustomStringConvertible {
    /// The spec is not acceptable; an id it names that the account lacks is `.unknownID`.
    case invalid(RoutingPlanError)
    case notFound
    /// Other entities still name this one (`by` lists their ids) in `field`.
    case inUse(field: String, by: [String])
    /// A number, pool or vendor id that another entity of the account already has.
    case conflict(field: String, message: String)

    public var description: String {
        switch self {
        case .invalid(let error): error.description
        case .notFound: "not found"
        case .inUse(let field, let by): "still named in \(field) by \(by.joined(separator: ", "))"
        case .conflict(let field, let message): "\(field) \(message)"
        }
    }
}
