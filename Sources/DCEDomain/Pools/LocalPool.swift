/// Where a local pool looks for numbers, as Invoca's `local_center` gives it: an area code
/// (`tn_prefix`, NPA or NPA-NXX), a ZIP code, or a latitude with a longitude.
public enum LocalCenter: Hashable, Sendable {
    case tnPrefix(String)
    case zipcode(String)
    case coordinate(GeoPoint)

    /// The keys Invoca's `local_center` hash may carry.
    public static let keys: Set<String> = ["tn_prefix", "zipcode", "latitude", "longitude"]

    /// A refusal worded like Invoca's `invalid_data`.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Reads the hash: the centre `candidates` puts first.
    public init(fields: [String: String]) throws(Invalid) {
        guard let first = try Self.candidates(fields: fields).first else {
            throw Invalid("Local Center requires one of tn_prefix, zipcode, or latitude and longitude.")
        }
        self = first
    }

    /// Every centre the hash gives, in the order Invoca's documentation lists them
    /// (`tn_prefix`, `zipcode`, then `latitude` with `longitude`); the pool is centred on
    /// the first. Invoca's own RingPools example fills `zipcode` and the coordinates and
    /// leaves `tn_prefix` empty, so more than one is not a mistake. Values may be strings
    /// or numbers, as Invoca accepts both; empty strings count as absent (Invoca's GET
    /// shows `"tn_prefix": ""`). A value given but malformed is refused.
    public static func candidates(fields: [String: String]) throws(Invalid) -> [LocalCenter] {
        guard fields.keys.allSatisfy(Self.keys.contains) else { throw Invalid("Invalid Key in Local Center.") }
        let present = fields.filter { !$0.value.trimmingWhitespace().isEmpty }.mapValues { $0.trimmingWhitespace() }
        var centers: [LocalCenter] = []
        if let prefix = present["tn_prefix"] {
            guard LocalPoolRules.isPrefix(prefix) else { throw Invalid("Invalid tn_prefix in Local Center.") }
            centers.append(.tnPrefix(prefix))
        }
        if let zipcode = present["zipcode"] {
            guard zipcode.count == 5, zipcode.allSatisfy(\.isASCIIDigit) else { throw Invalid("Invalid zipcode in Local Center.") }
            centers.append(.zipcode(zipcode))
        }
        let latitude = present["latitude"], longitude = present["longitude"]
        if latitude != nil || longitude != nil {
            guard let latitude, let longitude else {
                throw Invalid("Latitude and Longitude are required together in Local Center.")
            }
            guard let lat = Double(latitude), (-90...90).contains(lat) else { throw Invalid("Invalid latitude in Local Center.") }
            guard let lon = Double(longitude), (-180...180).contains(lon) else { throw Invalid("Invalid longitude in Local Center.") }
            centers.append(.coordinate(GeoPoint(latitude: lat, longitude: lon)))
        }
        return centers
    }

    /// The hash as Invoca's GET shows it: every key present, the unused ones empty.
    public var fields: (tnPrefix: String, zipcode: String, latitude: Double?, longitude: Double?) {
        switch self {
        case .tnPrefix(let p): (p, "", nil, nil)
        case .zipcode(let z): ("", z, nil, nil)
        case .coordinate(let point): ("", "", point.latitude, point.longitude)
        }
    }
}

/// Invoca's `local_number_preferences`.
public struct LocalNumberPreferences: Hashable, Sendable {
    public enum Fallback: String, Sendable, CaseIterable {
        case useTollFree = "UseTollFree"
        case wait = "Wait"
    }

    public static let defaultSearchRadiusMiles = 240

    public var searchRadiusMiles: Int
    public var restrictToState: Bool
    public var allocationFallbackStrategy: Fallback

    public init(searchRadiusMiles: Int = defaultSearchRadiusMiles, restrictToState: Bool = true, allocationFallbackStrategy: Fallback = .useTollFree) {
        self.searchRadiusMiles = searchRadiusMiles
        self.restrictToState = restrictToState
        self.allocationFallbackStrategy = allocationFallbackStrategy
    }
}

/// Choosing the numbers of a local pool from an inventory.
public enum LocalPoolRules {
    /// An NPA (`805`) or NPA-NXX (`805612`): three or six digits, not starting with 0 or 1.
    public static func isPrefix(_ text: String) -> Bool {
        (text.count == 3 || text.count == 6) && text.allSatisfy(\.isASCIIDigit) && !text.hasPrefix("0") && !text.hasPrefix("1")
    }

    /// The centre and state a local pool searches around, or why it has none.
    public static func resolve(_ center: LocalCenter, in geo: GeoDirectory) throws(LocalCenter.Invalid) -> GeoDirectory.Place {
        switch center {
        case .tnPrefix(let prefix):
            guard let place = geo.areaCodes[String(prefix.prefix(3))] else {
                throw LocalCenter.Invalid("Unknown tn_prefix in Local Center.")
            }
            return place
        case .zipcode(let zip):
            guard let place = geo.zipCodes[zip] else { throw LocalCenter.Invalid("Unknown zipcode in Local Center.") }
            return place
        case .coordinate(let point):
            guard let nearest = geo.nearestZip(to: point) else { throw LocalCenter.Invalid("No state is known near the Local Center.") }
            return GeoDirectory.Place(point: point, state: nearest.state)
        }
    }

    /// A local number that could serve the pool, and how far its area is from the centre.
    public struct Candidate: Hashable, Sendable {
        public let number: TrackingNumber
        public let miles: Double
    }

    /// The local numbers eligible for a pool centred on `center`, nearest first (ties in
    /// number order): within the radius, in the centre's state when restricted, and under
    /// the whitelist when one is given. A number's place is its area code's centre; its
    /// own `state`, when the inventory says, wins over the area code's.
    public static func localCandidates(
        _ inventory: [TrackingNumber], center: GeoDirectory.Place, preferences: LocalNumberPreferences,
        whitelist: [String], geo: GeoDirectory
    ) -> [Candidate] {
        inventory.compactMap { number -> Candidate? in
            guard number.kind == .local, let areaCode = number.areaCode ?? number.number.areaCode,
                  let place = geo.areaCodes[areaCode] else { return nil }
            if !whitelist.isEmpty, !whitelist.contains(where: { number.number.digits.dropFirst().hasPrefix($0) }) { return nil }
            let state = number.state ?? place.state
            if preferences.restrictToState, state != center.state { return nil }
            let miles = place.point.miles(to: center.point)
            guard miles <= Double(preferences.searchRadiusMiles) else { return nil }
            return Candidate(number: number, miles: miles)
        }.sorted { ($0.miles, $0.number.number) < ($1.miles, $1.number.number) }
    }
}
