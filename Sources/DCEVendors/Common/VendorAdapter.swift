import DCEDomain

/// Everything dce knows about one vendor, in the vendor's own folder: its name, how its
/// deliveries prove themselves, how they read as call events, what it expects back, and
/// what its traffic looks like. `VendorRegistry.all` lists every adapter once; nothing
/// else names a vendor.
public protocol VendorAdapter: Sendable {
    /// The name in webhook paths (`/webhooks/<name>/<integration>`), integrations and
    /// metrics: lowercase letters, digits and `_`.
    var name: String { get }
    /// Whether the vendor may deliver with GET (its parameters in the query string).
    var acceptsGET: Bool { get }
    /// How a delivery proves it comes from the account's vendor.
    var credential: WebhookCredential { get }
    /// The dce names an integration's field mapping may rename.
    var mappableNames: Set<String> { get }
    /// Whether the account's number inventory decides the campaign of an event that names
    /// none (by its attribution label, else its tracking number).
    var campaignFromNumbers: Bool { get }
    /// What an accepted delivery is answered with.
    var answer: VendorAnswer { get }
    /// The request headers that carry a secret or a handshake token, lowercase: never
    /// stored with a delivery.
    var secretHeaders: Set<String> { get }

    /// A new integration's secret when the account gives none.
    func makeSecret() -> String

    /// The call events in one delivery, or why it cannot be read.
    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent]

    /// A delivery that lists many calls (a page of the vendor's own call records) read row
    /// by row, so that a row that cannot be read is dead-lettered while the others are
    /// kept; nil for a delivery `decode` reads whole. Throws when the page itself is bad.
    func decodeRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]?

    /// The answer to a request that only checks the webhook (it writes nothing), or nil
    /// when this request is a delivery. `header` reads a request header by name.
    func handshake(header: (String) -> String?) -> VendorReply?

    /// The deliveries the vendor would send for one simulated call, in its order.
    func simulatedDeliveries(for call: SimulatedCall) -> [SimulatedDelivery]

    /// How dce pulls the vendor's own record of calls from its API; nil when it cannot.
    var pull: (any PullClient)? { get }
}

extension VendorAdapter {
    public var source: Source { Source(rawValue: name) }
    public var acceptsGET: Bool { false }
    public var credential: WebhookCredential { .urlToken }
    public var mappableNames: Set<String> { [] }
    public var campaignFromNumbers: Bool { false }
    public var answer: VendorAnswer { .results }
    public var secretHeaders: Set<String> { Set([credential.headerName].compactMap { $0 }) }
    public func makeSecret() -> String { StandardWebhooks.makeSecret() }
    public func handshake(header: (String) -> String?) -> VendorReply? { nil }
    public func decodeRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]? { nil }
    public func simulatedDeliveries(for call: SimulatedCall) -> [SimulatedDelivery] { [] }
    public var pull: (any PullClient)? { nil }
}

/// How a delivery proves it is genuine when it is not signed with Standard Webhooks (a
/// valid signature with the integration's secret is accepted for every vendor).
public enum WebhookCredential: Sendable, Equatable {
    /// The secret as `?token=` in the URL or in the `X-DCE-Token` header.
    case urlToken
    /// The secret in a header the vendor sends itself (or `?token=`); `missingSecret`
    /// tells the operator how to give an integration without one its secret.
    case header(name: String, missingSecret: String)
    /// Only a Standard Webhooks signature.
    case signatureOnly

    /// The header a secret may arrive in, lowercase, which is never stored.
    public var headerName: String? {
        switch self {
        case .urlToken: "x-dce-token"
        case .header(let name, _): name.lowercased()
        case .signatureOnly: nil
        }
    }

    /// Whether the webhook URL given to the vendor carries the secret as `?token=`.
    public var usesURLToken: Bool { self == .urlToken }
}

/// What dce answers an accepted delivery with.
public enum VendorAnswer: Sendable {
    /// dce's list of results: each event's call id, event id, key and whether it was a
    /// duplicate.
    case results
    /// An object the vendor reads from the answer (Retreaver applies its keys as tags on
    /// its call), made from the first event's call.
    case callTags(@Sendable (AnsweredCall) -> [String: String])
}

/// The call of a delivery's first event, as the answer reports it.
public struct AnsweredCall: Sendable, Hashable {
    public var callID: String
    public var status: CallStatus
    public var duplicate: Bool

    public init(callID: String, status: CallStatus, duplicate: Bool) {
        self.callID = callID
        self.status = status
        self.duplicate = duplicate
    }
}

/// A reply made without reading the delivery (RingCentral's validation handshake).
public struct VendorReply: Sendable, Equatable {
    public var headers: [String: String]
    public var body: String

    public init(headers: [String: String], body: String) {
        self.headers = headers
        self.body = body
    }
}
