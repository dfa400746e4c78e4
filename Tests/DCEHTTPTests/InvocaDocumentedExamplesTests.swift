import DCEDomain
import DCEHTTP
import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Invoca's own published examples (github.com/Invoca/developer-docs), sent to dce's real
/// routes: the RingPools API's examples (`network_integration/ringpools/`) and the
/// Transactions API's marketing-data rows (fixtures of DCEVendorsTests, named there).
@Suite struct InvocaDocumentedExamplesTests {
    static let path = RingPoolsAPITests.path

    /// "Create a RingPool", `_post_ring_pools.rst`, as published.
    static let createExample = """
        {
          "id_from_network": "12",
          "local_center": { "tn_prefix":"",
                            "zipcode": "90210",
                            "latitude": 30,
                            "longitude": -130 },
          "local_number_preferences": { "search_radius_miles": 20,
                                        "restrict_search_to_state": true,
                                        "allocation_fallback_strategy": "Wait" },
          "preferred": true,
          "name": "Invoca Example RingPool",
          "max_pool_size": 15,
          "lifetime_seconds": 1800,
          "fill_immediately": false,
          "allow_overflow": true,
          "destination_phone_number": "888-111-2222"
        }
        """

    /// "Update a RingPool", `_put_ring_pool.rst`, as published.
    static let updateExample = """
        {
          "id_from_network": "12",
          "preferred": true,
          "name": "Invoca Example RingPool Updated",
          "max_pool_size": 15,
          "lifetime_seconds": 1800
        }
        """

