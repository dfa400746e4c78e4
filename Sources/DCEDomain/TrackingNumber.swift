/// A number in an account's inventory: a CTN shown in an ad or leased to a visitor.
public struct TrackingNumber: Hashable, Sendable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case local
        case tollFree = "toll_free"
    }

    /// What the number is for. A `static` number is printed in an ad or labelled with the
    /// destination it stands in for, and calls to it are credited to that ad; only `pool`
    /// numbers are leased to website visitors.
    public enum Use: String, Sendable, Codable, CaseIterable {
        case `static`
        case pool

        /// Without an explicit use: a number that names a campaign or a destination is an
        /// ad's number; any other is free for a pool.
        public static func implied(label: String?, campaignID: String?) -> Use {
            label != nil || campaignID != nil ? .static : .pool
        }
    }

    public var number: PhoneNumber
    /// What the number stands in for: RingCentral's label, the standard destination number.
    public var label: String?
    public var campaignID: String?
    public var poolID: String?
    public var kind: Kind
    public var use: Use
    public var areaCode: String?
    public var state: String?

    public init(
        number: PhoneNumber, label: String? = nil, campaignID: String? = nil, poolID: String? = nil,
        kind: Kind? = nil, areaCode: String? = nil, state: String? = nil, use: Use? = nil
    ) {
        self.number = number
        self.label = label
        self.campaignID = campaignID
        self.poolID = poolID
        self.kind = kind ?? (Self.isTollFree(number) ? .tollFree : .local)
        self.use = use ?? Use.implied(label: label, campaignID: campaignID)
        self.areaCode = areaCode ?? number.areaCode
        self.state = state
    }

    /// North American toll-free prefixes.
    public static let tollFreeAreaCodes: Set<String> = ["800", "833", "844", "855", "866", "877", "888"]

    public static func isTollFree(_ number: PhoneNumber) -> Bool {
        number.areaCode.map(tollFreeAreaCodes.contains) ?? false
    }
}
