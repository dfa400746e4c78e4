import DCEDomain
import DCEJSON
import Foundation

/// One HTTP delivery a simulated vendor sends to its webhook URL.
public struct SimulatedDelivery: Sendable {
    public var method: String
    /// Added to the webhook URL's query string.
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The vendor's call id and the stage or event: what the ledger keys the delivery by.
    public var callID: String
    public var stage: String
    /// A vendor retry of an earlier delivery (same bytes).
    public var isRetry: Bool

    public var queryString: String {
        query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    /// Where and with which headers to send this delivery to an integration's webhook URL,
    /// authenticated as the vendor would: RingCentral's Verification-Token, or a Standard
    /// Webhooks signature whose message id a retry repeats.
    public func addressed(to url: String, vendor: some VendorAdapter, secret: String?, now: Date = Date()) -> (url: String, headers: [(String, String)]) {
        var target = url
        if !query.isEmpty { target += (url.contains("?") ? "&" : "?") + queryString }
        var headers = self.headers
        if let secret {
            if case .header(let name, _) = vendor.credential {
                headers.append((name, secret))
            } else {
                let id = "msg_\(callID)_\(stage)".replacingOccurrences(of: " ", with: "_")
                headers += StandardWebhooks.headers(secret: secret, id: id, timestamp: Int64(now.timeIntervalSince1970), body: body)
            }
        }
        return (target, headers)
    }

    public init(method: String, query: [(String, String)], headers: [(String, String)], body: [UInt8], callID: String, stage: String, isRetry: Bool = false) {
        self.method = method
        self.query = query
        self.headers = headers
        self.body = body
        self.callID = callID
        self.stage = stage
        self.isRetry = isRetry
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Realistic traffic in each vendor's shape: whole call lifecycles, some stages retried,
/// some calls' stages delivered out of order. Deterministic for a seed.
public struct TrafficGenerator: Sendable {
    public let vendor: any VendorAdapter
    public var retryRate = 0.1
    public var reorderRate = 0.2
    let run: String
    let start: Date
    private var random: SeededRandom

    public init(vendor: some VendorAdapter, seed: UInt64, run: String, start: Date = Date()) {
        self.vendor = vendor
        self.run = run
        self.start = start
        // Each vendor draws its own calls from a seed, so two simulations started together
        // do not report the same callers (which cross-vendor dedupe would merge).
        let vendorIndex = UInt64(VendorRegistry.standard.index(of: vendor.name) ?? 0)
        self.random = SeededRandom(seed: seed &+ vendorIndex &* 0x9E37_79B9_7F4A_7C15)
    }

    static let trackingNumbers = ["+18885550101", "+18885550102", "+18775550104", "+18665550105", "+14155550100"]
    static let campaigns = ["auto-insurance", "medicare-advantage", "home-services", "debt-relief", "solar"]
    static let publishers = ["pub-adwise", "pub-callmedia", "pub-leadgenix", "pub-searchpro"]
    static let states = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA"]

    /// The deliveries of call `index`, in the order the vendor sends them.
    public mutating func deliveries(forCall index: Int) -> [SimulatedDelivery] {
        let call = SimulatedCall(index: index, run: run, start: start.addingTimeInterval(Double(index) * 0.05), random: &random)
        var list = vendor.simulatedDeliveries(for: call)
        if list.count > 1, random.unit() < reorderRate { list.reverse() }
        var withRetries: [SimulatedDelivery] = []
        for delivery in list {
            withRetries.append(delivery)
            if random.unit() < retryRate {
                var retry = delivery
                retry.isRetry = true
                withRetries.append(retry)
            }
        }
        return withRetries
    }

    /// A JSON body: keys sorted, `/` left as is.
    public static func json(_ value: JSONValue) -> [UInt8] {
        Array(value.text.utf8)
    }

    public static func form(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\(SimulatedDelivery.encode($0.0))=\(SimulatedDelivery.encode($0.1))" }.joined(separator: "&").utf8)
    }

    public static let jsonHeaders = [("Content-Type", "application/json")]
    public static let formHeaders = [("Content-Type", "application/x-www-form-urlencoded")]
}

/// One simulated call: the facts every vendor reports in its own shape.
public struct SimulatedCall: Sendable {
    public let id: String
    public let caller: String
    public let tracking: String
    public let destination: String
    public let campaign: String
    public let publisher: String
    public let state: String
    public let startedAt: Date
    public let answered: Bool
    public let duration: Int
    public let converted: Bool
    public let revenueCents: Int
    public let payoutCents: Int

    init(index: Int, run: String, start: Date, random: inout SeededRandom) {
        id = "\(run)-\(index)"
        // A caller number unique to the call, so simulated calls never dedupe together.
        let unique = (Int(random.next() % 900) + 100) * 10_000 + index % 10_000
        caller = "+1\(["213", "310", "512", "305", "212", "415"][random.int(6)])\(String(format: "%07d", unique % 10_000_000))"
        tracking = TrafficGenerator.trackingNumbers[random.int(TrafficGenerator.trackingNumbers.count)]
        destination = "+1800555\(String(format: "%04d", 1000 + random.int(40)))"
        campaign = TrafficGenerator.campaigns[random.int(TrafficGenerator.campaigns.count)]
        publisher = TrafficGenerator.publishers[random.int(TrafficGenerator.publishers.count)]
        state = TrafficGenerator.states[random.int(TrafficGenerator.states.count)]
        startedAt = start
        answered = random.unit() < 0.8
        duration = answered ? 20 + random.int(400) : 0
        converted = answered && duration >= 90 && random.unit() < 0.7
        revenueCents = converted ? 1500 + random.int(6000) : 0
        payoutCents = revenueCents * 6 / 10
    }

    /// The call's start plus `offset` seconds, in ISO 8601.
    public func iso(_ offset: Int) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: startedAt.addingTimeInterval(Double(offset)))
    }

    public var money: String { String(format: "%d.%02d", revenueCents / 100, revenueCents % 100) }
    public var payout: String { String(format: "%d.%02d", payoutCents / 100, payoutCents % 100) }
}
