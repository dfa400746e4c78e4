/// The vendors dce accepts deliveries from, each registered once. The order is part of the
/// simulator's seeding: a new vendor goes at the end.
public struct VendorRegistry: Sendable {
    public static let all: [any VendorAdapter] = [
        RingbaAdapter(), RetreaverAdapter(), RingCentralAdapter(), ExotelAdapter(), InvocaAdapter(), NativeAdapter(),
    ]

    public static let standard = VendorRegistry(all)

    public let adapters: [any VendorAdapter]
    private let byName: [String: any VendorAdapter]
    /// The headers any vendor may carry a secret or handshake token in, lowercase: never
    /// stored.
    public let secretHeaders: Set<String>

    public init(_ adapters: [any VendorAdapter]) {
        self.adapters = adapters
        self.byName = Dictionary(adapters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.secretHeaders = adapters.reduce(into: []) { $0.formUnion($1.secretHeaders) }
    }

    public var names: [String] { adapters.map(\.name) }

    public func adapter(named name: String) -> (any VendorAdapter)? { byName[name] }

    /// An adapter's position in the list (the simulator draws each vendor's calls from
    /// its own seed).
    public func index(of name: String) -> Int? { adapters.firstIndex { $0.name == name } }
}
