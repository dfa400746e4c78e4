import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird
import NIOCore

/// A refusal in Invoca's exact shape: 403 `{"errors":{"class":"RecordInvalid","invalid_data":"…"}}`.
struct RecordInvalid: Error, HTTPResponseError {
    let invalidData: String
    init(_ invalidData: String) { self.invalidData = invalidData }

    var status: HTTPResponse.Status { .forbidden }
    var headers: HTTPFields { [.contentType: "application/json; charset=utf-8"] }

    struct Body: Encodable { let errors: Errors }
    struct Errors: Encodable {
        let `class`: String
        let invalid_data: String
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Body(errors: Errors(class: "RecordInvalid", invalid_data: invalidData)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A RingPool as a network writes it (POST or PUT), applied over the stored pool or the
/// defaults. Invoca accepts numbers and booleans as JSON values or as strings ("3",
/// "true"), so both are read.
struct RingPoolInput {
    let fields: [String: JSONValue]

    /// Reads the body: not JSON, or not an object, is a 400 naming no field.
    init(body: [UInt8]) throws {
        guard let value = JSONValue.parse(bytes: body) else {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        guard case .object(let fields) = value else {
            throw APIError.badRequest("the body must be a JSON object of RingPool properties", code: "malformed_json")
        }
        self.fields = fields
    }

    var idFromNetwork: String? { Self.text(fields["id_from_network"]) }

    /// The pool after this input: `base` changed by every property the input carries.
    func apply(to base: RingPool, geo: GeoDirectory) throws -> RingPool {
        var pool = base
        if fields.keys.contains("name") { pool.name = Self.text(fields["name"]) }
        if fields.keys.contains("destination_url") {
            let url = Self.text(fields["destination_url"])
            if let url, !url.isEmpty {
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                    throw RecordInvalid("Destination url is not a valid http or https URL.")
                }
            }
            pool.destinationURL = url?.isEmpty == true ? nil : url
        }
        if fields.keys.contains("destination_type") {
            let type = Self.text(fields["destination_type"])
            if let type, !["Advertiser", "Affiliate", "API"].contains(type) {
                throw RecordInvalid("Destination type must be one of Advertiser, Affiliate, API.")
            }
            pool.destinationType = type
        }
        if pool.destinationType == "Affiliate", pool.destinationURL == nil {
            throw RecordInvalid("Destination url is required when destination type is Affiliate.")
        }
        if fields.keys.contains("destination_phone_number") {
            if let text = Self.text(fields["destination_phone_number"]), !text.isEmpty {
                do { pool.destinationPhoneNumber = try PhoneNumber(parsing: text) } catch {
                    throw RecordInvalid("Destination phone number is invalid: \(error.description).")
                }
            } else {
                pool.destinationPhoneNumber = nil
            }
        }
        if let value = fields["lifetime_seconds"] {
            guard let seconds = Self.integer(value), LeasePolicy.lifetimeRange.contains(seconds) else {
                throw RecordInvalid("Lifetime seconds must be an integer from \(LeasePolicy.lifetimeRange.lowerBound) to \(LeasePolicy.lifetimeRange.upperBound).")
            }
            pool.lifetimeSeconds = seconds
        }
        if let value = fields["max_pool_size"] {
            guard let size = Self.integer(value), LeasePolicy.maxPoolSizeRange.contains(size) else {
                throw RecordInvalid("Max pool size must be an integer from \(LeasePolicy.maxPoolSizeRange.lowerBound) to \(LeasePolicy.maxPoolSizeRange.upperBound).")
            }
            pool.maxPoolSize = size
        }
        if let value = fields["preferred"] {
            guard let flag = Self.boolean(value) else { throw RecordInvalid("Preferred must be true or false.") }
            pool.preferred = flag
        }
        // dce fills a pool to max_pool_size at once (GET answers `fill_immediately: true`);
        // Invoca's own example sends false, so the value is read and checked, not refused.
        if let value = fields["fill_immediately"], value != .null, Self.boolean(value) == nil {
            throw RecordInvalid("Fill immediately must be true or false.")
        }
        if let value = fields["allow_overflow"] {
            guard let flag = Self.boolean(value) else { throw RecordInvalid("Allow overflow must be true or false.") }
            pool.allowOverflow = flag
        }
        if let value = fields["local_center"] {
            pool.localCenter = try Self.localCenter(value, geo: geo)
        }
        if let value = fields["local_number_preferences"] {
            pool.localPreferences = try Self.preferences(value)
        }
        if let value = fields["tn_prefix_whitelist"] {
            pool.tnPrefixWhitelist = try Self.whitelist(value)
        }
        return pool
    }

    static func localCenter(_ value: JSONValue, geo: GeoDirectory) throws -> LocalCenter? {
        if value == .null { return nil }
        guard case .object(let hash) = value else { throw RecordInvalid("Local Center must be a hash.") }
        var strings: [String: String] = [:]
        for (key, item) in hash {
            guard LocalCenter.keys.contains(key) else { throw RecordInvalid("Invalid Key in Local Center.") }
            if item == .null { continue }
            guard let text = text(item) else { throw RecordInvalid("Invalid \(key) in Local Center.") }
            strings[key] = text
        }
        // The first centre, in Invoca's documented order, that dce can place; when none
        // can be placed, the first one's reason.
        do {
            // Empty means absent: a hash of empty centres is no centre, as Invoca's GET
            // writes a pool's unused keys as "".
            let centers = try LocalCenter.candidates(fields: strings)
            if centers.isEmpty { return nil }
            return try firstPlaced(centers, geo: geo)
        } catch {
            throw RecordInvalid(error.message)
        }
    }

    static func firstPlaced(_ centers: [LocalCenter], geo: GeoDirectory) throws(LocalCenter.Invalid) -> LocalCenter {
        var firstRefusal: LocalCenter.Invalid?
        for center in centers {
            do {
                _ = try LocalPoolRules.resolve(center, in: geo)
                return center
            } catch {
                firstRefusal = firstRefusal ?? error
            }
        }
        throw firstRefusal ?? LocalCenter.Invalid("Local Center requires one of tn_prefix, zipcode, or latitude and longitude.")
    }

    static func preferences(_ value: JSONValue) throws -> LocalNumberPreferences? {
        if value == .null { return nil }
        guard case .object(let hash) = value else { throw RecordInvalid("Local Number Preferences must be a hash.") }
        var preferences = LocalNumberPreferences()
        for (key, item) in hash {
            switch key {
            case "search_radius_miles":
                guard let miles = integer(item), miles >= 0 else {
                    throw RecordInvalid("Search radius miles must be an integer greater than or equal to 0.")
                }
                preferences.searchRadiusMiles = miles
            // Seed 004 spells it `restrict_to_state`, Invoca's current docs `restrict_search_to_state`.
            case "restrict_to_state", "restrict_search_to_state":
                guard let flag = boolean(item) else { throw RecordInvalid("Restrict to state must be true or false.") }
                preferences.restrictToState = flag
            case "allocation_fallback_strategy":
                guard let text = text(item), let strategy = LocalNumberPreferences.Fallback(rawValue: text) else {
                    throw RecordInvalid("Allocation fallback strategy must be UseTollFree or Wait.")
                }
                preferences.allocationFallbackStrategy = strategy
            default:
                throw RecordInvalid("Invalid Key in Local Number Preferences.")
            }
        }
        return preferences
    }

    static func whitelist(_ value: JSONValue) throws -> [String] {
        if value == .null { return [] }
        guard case .array(let items) = value else { throw RecordInvalid("Tn prefix whitelist must be an array of strings.") }
        return try items.map { item in
            guard let prefix = text(item), LocalPoolRules.isPrefix(prefix) else {
                throw RecordInvalid("Tn prefix whitelist entries must be an npa or npa nxx such as \"805\" or \"805612\".")
            }
            return prefix
        }
    }

    // MARK: - Invoca's loose JSON values

    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let string): string
        case .number(let text)?:
            if let integer = value?.exactInteger { String(integer) }
            else if let number = value?.double { number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number) }
            else { text }
        default: nil
        }
    }

    static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .number:
            if let integer = value.exactInteger { Int(exactly: integer) }
            else if let number = value.double { number == number.rounded() && abs(number) < 1e12 ? Int(number) : nil }
            else { nil }
        case .string(let string): Int(string.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    static func boolean(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .string(let string) where ["true", "1"].contains(string.lowercased()): true
        case .string(let string) where ["false", "0"].contains(string.lowercased()): false
        default: nil
        }
    }
}
