import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// retreaver-js's tag calls on a leased number (`number.add_tags`, `replace_tags`,
/// `remove_tags`, `remove_tags_by_keys`, `clear_tags`): `{tag_values | tag_keys | all, ids,
/// campaign_key}`. The session's tags are what a call to the number will carry.
///
/// retreaver-js sends nothing but the lease's id with these calls, so the id is what proves
/// the caller holds the lease: it is random (`LeaseDesk.newLeaseID`), given only to the page
/// that leased the number, and names only a live lease of the campaign named with it.
struct VisitorTagsController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        let group = router.group("api/v1").add(middleware: VisitorCORSMiddleware<AppRequestContext>())
        for path in ["numbers/tag", "numbers/replace_tags", "numbers/untag", "numbers/untag/keys"] {
            group.post(RouterPath(path), use: { request, context in try await change(path, request: request, context: context) })
            group.on(RouterPath(path), method: .options, use: VisitorCORSMiddleware<AppRequestContext>.preflight)
        }
    }

    func change(_ path: String, request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await VisitorBody.read(request)
        guard let key = try body.string("campaign_key"), !key.isEmpty else {
            throw APIError.badRequest("'campaign_key' is required", field: "campaign_key", code: "missing_field")
        }
        let ids = try body.list("ids").map { id -> Int64 in
            guard let number = Int64(id) else { throw APIError.badRequest("'\(id)' is not a number id", field: "ids", code: "invalid_field") }
            return number
        }
        let all = try body.string("all") == "true"
        let change: SessionTagChange
        switch path {
        case "numbers/untag/keys":
            change = .removeKeys(try body.list("tag_keys"))
        case "numbers/untag" where all:
            change = .removeAll
        default:
            let tags = try body.tagValues()
            change = path == "numbers/untag" ? .remove(tags) : .add(tags)
        }
        guard try await services.pools.store.pool(key: key) != nil else {
            throw APIError.notFound("no campaign with key '\(key)'")
        }
        let changed: [Lease]
        do {
            changed = try await services.pools.desk.retag(ids, poolKey: key, change: change)
        } catch let error as SessionTagError {
            throw APIError.badRequest(error.description, field: "tag_values", code: "invalid_field")
        }
        struct Changed: Encodable, Sendable {
            let id: Int64
            let tag_values: [String: String]
        }
        return try JSONResponse(["numbers": changed.map { Changed(id: $0.id, tag_values: $0.tags) }]).response(from: request, context: context)
    }
}

extension VisitorBody {
    /// `tag_values`: an object of strings (numbers and booleans are taken as text), or
    /// retreaver-js's `"key:value,key2:value2"` string form.
    func tagValues() throws -> [String: String] {
        switch values["tag_values"] {
        case .object(let object):
            var tags: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case .string(let text): tags[key] = text
                case .number(let text): tags[key] = value.exactInteger.map { String($0) } ?? value.double.map { String($0) } ?? text
                case .bool(let flag): tags[key] = String(flag)
                default: throw APIError.badRequest("tag '\(key)' must be a string", field: "tag_values.\(key)", code: "invalid_field")
                }
            }
            return tags
        case .string(let text):
            var tags: [String: String] = [:]
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { throw APIError.badRequest("tag_values is 'key:value,…'", field: "tag_values", code: "invalid_field") }
                tags[String(parts[0])] = String(parts[1])
            }
            return tags
        case nil:
            throw APIError.badRequest("'tag_values' is required", field: "tag_values", code: "missing_field")
        default:
            throw APIError.badRequest("'tag_values' must be an object", field: "tag_values", code: "invalid_field")
        }
    }
}
