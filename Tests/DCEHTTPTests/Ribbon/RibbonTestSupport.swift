import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A ribbon client (account, key and profile) for tests.
struct RibbonTestClient: Sendable {
    let account: Account
    let key: String
    var clientID: String { account.name }

    static func make(
        _ database: any Database, name: String = "client-demo", displayName: String = "Demo Client",
        plan: String = "trial", limit: Int = 100, domains: [String] = ["yourcrm.com"],
        token: String = "9875596a6e1be7bfaa865f43a028ec40f980e57fdeb4de8c",
        userID: String = "f6e23a8c3ce28cda4a76bce715dd714e1d138183f58179df"
    ) async throws -> RibbonTestClient {
        let accounts = AccountDirectory(database: database)
        let account = try await accounts.create(name: name)
        let key = try await accounts.issueKey(for: account.id, label: "ribbon")
        try await RibbonClientDirectory(database: database).save(
            RibbonClientProfile(name: displayName, plan: plan, monthlyCallLimit: limit, allowedDomains: domains,
                                exotelToken: token, exotelUserID: userID),
            for: account.id
        )
        return RibbonTestClient(account: account, key: key.plaintext)
    }
}

/// The seed's examples, kept next to the tests as `Fixtures/*.json` (source: seed 003,
/// "Exotel Call Ribbon - Complete API Documentation").
enum RibbonFixture {
    static func url(_ name: String) -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures")
            ?? Bundle.module.url(forResource: base, withExtension: ext)!
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: text(name))
    }

    /// A seed request body with this test's API key in it.
    static func request(_ name: String, key: String) throws -> JSONValue {
        var body = try json(name).object ?? [:]
        body["apiKey"] = .string(key)
        return .object(body)
    }
}

/// The shape of a JSON document: keys, nesting and value types, not values. Members whose
/// content the client defines (`customerData`, `data`, `customFields`) are compared as
/// objects only; objects keyed by numbers or dates (`callsByDate`, `callsByHour`) as maps.
enum JSONShape {
    static let clientDefined: Set<String> = ["customerData", "data", "customFields"]

    static func of(_ value: JSONValue, key: String? = nil) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array(let array):
            return "[" + (array.first.map { of($0) } ?? "") + "]"
        case .object(let object):
            if let key, clientDefined.contains(key) { return "object" }
            if !object.isEmpty, object.keys.allSatisfy(isMapKey) {
                let values = Set(object.values.map { of($0) })
                return "map<" + values.sorted().joined(separator: "|") + ">"
            }
            return "{" + object.sorted { $0.key < $1.key }.map { "\($0.key): \(of($0.value, key: $0.key))" }.joined(separator: ", ") + "}"
        }
    }

    static func isMapKey(_ key: String) -> Bool {
        !key.isEmpty && (key.allSatisfy(\.isNumber) || (key.count == 10 && Timestamp(parsing: key) != nil))
    }
}

extension TestClientProtocol {
    func ribbonPost(_ path: String, _ body: JSONValue, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: path, method: .post, headers: fields, body: body.body)
    }

    func ribbonGet(_ path: String, key: String?, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if let key { fields[HTTPField.Name("X-API-Key")!] = key }
        return try await execute(uri: path, method: .get, headers: fields)
    }

    /// Logs one ribbon event and expects it accepted.
    @discardableResult
    func logCall(
        key: String, event: String, callSid: String, at timestamp: String? = nil, direction: String? = "outbound",
        phone: String? = "+919876543210", customerID: String? = "CUST001", name: String? = "John Doe",
        duration: Int? = nil, domain: String? = "yourcrm.com"
    ) async throws -> TestResponse {
        var data: [String: JSONValue] = ["callSid": .string(callSid)]
        data["callDirection"] = direction.map(JSONValue.string)
        data["phoneNumber"] = phone.map(JSONValue.string)
        data["duration"] = duration.map { .integer($0) }
        var customer: [String: JSONValue] = [:]
        customer["customerId"] = customerID.map(JSONValue.string)
        customer["name"] = name.map(JSONValue.string)
        if !customer.isEmpty { data["customerData"] = .object(customer) }
        var body: [String: JSONValue] = ["apiKey": .string(key), "event": .string(event), "data": .object(data)]
        body["timestamp"] = timestamp.map(JSONValue.string)
        body["domain"] = domain.map(JSONValue.string)
        return try await ribbonPost("/api/ribbon/log-call", .object(body))
    }

    /// A completed call as the seed tells it: incoming, connected, then callEnded after 180 s.
    func logCompletedCall(key: String, callSid: String, start: String, customerID: String? = "CUST001",
                          name: String? = "John Doe", direction: String = "outbound", duration: Int = 180) async throws {
        let startTime = Timestamp(parsing: start)!
        let end = RibbonFormatting.time(startTime.adding(seconds: Int64(duration)))
        try await logCall(key: key, event: "incoming", callSid: callSid, at: start, direction: direction, customerID: customerID, name: name)
        try await logCall(key: key, event: "connected", callSid: callSid, at: start, direction: direction, customerID: customerID, name: name)
        try await logCall(key: key, event: "callEnded", callSid: callSid, at: end, direction: direction, customerID: customerID,
                          name: name, duration: duration)
    }
}

enum RibbonFormatting {
    static func time(_ timestamp: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: timestamp.date)
    }
}

/// A small RFC 4180 reader, to check that what dce writes reads back field for field.
enum CSVReader {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
