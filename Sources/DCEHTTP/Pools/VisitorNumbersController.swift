import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// The number requests of retreaver-js (and of dce's own `/dce.js`), unchanged:
/// `POST /api/v1/numbers?campaign_key=…` with `{u, st, ou, ga, c, visitor_id}` (base64
/// values) leases a number of the pool whose key is the campaign key;
/// `POST /api/v1/numbers/ping` with `{ids, hashes}` keeps the leases alive.
/// Bodies come as JSON, or as `k=v&…` from old browsers' cross-domain requests.
struct VisitorNumbersController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        let group = router.group("api/v1").add(middleware: VisitorCORSMiddleware<AppRequestContext>())
        group.post("numbers", use: request)
        group.on("numbers", method: .options, use: VisitorCORSMiddleware<AppRequestContext>.preflight)
        group.post("numbers/ping", use: ping)
        group.on("numbers/ping", method: .options, use: VisitorCORSMiddleware<AppRequestContext>.preflight)
    }

    @Sendable func request(request: Request, context: AppRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let key = parameters.get("campaign_key"), !key.isEmpty else {
            throw APIError.badRequest("campaign_key is required in the query string", field: "campaign_key", code: "missing_field")
        }
        let body = try await VisitorBody.read(request)
        let session = try body.session()
        guard let found = try await services.pools.store.pool(key: key) else {
            throw APIError.notFound("no campaign with key '\(key)'")
        }
        let (accountID, pool) = found
        let defaultNumber = try parameters.get("default_number").map { try VisitorBody.phone($0, field: "default_number") }
        let outcome = try await services.pools.lease(from: pool, accountID: accountID, session: session)
        let shown: PhoneNumber
        let lease = outcome.lease
        if let lease {
            shown = lease.number
        } else if let fallback = AllocateNumberController.exhaustedAnswer(pool, outcome: outcome) ?? defaultNumber {
            shown = fallback
        } else {
            // retreaver-js treats an empty number as "no number": the page keeps its own.
            return try JSONResponse(["number": ""]).response(from: request, context: context)
        }
        let replaced = [defaultNumber, pool.destinationPhoneNumber].compactMap { $0 }.filter { $0 != shown }
        var replacements: [VisitorNumberJSON.Replacement] = []
        for original in Set(replaced).sorted() {
            replacements += NumberFormats.replacements(of: original, with: shown).map { .init(find: $0.find, replace_with: $0.replaceWith) }
        }
        let number = VisitorNumberJSON(
            id: lease?.id ?? 0, campaign_key: key, number: shown.e164, formatted_number: shown.nationalFormat,
            plain_number: NumberFormats.plain(shown), target_open: true, is_per_visitor: lease != nil,
            tag_values: lease?.tags ?? [:], id_checksum: lease?.token ?? "", replacement_numbers: replacements,
            integrations: [:], visitor_id: lease?.visitorID ?? session.visitorID,
            expires_at: lease?.expiresAt, lifetime_seconds: pool.lifetimeSeconds
        )
        return try JSONResponse(["number": number]).response(from: request, context: context)
    }

    @Sendable func ping(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await VisitorBody.read(request)
        let ids = try body.list("ids")
        let hashes = try body.list("hashes")
        guard ids.count == hashes.count else {
            throw APIError.badRequest("'ids' and 'hashes' must have the same length", field: "hashes")
        }
        guard ids.count <= 100 else { throw APIError.badRequest("at most 100 ids per ping", field: "ids") }
        let pairs = try zip(ids, hashes).map { id, hash -> (id: Int64, token: String) in
            guard let number = Int64(id) else { throw APIError.badRequest("'\(id)' is not a number id", field: "ids") }
            return (number, hash)
        }
        let alive = try await services.pools.desk.keepAlive(pairs)
        let aliveIDs = Set(alive.map(\.id))
        struct Status: Encodable, Sendable {
            let id: Int64
            let is_active: String
            let expires_at: Timestamp?
        }
        let numbers = pairs.map { pair in
            Status(id: pair.id, is_active: aliveIDs.contains(pair.id) ? "true" : "false",
                   expires_at: alive.first { $0.id == pair.id }?.expiresAt)
        }
        return try JSONResponse(["numbers": numbers]).response(from: request, context: context)
    }
}

/// retreaver-js's number, with the fields its `Retreaver.Number` reads.
struct VisitorNumberJSON: Encodable, Sendable {
    struct Replacement: Encodable, Sendable, Hashable {
        let find: String
        let replace_with: String
    }
    let id: Int64
    let campaign_key: String
    let number: String
    let formatted_number: String
    let plain_number: String
    let target_open: Bool
    let is_per_visitor: Bool
    let tag_values: [String: String]
    let id_checksum: String
    let replacement_numbers: [Replacement]
    let integrations: [String: String]
    let visitor_id: String?
    let expires_at: Timestamp?
    let lifetime_seconds: Int
}

