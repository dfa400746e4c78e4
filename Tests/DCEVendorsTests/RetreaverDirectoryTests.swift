import DCEDomain
@testable import DCEVendors
import Testing

/// Retreaver's lists read as pulled pages, as a replay reads them again: objects in the
/// shapes of Retreaver's core-api-docs ("Get all Targets", "Valid Time Zones").
@Suite struct RetreaverDirectoryTests {
    static let keys = PullCredentials(values: ["api_key": "woofwoofwoof", "company_id": "1"], apiBaseURL: "https://retreaver.test/")
    static let window = PullWindow(from: Timestamp(millisecondsSince1970: 0), to: Timestamp(millisecondsSince1970: 1))

    @Test func aTargetsPageCarriesNoCallsAndRefusesATargetByItsField() throws {
        // setup
        let request = RetreaverDirectory.firstRequest(.targets, credentials: Self.keys)
        let body = """
            [{"target": {"id": 6588, "number": "+18668987878", "tid": null, "name": "Jason Cell", "time_zone": "Eastern Time (US & Canada)"}},
             {"target": {"id": 6589, "name": "No number"}},
             {"target": {"id": 6590, "number": "+18668987870", "time_zone": "Atlantis"}}]
            """
        let response = PullResponse(status: 200, headers: ["Link": "<https://retreaver.test/api/v2/targets.json?page=2&api_key=woofwoofwoof>; rel=\"next\""],
                                    body: Array(body.utf8))

        // run
        let page = try RetreaverPull().read(response, of: request, window: Self.window, credentials: Self.keys,
                                            integration: IntegrationProfile(id: "int_1", fieldMapping: [:]))

        // validate
        #expect(request.url == "https://retreaver.test/api/v2/targets.json?company_id=1&per_page=100")
        #expect(page.rows.map { (try? $0.outcome.get())?.count } == [0, nil, nil])
        #expect(page.rows.map { row -> String? in if case .failure(let error) = row.outcome { error.field } else { nil } }
            == [nil, "[1].target.number", "[2].target.time_zone"])
        #expect(page.next?.url == "https://retreaver.test/api/v2/targets.json?page=2")
        #expect(page.next?.endpoint == "targets")
    }

    @Test func importingIsOnUnlessFalseAndRefusesAnythingElse() throws {
        func keys(_ value: String?) -> PullCredentials {
            PullCredentials(values: value.map { ["import_exchange": $0] } ?? [:], apiBaseURL: "https://retreaver.test/")
        }
        #expect(try RetreaverPull.importsExchange(keys(nil)) == true)
        #expect(try RetreaverPull.importsExchange(keys("true")) == true)
        #expect(try RetreaverPull.importsExchange(keys("false")) == false)
        #expect(throws: VendorError.self) { try RetreaverPull.importsExchange(keys("yes please")) }
    }

    @Test func everyTimeZoneRetreaverListsIsAZoneDceKnows() throws {
        for (name, zone) in RetreaverTimeZones.iana {
            #expect((try? IANATimeZone(identifier: zone, field: "time_zone")) != nil, "\(name): \(zone)")
        }
        #expect(RetreaverTimeZones.iana["Eastern Time (US & Canada)"] == "America/New_York")
        #expect(RetreaverTimeZones.iana["International Date Line West"] == "Etc/GMT+12")
    }
}
