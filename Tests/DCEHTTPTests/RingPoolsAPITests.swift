import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Invoca's RingPools resource, as seed 004 specifies it.
@Suite struct RingPoolsAPITests {
    static let path = "/api/2020-10-01/1234/advertisers/adv-1/advertiser_campaigns/camp-1/ring_pools"

    /// The seed's request body.
    static let seedBody = """
        {
         "id_from_network": "395",
         "preferred": "true",
         "name": "India DNP",
         "destination_url": "https://www.invoca.com",
         "max_pool_size": "3",
         "local_center": {"latitude": 45, "longitude": 45},
         "tn_prefix_whitelist": ["455"],
         "destination_phone_number": "888-111-2222"
        }
        """

    @Test(arguments: TestEngine.all)
    func createReadUpdateDeleteWithEverySeedProperty(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // run: create
            let created = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(Self.seedBody))
            #expect(created.status == .ok)
            let pool = created.json
            let properties = ["id", "id_from_network", "name", "destination_url", "object_url", "lifetime_seconds", "max_pool_size",
                              "preferred", "destination_phone_number", "destination_type", "local_center", "local_number_preferences",
                              "tn_prefix_whitelist"]
            for property in properties { #expect(pool.keys.contains(property), "missing \(property)") }
            #expect(pool["id_from_network"] as? String == "395")
            #expect(pool["name"] as? String == "India DNP")
            #expect(pool["preferred"] as? Bool == true)
            #expect(pool["max_pool_size"] as? Int == 3)
            #expect(pool["lifetime_seconds"] as? Int == LeasePolicy.defaultLifetimeSeconds)
            #expect(pool["destination_phone_number"] as? String == "+18881112222")
            #expect(pool["tn_prefix_whitelist"] as? [String] == ["455"])
            let center = try #require(pool["local_center"] as? [String: Any])
            #expect(center["latitude"] as? Double == 45)
            #expect(center["longitude"] as? Double == 45)
            let preferences = try #require(pool["local_number_preferences"] as? [String: Any])
            #expect(preferences["search_radius_miles"] as? Int == 240)
            #expect(preferences["restrict_to_state"] as? Bool == true)
            #expect(preferences["allocation_fallback_strategy"] as? String == "UseTollFree")
            #expect((pool["object_url"] as? String)?.hasSuffix("\(Self.path)/395.json") == true)
            let id = try #require(pool["id"] as? Int)

            // run: the same POST again is the same pool (idempotent by id_from_network)
            let again = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(Self.seedBody))
            #expect(again.json["id"] as? Int == id)
            let all = try await client.execute(uri: "\(Self.path).json", method: .get, headers: .bearer(account.key))
            #expect(all.status == .ok)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: all.body)) as? [[String: Any]])
            #expect(list.count == 1)

            // run: update
            let updated = try await client.execute(uri: "\(Self.path)/395.json", method: .put, headers: .bearer(account.key),
                                                   body: .json(#"{"name": "Renamed", "lifetime_seconds": 600, "local_number_preferences": {"search_radius_miles": 20, "allocation_fallback_strategy": "Wait"}}"#))
            #expect(updated.status == .ok)
            #expect(updated.json["name"] as? String == "Renamed")
            #expect(updated.json["lifetime_seconds"] as? Int == 600)
            #expect((updated.json["local_number_preferences"] as? [String: Any])?["allocation_fallback_strategy"] as? String == "Wait")
            #expect(updated.json["max_pool_size"] as? Int == 3)

            let shown = try await client.execute(uri: "\(Self.path)/395.json", method: .get, headers: .bearer(account.key))
            #expect(shown.json["name"] as? String == "Renamed")

            // run: delete
            let deleted = try await client.execute(uri: "\(Self.path)/395.json", method: .delete, headers: .bearer(account.key))
            #expect(deleted.status == .ok)
            let gone = try await client.execute(uri: "\(Self.path)/395.json", method: .get, headers: .bearer(account.key))
            #expect(gone.status == .notFound)
            await services.pools.allocateNow()
        }
    }

    @Test(arguments: TestEngine.all)
    func aBadLocalCenterIsRefusedInTheSeedsExact403Shape(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let body = """
                {"id_from_network": "395", "preferred": "true", "name": "India DNP", "destination_url": "https://www.invoca.com",
                 "max_pool_size": "3", "local_center": {"bad_key": ""}, "tn_prefix_whitelist": ["455"]}
                """
            let response = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(body))
            #expect(response.status == .forbidden)
            #expect(response.text == #"{"errors":{"class":"RecordInvalid","invalid_data":"Invalid Key in Local Center."}}"#)