/// The body of a visitor request: a JSON object of strings (or arrays, for ping), or
/// `k=v&…` as old browsers post it.
struct VisitorBody {
    let values: [String: JSONValue]

    static func read(_ request: Request) async throws -> VisitorBody {
        let body = try await CollectedBody.collect(request, limit: 64 * 1024)
        if body.truncated { throw APIError.tooLarge("the body is larger than 64 KiB") }
        let text = String(decoding: body.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return VisitorBody(values: [:]) }
        if text.hasPrefix("{") {
            guard let value = JSONValue.parse(text), case .object(let object) = value else {
                throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
            }
            return VisitorBody(values: object)
        }
        // Form pairs are not percent-encoded by retreaver-js: base64's '+' must stay a '+'.
        var values: [String: JSONValue] = [:]
        for part in text.split(separator: "&") {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(pieces[0])] = .string(pieces.count > 1 ? String(pieces[1]) : "")
        }
        return VisitorBody(values: values)
    }

    /// A string field, or nil when absent; anything else is a 400 naming it.
    func string(_ field: String) throws -> String? {
        switch values[field] {
        case nil, .null: return nil
        case .string(let text): return text
        case let number? where number.exactInteger != nil: return number.exactInteger.map { String($0) }
        default: throw APIError.badRequest("'\(field)' must be a string", field: field, code: "invalid_field")
        }
    }

    /// A base64 field (retreaver-js encodes u, st, ou, ga, c), decoded.
    func base64(_ field: String) throws -> String? {
        guard let text = try string(field), !text.isEmpty else { return nil }
        var padded = text.replacingOccurrences(of: " ", with: "+")
        while padded.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded), let decoded = String(data: data, encoding: .utf8) else {
            throw APIError.badRequest("'\(field)' is not base64-encoded text", field: field, code: "invalid_field")
        }
        return decoded
    }

    /// `ids` and `hashes` of a ping: arrays of numbers or strings.
    func list(_ field: String) throws -> [String] {
        guard let value = values[field] else {
            throw APIError.badRequest("'\(field)' is required", field: field, code: "missing_field")
        }
        guard case .array(let items) = value else {
            throw APIError.badRequest("'\(field)' must be an array", field: field, code: "invalid_field")
        }
        return try items.map { item in
            switch item {
            case .string(let text): return text
            case let number where number.exactInteger != nil: return number.exactInteger.map { String($0) } ?? ""
            default: throw APIError.badRequest("'\(field)' holds a value that is neither a string nor a number", field: field, code: "invalid_field")
            }
        }
    }

    /// The visitor session the request describes.
    func session() throws -> VisitorSession {
        var tags: [String: String] = [:]
        if let scriptTags = try base64("st") {
            for (key, value) in VisitorSession.pairs(scriptTags) { tags[key] = value }
        }
        if let account = try base64("ga"), !account.isEmpty, account != "FAILED" { tags["ga_account"] = account }
        if let cookies = try base64("c"), cookies != "{}" { tags["ga_cookies"] = String(cookies.prefix(Tags.maximumValueLength)) }
        guard tags.count <= Tags.maximumPerWrite else {
            throw APIError.badRequest("\(tags.count) tags; at most \(Tags.maximumPerWrite) are allowed", field: "st", code: "invalid_field")
        }
        let page = try base64("u")
        let original = try base64("ou")
        let visitor = try string("visitor_id").flatMap { $0.isEmpty || $0 == "null" ? nil : $0 }
        for (field, url) in [("u", page), ("ou", original)] {
            if let url, url.count > Tags.maximumValueLength {
                throw APIError.badRequest("'\(field)' is longer than \(Tags.maximumValueLength) characters", field: field, code: "invalid_field")
            }
        }
        if let visitor, visitor.count > 128 {
            throw APIError.badRequest("'visitor_id' is longer than 128 characters", field: "visitor_id", code: "invalid_field")
        }
        return VisitorSession(pageURL: page, originalURL: original, visitorID: visitor ?? "v_" + Token.random(length: 20), tags: tags)
    }

    static func phone(_ text: String, field: String) throws -> PhoneNumber {
        do { return try PhoneNumber(parsing: text.removingPercentEncoding ?? text) } catch {
            throw APIError.badRequest("\(field): \(error.description)", field: field, code: "invalid_field")
        }
    }
}
