import Foundation

/// A place on the earth in decimal degrees.
public struct GeoPoint: Hashable, Sendable {
    public let latitude: Double
    public let longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Mean earth radius in statute miles.
    public static let earthRadiusMiles = 3958.8

    /// Great-circle distance (haversine), in miles.
    public func miles(to other: GeoPoint) -> Double {
        let lat1 = latitude * .pi / 180, lat2 = other.latitude * .pi / 180
        let dLat = lat2 - lat1
        let dLon = (other.longitude - longitude) * .pi / 180
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat1) * cos(lat2) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * Self.earthRadiusMiles * asin(min(1, sqrt(a)))
    }

    public var isValid: Bool { (-90...90).contains(latitude) && (-180...180).contains(longitude) }
}

/// Where North American area codes and US ZIP codes are: the centre and state of every
/// area code, the point and state of every ZIP. Built from the shipped data file.
public struct GeoDirectory: Sendable {
    public struct Place: Hashable, Sendable {
        public let point: GeoPoint
        public let state: String
    }

    public let areaCodes: [String: Place]
    public let zipCodes: [String: Place]

    public init(areaCodes: [String: Place], zipCodes: [String: Place]) {
        self.areaCodes = areaCodes
        self.zipCodes = zipCodes
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "geo data line \(line): \(reason)" }
    }

    /// Reads the compact format written by `scripts/generate-geo-data.py`:
    /// `A <npa> <state> <lat> <lon>` for area codes, then one `S <state>` line per state
    /// followed by its ZIPs as `<zip-delta> <lat*100> <lon*100>`, ZIPs ascending, each
    /// written as the difference from the previous ZIP (so most are a digit or two).
    public init(parsing text: String) throws(FormatError) {
        var areaCodes: [String: Place] = [:]
        var zipCodes: [String: Place] = [:]
        var state: String?
        var previousZip = 0
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            lineNumber += 1
            if rawLine.hasPrefix("#") { continue }
            let parts = rawLine.split(separator: " ")
            switch parts.first {
            case "A":
                guard parts.count == 5, let lat = Double(parts[3]), let lon = Double(parts[4]) else {
                    throw FormatError(line: lineNumber, reason: "an area code line is 'A npa state lat lon'")
                }
                areaCodes[String(parts[1])] = Place(point: GeoPoint(latitude: lat, longitude: lon), state: String(parts[2]))
            case "S":
                guard parts.count == 2 else { throw FormatError(line: lineNumber, reason: "a state line is 'S XX'") }
                state = String(parts[1])
                previousZip = 0
            default:
                guard let state, parts.count == 3, let delta = Int(parts[0]), let lat = Int(parts[1]), let lon = Int(parts[2]) else {
                    throw FormatError(line: lineNumber, reason: "a ZIP line is 'delta lat lon' after a state line")
                }
                previousZip += delta
                let zip = String(previousZip)
                let padded = String(repeating: "0", count: max(0, 5 - zip.count)) + zip
                zipCodes[padded] = Place(point: GeoPoint(latitude: Double(lat) / 100, longitude: Double(lon) / 100), state: state)
            }
        }
        self.areaCodes = areaCodes
        self.zipCodes = zipCodes
    }

    /// The ZIP nearest a point: used to tell which state a latitude/longitude is in.
    public func nearestZip(to point: GeoPoint) -> Place? {
        var best: (Place, Double)?
        for place in zipCodes.values {
            let distance = place.point.miles(to: point)
            if distance < (best?.1 ?? .infinity) { best = (place, distance) }
        }
        return best?.0
    }
}
