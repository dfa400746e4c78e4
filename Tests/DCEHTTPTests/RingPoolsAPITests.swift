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
            let pool = created.value
            let properties = ["id", "id_from_network", "name", "destination_url", "object_url", "lifetime_seconds", "max_pool_size",
                              "preferred", "destination_phone_number", "destination_type", "local_center", "local_number_preferences",
                              "tn_prefix_whitelist"]
            for property in properties { #expect(pool[property] != nil, "missing \(property)") }
            #expect(pool["id_from_network"] == "395")
            #expect(pool["name"] == "India DNP")
            #expect(pool["preferred"] == true)
            #expect(pool["max_pool_size"] == 3)
            #expect(pool["lifetime_seconds"]?.int == LeasePolicy.defaultLifetimeSeconds)
            #expect(pool["destination_phone_number"] == "+18881112222")
            #expect(pool["tn_prefix_whitelist"] == ["455"])
            let center = try #require(pool["local_center"])
            #expect(center["latitude"]?.double == 45)
            #expect(center["longitude"]?.double == 45)
            let preferences = try #require(pool["local_number_preferences"])
            #expect(preferences["search_radius_miles"] == 240)
            #expect(preferences["restrict_to_state"] == true)
            #expect(preferences["allocation_fallback_strategy"] == "UseTollFree")
            #expect(pool["object_url"]?.string?.hasSuffix("\(Self.path)/395.json") == true)
            let id = try #require(pool["id"]?.int)

            // run: the same POST again is the same pool (idempotent by id_from_network)
            let again = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(Self.seedBody))
            #expect(again.value["id"]?.int == id)
            let all = try await client.execute(uri: "\(Self.path).json", method: .get, headers: .bearer(account.key))
            #expect(all.status == .ok)
            #expect(all.value.array?.count == 1)

            // run: update
            let updated = try await client.execute(uri: "\(Self.path)/395.json", method: .put, headers: .bearer(account.key),
                                                   body: .json(#"{"name": "Renamed", "lifetime_seconds": 600, "local_number_preferences": {"search_radius_miles": 20, "allocation_fallback_strategy": "Wait"}}"#))
            #expect(updated.status == .ok)
            #expect(updated.value["name"] == "Renamed")
            #expect(updated.value["lifetime_seconds"] == 600)
            #expect(updated.value["local_number_preferences"]?["allocation_fallback_strategy"] == "Wait")
            #expect(updated.value["max_pool_size"] == 3)

            let shown = try await client.execute(uri: "\(Self.path)/395.json", method: .get, headers: .bearer(account.key))
            #expect(shown.value["name"] == "Renamed")

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
                #expect(refused.value == ["errors": ["class": "RecordInvalid", "invalid_data": .string(message)]], "\(body)")
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
            #expect(shown.value["allocation_state"] == "allocated")
            #expect(shown.value["size"] == 3)
            #expect(shown.value["free"] == 3)
            let key = try #require(shown.value["ring_pool_key"]?.string)
            let members = try await client.execute(uri: "/v1/numbers?pool_id=\(key)", method: .get, headers: .bearer(account.key))
            let numbers = members.value["data"]?.array?.compactMap { $0["number"]?.string }
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
            #expect(waiting.value["allocation_state"] == "waiting")
            #expect(waiting.value["allocation_note"]?.string?.contains("waiting for local inventory") == true)
            // run: a toll-free number does not help, a local one does
            _ = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "+18885550100"}"#))
            await services.pools.allocateNow()
            let still = try await client.execute(uri: "\(Self.path)/wait.json", method: .get, headers: .bearer(account.key))
            #expect(still.value["allocation_state"] == "waiting")
            _ = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "+14155550199"}"#))
            await services.pools.allocateNow()
            // validate
            let filled = try await client.execute(uri: "\(Self.path)/wait.json", method: .get, headers: .bearer(account.key))
            #expect(filled.value["allocation_state"] == "allocated")
            #expect(filled.value["size"] == 1)
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
            for property in properties {
                #expect(put.value[property] == shown.value[property], "\(property)")
            }
            await services.pools.allocateNow()
        }
    }
}