            let others: [(String, String)] = [
                (#"{"id_from_network": "1", "local_center": {"latitude": 45}}"#, "Latitude and Longitude are required together in Local Center."),
                (#"{"id_from_network": "1", "local_center": {"zipcode": "00000"}}"#, "Unknown zipcode in Local Center."),
                (#"{"id_from_network": "1", "max_pool_size": "many"}"#, "Max pool size must be an integer from 1 to 100000."),
                (#"{"name": "no id"}"#, "Id from network can't be blank."),
            ]
            for (body, message) in others {
                let refused = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(body))
                #expect(refused.status == .forbidden, "\(body)")
                #expect((refused.json["errors"] as? [String: String]) == ["class": "RecordInvalid", "invalid_data": message], "\(body)")
            }
            let malformed = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json("{nope"))
            #expect(malformed.status == .badRequest)
            let anonymous = try await client.execute(uri: "\(Self.path).json", method: .get)
            #expect(anonymous.status == .unauthorized)
            let byToken = try await client.execute(uri: "\(Self.path).json?oauth_token=\(account.key)", method: .get)
            #expect(byToken.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func aLocalPoolIsAllocatedInTheBackgroundAndShowsItsState(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: San Francisco, Oakland, Santa Barbara, New York, toll-free
            for number in ["+14155550100", "+15105550100", "+18055550100", "+12125550100", "+18885550100"] {
                let added = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "\#(number)"}"#))
                #expect(added.status == .created)
            }
            // run
            let body = #"{"id_from_network": "sf", "max_pool_size": 3, "local_center": {"zipcode": "94103"}, "local_number_preferences": {"search_radius_miles": 100}}"#
            let created = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(body))
            #expect(created.status == .ok)
            await services.pools.allocateNow()
            // validate: the two Bay Area numbers, then toll-free
            let shown = try await client.execute(uri: "\(Self.path)/sf.json", method: .get, headers: .bearer(account.key))
            #expect(shown.json["allocation_state"] as? String == "allocated")
            #expect(shown.json["size"] as? Int == 3)
            #expect(shown.json["free"] as? Int == 3)
            let key = try #require(shown.json["ring_pool_key"] as? String)
            let members = try await client.execute(uri: "/v1/numbers?pool_id=\(key)", method: .get, headers: .bearer(account.key))
            let numbers = (members.json["data"] as? [[String: Any]])?.compactMap { $0["number"] as? String }
            #expect(numbers == ["+14155550100", "+15105550100", "+18885550100"])
        }
    }

    @Test(arguments: TestEngine.all)
    func aWaitingPoolFillsWhenNumbersArrive(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: a local pool that waits, and no inventory
            let body = #"{"id_from_network": "wait", "max_pool_size": 1, "local_center": {"tn_prefix": "415"}, "local_number_preferences": {"allocation_fallback_strategy": "Wait"}}"#
            _ = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(body))
            await services.pools.allocateNow()
            let waiting = try await client.execute(uri: "\(Self.path)/wait.json", method: .get, headers: .bearer(account.key))
            #expect(waiting.json["allocation_state"] as? String == "waiting")
            #expect((waiting.json["allocation_note"] as? String)?.contains("waiting for local inventory") == true)
            // run: a toll-free number does not help, a local one does
            _ = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "+18885550100"}"#))
            await services.pools.allocateNow()
            let still = try await client.execute(uri: "\(Self.path)/wait.json", method: .get, headers: .bearer(account.key))
            #expect(still.json["allocation_state"] as? String == "waiting")
            _ = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "+14155550199"}"#))
            await services.pools.allocateNow()
            // validate
            let filled = try await client.execute(uri: "\(Self.path)/wait.json", method: .get, headers: .bearer(account.key))
            #expect(filled.json["allocation_state"] as? String == "allocated")
            #expect(filled.json["size"] as? Int == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func whatGETShowsCanBePutBackUnchanged(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            _ = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(Self.seedBody))
            let shown = try await client.execute(uri: "\(Self.path)/395.json", method: .get, headers: .bearer(account.key))
            let put = try await client.execute(uri: "\(Self.path)/395.json", method: .put, headers: .bearer(account.key), body: shown.body)
            #expect(put.status == .ok)
            let properties = ["id", "id_from_network", "name", "destination_url", "object_url", "lifetime_seconds", "max_pool_size",
                              "preferred", "destination_phone_number", "destination_type", "local_center", "local_number_preferences",
                              "tn_prefix_whitelist", "allow_overflow", "ring_pool_key"]
            func canonical(_ json: [String: Any], _ key: String) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: [key: json[key] ?? NSNull()], options: [.sortedKeys]), as: UTF8.self)
            }
            for property in properties {
                #expect(try canonical(put.json, property) == canonical(shown.json, property), "\(property)")
            }
            await services.pools.allocateNow()
        }
    }
}
