/// Where a caller is, as far as a lookup can tell from their number.
public struct CallerPlace: Hashable, Sendable {
    public var state: String?
    public var zip: String?

    public init(state: String? = nil, zip: String? = nil) {
        self.state = state
        self.zip = zip
    }
}

/// Tells where a caller is from their number. Passed into routing so that the routing
/// function stays pure and a test can state the answer.
public protocol CallerPlaces: Sendable {
    func place(of caller: PhoneNumber) -> CallerPlace?
}

/// The NANP data dce ships: the state of a North American caller's area code. A number
/// does not tell its ZIP, so `caller_zip` comes from a tag (or a carrier's lookup).
extension GeoDirectory: CallerPlaces {
    public func place(of caller: PhoneNumber) -> CallerPlace? {
        guard let areaCode = caller.areaCode, let place = areaCodes[areaCode] else { return nil }
        return CallerPlace(state: place.state)
    }
}

/// A lookup that knows nothing: filters on derived fields then read the call's tags only.
public struct NoCallerPlaces: CallerPlaces {
    public init() {}
    public func place(of caller: PhoneNumber) -> CallerPlace? { nil }
}

/// The call being routed: who calls, which number they dialled, its tags (from the DNI
/// session and the vendor) and when.
public struct RoutingCall: Hashable, Sendable {
    public var caller: PhoneNumber?
    public var dialed: PhoneNumber?
    public var tags: Tags
    public var time: Timestamp

    public init(caller: PhoneNumber?, dialed: PhoneNumber? = nil, tags: Tags = Tags(), time: Timestamp) {
        self.caller = caller
        self.dialed = dialed
        self.tags = tags
        self.time = time
    }

    /// The call fields a filter can name besides tags.
    public enum Field: String, CaseIterable, Sendable {
        case caller
        case callerAreaCode = "caller_area_code"
        case callerState = "caller_state"
        case callerZip = "caller_zip"
        case dialed
    }

    /// The value a filter on `field` reads: a call field when dce can tell it, otherwise
    /// the tag of that name (vendors send `caller_state` or `caller_zip` as tags too).
    func value(of field: String, place: CallerPlace?) -> String? {
        let derived: String?
        switch Field(rawValue: field) {
        case .caller: derived = caller?.e164
        case .callerAreaCode: derived = caller?.areaCode
        case .callerState: derived = place?.state
        case .callerZip: derived = place?.zip
        case .dialed: derived = dialed?.e164
        case nil: derived = nil
        }
        return derived ?? tags[field]
    }
}

/// What the storage layer knows at the moment of routing: the counts against every cap,
/// and the caller's recent connected or converted calls per buyer. Missing entries count
/// as zero and no calls.
public struct RoutingUsage: Hashable, Sendable {
    public var targets: [TargetID: CapCounts]
    public var buyers: [BuyerID: CapCounts]
    public var callerHistory: [BuyerID: [Timestamp]]

    public init(targets: [TargetID: CapCounts] = [:], buyers: [BuyerID: CapCounts] = [:], callerHistory: [BuyerID: [Timestamp]] = [:]) {
        self.targets = targets
        self.buyers = buyers
        self.callerHistory = callerHistory
    }
}