    @Test(arguments: TestEngine.all)
    func invocasCreateExampleIsAcceptedCentredOnItsZipcodeAndShownWithEveryDocumentedKey(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: a Beverly Hills number (area code 310) and a Santa Barbara one, 90 miles away
            for number in ["+13105550100", "+18055550100"] {
                let added = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key), body: .json(#"{"number": "\#(number)"}"#))
                #expect(added.status == .created)
            }
            // run
            let created = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(Self.createExample))
            #expect(created.status == .ok, "\(created.text)")
            await services.pools.allocateNow()
            let shown = try await client.execute(uri: "\(Self.path)/12.json", method: .get, headers: .bearer(account.key))
            // validate: every key of the docs' GET example
            let pool = shown.value
            let documented = ["id", "id_from_network", "object_url", "preferred", "lifetime_seconds", "name", "local_center",
                              "local_number_preferences", "max_pool_size", "api_key", "fill_immediately", "allow_overflow",
                              "customer_phone_numbers", "default_customer_phone_number"]
            for key in documented { #expect(pool[key] != nil, "missing \(key)") }
            #expect(pool["name"] == "Invoca Example RingPool")
            #expect(pool["preferred"] == true)
            #expect(pool["max_pool_size"] == 15)
            #expect(pool["lifetime_seconds"] == 1800)
            #expect(pool["allow_overflow"] == true)
            #expect(pool["fill_immediately"] == true)
            #expect(pool["api_key"]?.string == pool["ring_pool_key"]?.string)
            #expect(pool["api_key"]?.string?.hasPrefix("rp_") == true)
            let destination: JSONValue = ["destination_phone_number": "8881112222", "js_tag": nil]
            #expect(pool["customer_phone_numbers"] == [destination])
            #expect(pool["default_customer_phone_number"] == destination)
            // The zipcode comes before the coordinates in Invoca's list of centres.
            let center = try #require(pool["local_center"])
            #expect(center["zipcode"] == "90210")
            #expect(center["tn_prefix"] == "")
            let preferences = try #require(pool["local_number_preferences"])
            #expect(preferences["search_radius_miles"] == 20)
            #expect(preferences["restrict_search_to_state"] == true)
            #expect(preferences["restrict_to_state"] == true)
            #expect(preferences["allocation_fallback_strategy"] == "Wait")
            // Only the number within 20 miles of 90210 joins; the pool waits for more.
            let key = try #require(pool["ring_pool_key"]?.string)
            let members = try await client.execute(uri: "/v1/numbers?pool_id=\(key)", method: .get, headers: .bearer(account.key))
            #expect(members.value["data"]?.array?.compactMap { $0["number"]?.string } == ["+13105550100"])
            #expect(pool["allocation_state"] == "waiting")

            // run: Invoca's update example, then the list
            let updated = try await client.execute(uri: "\(Self.path)/12.json", method: .put, headers: .bearer(account.key), body: .json(Self.updateExample))
            #expect(updated.status == .ok)
            #expect(updated.value["name"] == "Invoca Example RingPool Updated")
            #expect(updated.value["local_center"]?["zipcode"] == "90210")
            let all = try await client.execute(uri: "\(Self.path).json", method: .get, headers: .bearer(account.key))
            #expect(all.value[0]?["api_key"]?.string == key)
            #expect(all.value[0]?["customer_phone_numbers"] != nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func centresAreTakenInInvocasOrderAndEitherSpellingOfTheStateRestrictionIsRead(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            func post(_ id: String, _ properties: String) async throws -> JSONValue {
                let response = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key),
                                                        body: .json(#"{"id_from_network": "\#(id)", \#(properties)}"#))
                #expect(response.status == .ok, "\(response.text)")
                return response.value
            }
            let prefixFirst = try await post("a", #""local_center": {"tn_prefix": "805", "zipcode": "90210", "latitude": 34.4, "longitude": -119.7}"#)
            #expect(prefixFirst["local_center"]?["tn_prefix"] == "805")
            #expect(prefixFirst["local_center"]?["zipcode"] == "")
            // A centre dce cannot place gives way to the next one given.
            let unknownZip = try await post("b", #""local_center": {"zipcode": "00000", "latitude": "34.07", "longitude": "-118.40"}"#)
            #expect(unknownZip["local_center"]?["latitude"]?.double == 34.07)
            // Every centre empty is no centre: the pool is not local.
            let empty = try await post("c", #""local_center": {"tn_prefix": "", "zipcode": "", "latitude": "", "longitude": ""}, "fill_immediately": "false""#)
            #expect(empty["local_center"] == .null)
            let search = try await post("d", #""local_center": {"zipcode": "90210"}, "local_number_preferences": {"restrict_search_to_state": false}"#)
            #expect(search["local_number_preferences"]?["restrict_search_to_state"] == false)
            let seed = try await post("e", #""local_center": {"zipcode": "90210"}, "local_number_preferences": {"restrict_to_state": "false"}"#)
            #expect(seed["local_number_preferences"]?["restrict_to_state"] == false)
            // still refused: a malformed value, and a flag that is not a flag
            for (body, message) in [
                (#"{"id_from_network": "f", "local_center": {"zipcode": "9021", "latitude": 30, "longitude": -130}}"#, "Invalid zipcode in Local Center."),
                (#"{"id_from_network": "f", "fill_immediately": "soon"}"#, "Fill immediately must be true or false."),
                (#"{"id_from_network": "f", "local_number_preferences": {"restrict_search_to_state": 3}}"#, "Restrict to state must be true or false."),
            ] {
                let refused = try await client.execute(uri: "\(Self.path).json", method: .post, headers: .bearer(account.key), body: .json(body))
                #expect(refused.status == .forbidden)
                #expect(refused.value == ["errors": ["class": "RecordInvalid", "invalid_data": .string(message)]], "\(body)")
            }
            await services.pools.allocateNow()
        }
    }

    @Test(arguments: TestEngine.all)
    func invocasMarketingDataRowsAreStoredWithTheirTimesAndTags(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let invoca = try await TestIntegration.create(client, key: account.key, vendor: "invoca")
            // The docs' custom_data example: two rows, times in start_time_local.
            let customData = try await client.execute(uri: invoca.path(""), method: .post, headers: .json, body: .json(try Self.fixture("invoca-marketing-data-custom-data.json")))
            #expect(customData.status.code / 100 == 2, "\(customData.text)")
            let ids = try #require(customData.value["results"]?.array?.compactMap { $0["call_id"]?.string })
            #expect(ids.count == 2)
            let first = try await WebhookDeliveryTests.call(client, key: account.key, id: ids[0])
            #expect(first["call_started_at"] == "2019-01-24T13:43:15.000Z")
            #expect(first["call_metadata"] == [
                "Quote": "true", "utm_medium": "Search", "gclid": "198ab9a93f8c7348", "invoca_transaction_id": "FE7F3A51-11111111",
            ])
            let purchase = try await WebhookDeliveryTests.call(client, key: account.key, id: ids[1])
            #expect(purchase["call_metadata"] == [
                "Purchase Made": "true", "utm_medium": "Email", "invoca_transaction_id": "E9C4063A-22222222",
            ])

            // The same rows as columns, with their sources, from a second integration.
            let second = try await TestIntegration.create(client, key: account.key, vendor: "invoca", name: "invoca-columns")
            let columns = try await client.execute(uri: second.path(""), method: .post, headers: .json, body: .json(try Self.fixture("invoca-marketing-data-columns.json")))
            #expect(columns.status.code / 100 == 2, "\(columns.text)")
            let columnIDs = try #require(columns.value["results"]?.array?.compactMap { $0["call_id"]?.string })
            let quoted = try await WebhookDeliveryTests.call(client, key: account.key, id: columnIDs[0])
            #expect(quoted["call_metadata"] == [
                "Quote": "1", "Quote.source": "Expression", "utm_medium": "Search", "utm_medium.source": "DynamicAttribution",
                "gclid": "198ab9a93f8c7348", "gclid.source": "DynamicAttribution", "invoca_transaction_id": "FE7F3A51-11111111",
            ])

            // A full network row.
            let row = try await client.execute(uri: invoca.path(""), method: .post, headers: .json, body: .json(try Self.fixture("invoca-network-transaction.json")))
            #expect(row.status.code / 100 == 2, "\(row.text)")
            let rowID = try #require(row.value["results"]?.array?.first?["call_id"]?.string)
            let call = try await WebhookDeliveryTests.call(client, key: account.key, id: rowID)
            #expect(call["call_started_at"] == "2019-01-24T13:43:15.000Z")
            #expect(call["caller_phone"] == "+18055550142")
            #expect(call["revenue"] == "60.00")
            let tags = try #require(call["call_metadata"])
            #expect(tags["utm_source"] == "google")
            #expect(tags["utm_campaign"] == "spring-hvac")
            #expect(tags["Appointment Booked"] == "true")
            #expect(tags.object?.count == 17)

            // Past 100 of the delivery's tags: refused naming custom_data.
            let entries = (0..<101).map { #"{"name": "f\#($0)", "data_type": "Short Text", "value": "v"}"# }.joined(separator: ",")
            let over = try await client.execute(uri: invoca.path(""), method: .post, headers: .json, body: .json(#"[{"transaction_id": "T-OVER", "custom_data": [\#(entries)]}]"#))
            #expect(over.status == .badRequest)
            #expect(over.errorField == "[0].custom_data")
            #expect(over.errorCode == "too_many_tags")
        }
    }

    static func fixture(_ name: String) throws -> String {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DCEVendorsTests/Fixtures")
        return try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }
}
