import DCEDomain

/// What the directory needs of each kind of entity: which kind it is, its name and vendor
/// ids, its own checks, and the other entities it names. Everything else is stored as the
/// spec's JSON, so the four kinds share one create, replace and delete.
public protocol ExchangeSpecValue: Hashable, Sendable, Codable {
    static var kind: ExchangeKind { get }
    var name: String { get }
    var externalIDs: ExternalIDs { get }
    func validate() throws(RoutingPlanError)
    /// The ids this spec names, each with the field that names it, in the order a request
    /// writes them: they must exist in the account, and keep the named entity from being deleted.
    var references: [ExchangeReference] { get }
}

/// One id a spec names: `routing[2].target_id` names a target.
public struct ExchangeReference: Hashable, Sendable {
    public var field: String
    public var kind: ExchangeKind
    public var id: String

    public init(field: String, kind: ExchangeKind, id: String) {
        self.field = field
        self.kind = kind
        self.id = id
    }
}

extension CampaignSpec: ExchangeSpecValue {
    public static var kind: ExchangeKind { .campaign }

    public var references: [ExchangeReference] {
        var references = routing.enumerated().map { index, entry in
            ExchangeReference(field: "routing[\(index)].target_id", kind: .target, id: entry.targetID.rawValue)
        }
        if let publisher = defaultPublisherID {
            references.append(ExchangeReference(field: "default_publisher_id", kind: .publisher, id: publisher.rawValue))
        }
        for (index, number) in numbers.enumerated() {
            if let publisher = number.publisherID {
                references.append(ExchangeReference(field: "numbers[\(index)].publisher_id", kind: .publisher, id: publisher.rawValue))
            }
        }
        return references
    }
}

extension TargetSpec: ExchangeSpecValue {
    public static var kind: ExchangeKind { .target }

    public var references: [ExchangeReference] {
        [ExchangeReference(field: "buyer_id", kind: .buyer, id: buyerID.rawValue)]
    }
}

extension BuyerSpec: ExchangeSpecValue {
    public static var kind: ExchangeKind { .buyer }
    public var references: [ExchangeReference] { [] }
}

extension PublisherSpec: ExchangeSpecValue {
    public static var kind: ExchangeKind { .publisher }
    public var references: [ExchangeReference] { [] }
}
