import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The routes web pages call: retreaver-js's number request and ping (the requests of
/// github.com/retreaver/retreaver-js src/retreaver/base/request_number.js and number.js),
/// Invoca's allocate_number.json and /dce.js.
@Suite struct VisitorNumbersAPITests {
    static let poolPath = "/api/2020-10-01/1234/advertisers/adv-1/advertiser_campaigns/camp-1/ring_pools"

    /// A pool of `numbers`, allocated; returns its key and numeric id.
    static func pool(_ client: any TestClientProtocol, _ services: AppServices, _ account: TestAccount, numbers: [String],
                     extra: String = "") async throws -> (key: String, id: Int) {
        for number in numbers {
            _ = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "\#(number)"}"#))
        }
        let body = #"{"id_from_network": "web", "max_pool_size": \#(numbers.count), "destination_phone_number": "(888) 555-4444", "destination_url": "https://shop.example/landing"\#(extra)}"#
        let created = try await client.execute(uri: "\(poolPath).json", method: .post, headers: .bearer(account.key), body: .json(body))
        await services.pools.allocateNow()
        return (try #require(created.value["ring_pool_key"]?.string), try #require(created.value["id"]?.int))
    }

    static func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The body retreaver-js posts.
    static func retreaverBody(page: String, tags: String = "", visitor: String? = nil) -> String {
        var body = #"{"u": "\#(b64(page))", "st": "\#(b64(tags))", "ga": "\#(b64("FAILED"))""#
        if let visitor { body += #", "visitor_id": "\#(visitor)""# }
        return body + "}"
    }

    @Test(arguments: TestEngine.all)
    func retreaverJSGetsANumberKeepsItAliveAndTheCallIsAttributed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let (key, _) = try await Self.pool(client, services, account, numbers: ["+18665550100", "+18665550101"])
            // run: the request retreaver-js makes (note its '?&' query)
            let page = "https://shop.example/pricing?utm_source=google&utm_campaign=winter&gclid=abc"
            let response = try await client.execute(
                uri: "/api/v1/numbers?&campaign_key=\(key)&default_number=8885554444", method: .post,
                headers: [.contentType: "application/json", .origin: "https://shop.example"],
                body: .json(Self.retreaverBody(page: page, tags: "&calling_about=support"))
            )
            // validate
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
            let number = try #require(response.value["number"])
            for field in ["id", "campaign_key", "number", "formatted_number", "plain_number", "target_open", "is_per_visitor",
                          "tag_values", "id_checksum", "replacement_numbers", "integrations"] {
                #expect(number[field] != nil, "missing \(field)")
            }
            let e164 = try #require(number["number"]?.string)
            #expect(["+18665550100", "+18665550101"].contains(e164))
            #expect(number["campaign_key"]?.string == key)
            #expect(number["is_per_visitor"] == true)
            #expect(number["plain_number"]?.string == String(e164.dropFirst(2)))
            let tags = try #require(number["tag_values"])
            #expect(tags["utm_source"] == "google")
            #expect(tags["calling_about"] == "support")
            let replacements = try #require(number["replacement_numbers"]?.array)
            #expect(replacements.contains(["find": "(888) 555-4444", "replace_with": .string(try PhoneNumber(parsing: e164).nationalFormat)]))
            #expect(replacements.contains(["find": "8885554444", "replace_with": .string(String(e164.dropFirst(2)))]))

            // run: the ping retreaver-js sends every 15 s
            let id = try #require(number["id"]?.int)
            let checksum = try #require(number["id_checksum"]?.string)
            let ping = try await client.execute(uri: "/api/v1/numbers/ping", method: .post, headers: [.contentType: "application/json"],
                                                body: .json(#"{"ids": [\#(id), 999999], "hashes": ["\#(checksum)", "nope"]}"#))
            #expect(ping.status == .ok)
            let statuses = try #require(ping.value["numbers"]?.array)
            #expect(statuses.map { $0["is_active"]?.string } == ["true", "false"])

            // run: number.add_tags, then number.remove_tags_by_keys
            let tagged = try await client.execute(uri: "/api/v1/numbers/tag", method: .post, headers: [.contentType: "application/json"],
                                                  body: .json(#"{"tag_values": {"lead": "hot", "score": 7}, "ids": [\#(id)], "campaign_key": "\#(key)"}"#))
            #expect(tagged.status == .ok)
            let taggedValues = tagged.value["numbers"]?[0]?["tag_values"]
            #expect(taggedValues?["lead"] == "hot")
            #expect(taggedValues?["score"] == "7")
            let untagged = try await client.execute(uri: "/api/v1/numbers/untag/keys", method: .post, headers: [.contentType: "application/json"],
                                                    body: .json(#"{"tag_keys": ["score"], "ids": [\#(id)], "campaign_key": "\#(key)"}"#))
            #expect(untagged.value["numbers"]?[0]?["tag_values"] == taggedValues?.removing("score"))

            // run: a vendor reports a call to the leased number
            let event = #"{"idempotency_key": "c-1", "external_call_id": "c-1", "tracking_number": "\#(e164)", "call_started_at": "\#(Timestamp.now().iso8601)"}"#
            let appended = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(event))
            let call = try await client.execute(uri: "/v1/calls/\(appended.value["call_id"]?.string ?? "")", method: .get, headers: .bearer(account.key))
            let metadata = try #require(call.value["call_metadata"])
            #expect(metadata["utm_source"] == "google")
            #expect(metadata["utm_campaign"] == "winter")
            #expect(metadata["gclid"] == "abc")
            #expect(metadata["page_url"]?.string == page)
            #expect(metadata["visitor_id"] == number["visitor_id"])
            #expect(metadata["lead"] == "hot")
        }
    }

    @Test(arguments: TestEngine.all)
    func badVisitorRequestsAreRefusedNamingTheProblem(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let (key, _) = try await Self.pool(client, services, account, numbers: ["+18665550100"])
            let unknown = try await client.execute(uri: "/api/v1/numbers?campaign_key=nope", method: .post,
                                                   headers: [.contentType: "application/json"], body: .json(Self.retreaverBody(page: "https://x.example/")))
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
            let cases: [(String, String?)] = [
                ("{nope", nil),
                (#"{"u": 12.5}"#, "u"),
                (#"{"u": "***"}"#, "u"),
                (#"{"st": ["a"]}"#, "st"),
            ]
            for (body, field) in cases {
                let response = try await client.execute(uri: "/api/v1/numbers?campaign_key=\(key)", method: .post,
                                                        headers: [.contentType: "application/json"], body: .json(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorField == field, "\(body)")
            }
            let ping = try await client.execute(uri: "/api/v1/numbers/ping", method: .post, headers: [.contentType: "application/json"],
                                                body: .json(#"{"ids": [1, 2], "hashes": ["a"]}"#))
            #expect(ping.status == .badRequest)
            #expect(ping.errorField == "hashes")
            // Old browsers' cross-domain requests post `k=v&` without encoding; base64 keeps its '+'.
            let form = try await client.execute(uri: "/api/v1/numbers?campaign_key=\(key)", method: .post, headers: [.contentType: "text/plain"],
                                                body: .json("u=\(Self.b64("https://x.example/?a=>>>"))&st=&"))
            #expect(form.status == .ok)
            #expect(form.value["number"]?["tag_values"]?["page_url"] == "https://x.example/?a=>>>")
            let preflight = try await client.execute(uri: "/api/v1/numbers", method: .options)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Headers")!] == "Content-Type")
        }
    }

    @Test(arguments: TestEngine.all)
    func allocateNumberAnswersPromoNumbersThenTheOverflowNumberAndCountsMisses(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let (key, id) = try await Self.pool(client, services, account, numbers: ["+18665550100", "+18665550101"],
                                                extra: #", "allow_overflow": true"#)
            let first = try await client.execute(uri: "/api/2020-10-01/ring_pools/\(id)/allocate_number.json?ring_pool_key=\(key)&utm_source=bing", method: .get)
            #expect(first.status == .ok)
            #expect(first.value["promo_number"] == "8665550100")
            #expect(first.value["promo_number_formatted"] == "866-555-0100")
            #expect(first.value["tracking_url"] == "https://shop.example/landing?PPCPN=8665550100")
            #expect(first.value["overflow"] == false)
            // The second number is the overflow number: every later visitor gets it.
            let second = try await client.execute(uri: "/api/2020-10-01/ring_pools/\(id)/allocate_number.json?ring_pool_key=\(key)", method: .get)
            #expect(second.value["promo_number"] == "8665550101")
            #expect(second.value["overflow"] == true)

            let wrong = try await client.execute(uri: "/api/2020-10-01/ring_pools/\(id)/allocate_number.json?ring_pool_key=nope", method: .get)
            #expect(wrong.status == .notFound)
            #expect(wrong.text == "InvalidKey: API Key 'nope' is not valid for resource '\(id)'")

            let shown = try await client.execute(uri: "\(Self.poolPath)/web.json", method: .get, headers: .bearer(account.key))
            #expect(shown.value["misses"] == 1)
            #expect(shown.value["leased"] == 1)
            #expect(shown.value["overflow_number"] == "+18665550101")
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(TestApp.adminKey))
            func gauge(_ name: String) -> Double? {
                metrics.text.split(separator: "\n").first { $0.hasPrefix("\(name){") && $0.contains("pool=\"\(id)\"") }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
            }
            #expect(gauge("dce_pool_size") == 2)
            #expect(gauge("dce_pool_leased") == 1)
            #expect(gauge("dce_pool_free") == 0)
            #expect(gauge("dce_pool_misses") == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func theOneTagScriptIsServed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, _ in
            let script = try await client.execute(uri: "/dce.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "application/javascript; charset=utf-8")
            #expect(script.text.contains("/api/v1/numbers/ping"))
            #expect(script.text.contains("data-pool"))
        }
    }
}
