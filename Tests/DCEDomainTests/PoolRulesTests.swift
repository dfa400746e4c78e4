import DCEDomain
import Testing

@Suite struct PoolRulesTests {
    static let geo = try! GeoDirectory(parsing: """
        A 415 CA 37.78 -122.43
        A 510 CA 37.80 -122.20
        A 805 CA 34.44 -119.72
        A 212 NY 40.75 -73.98
        A 775 NV 39.53 -119.81
        S CA
        94103 3777 -12241
        2 3778 -12240
        S NY
        10001 4075 -7399
        """)

    @Test func greatCircleDistanceMatchesKnownCities() {
        let sanFrancisco = GeoPoint(latitude: 37.7749, longitude: -122.4194)
        let newYork = GeoPoint(latitude: 40.7128, longitude: -74.0060)
        // 2,565 miles by great circle
        #expect(abs(sanFrancisco.miles(to: newYork) - 2565) < 10)
        #expect(sanFrancisco.miles(to: sanFrancisco) == 0)
    }

    @Test func theCompactGeoFormatReadsAreaCodesAndDeltaEncodedZips() throws {
        let geo = Self.geo
        #expect(geo.areaCodes["415"]?.state == "CA")
        #expect(geo.zipCodes["94103"]?.point == GeoPoint(latitude: 37.77, longitude: -122.41))
        #expect(geo.zipCodes["94105"]?.state == "CA")
        #expect(geo.zipCodes["10001"]?.state == "NY")
        #expect(throws: GeoDirectory.FormatError.self) { try GeoDirectory(parsing: "12 34") }
    }

    @Test func localCenterAcceptsOneCentreAndRefusesBadKeysWithInvocasWords() throws {
        #expect(try LocalCenter(fields: ["tn_prefix": "805"]) == .tnPrefix("805"))
        #expect(try LocalCenter(fields: ["zipcode": "94103", "tn_prefix": ""]) == .zipcode("94103"))
        #expect(try LocalCenter(fields: ["latitude": "45", "longitude": "45"]) == .coordinate(GeoPoint(latitude: 45, longitude: 45)))
        let refusals: [([String: String], String)] = [
            (["bad_key": ""], "Invalid Key in Local Center."),
            (["latitude": "45"], "Latitude and Longitude are required together in Local Center."),
            (["latitude": "95", "longitude": "0"], "Invalid latitude in Local Center."),
            (["zipcode": "9410"], "Invalid zipcode in Local Center."),
            (["tn_prefix": "80"], "Invalid tn_prefix in Local Center."),
            ([:], "Local Center requires one of tn_prefix, zipcode, or latitude and longitude."),
        ]
        for (fields, message) in refusals {
            #expect(throws: LocalCenter.Invalid(message)) { try LocalCenter(fields: fields) }
        }
    }

    /// Invoca's developer docs ("RingPools", Create a RingPool) fill `zipcode` and the
    /// coordinates and leave `tn_prefix` empty: every centre given, in the documented order.
    @Test func everyCentreGivenIsACandidateInInvocasOrder() throws {
        let example = ["tn_prefix": "", "zipcode": "90210", "latitude": "30", "longitude": "-130"]
        #expect(try LocalCenter.candidates(fields: example) == [.zipcode("90210"), .coordinate(GeoPoint(latitude: 30, longitude: -130))])
        #expect(try LocalCenter(fields: example) == .zipcode("90210"))
        #expect(try LocalCenter(fields: ["tn_prefix": "805", "zipcode": "90210"]) == .tnPrefix("805"))
        #expect(try LocalCenter.candidates(fields: ["tn_prefix": " ", "zipcode": ""]) == [])
        #expect(throws: LocalCenter.Invalid("Invalid zipcode in Local Center.")) { try LocalCenter(fields: ["zipcode": "9021", "tn_prefix": "805"]) }
    }

    @Test func localCandidatesAreNearestFirstInsideRadiusStateAndWhitelist() throws {
        func local(_ text: String, state: String? = nil) throws -> TrackingNumber {
            TrackingNumber(number: try PhoneNumber(parsing: text), state: state)
        }
        let inventory = [
            try local("+18055550100"), try local("+15105550100"), try local("+14155550100"),
            try local("+12125550100"), try local("+17755550100"),
            TrackingNumber(number: try PhoneNumber(parsing: "+18885550100")),
        ]
        let center = try LocalPoolRules.resolve(.tnPrefix("415"), in: Self.geo)
        // Santa Barbara (805) is some 270 miles from San Francisco: outside the default 240.
        let nearby = LocalPoolRules.localCandidates(inventory, center: center, preferences: LocalNumberPreferences(), whitelist: [], geo: Self.geo)
        #expect(nearby.map(\.number.number.e164) == ["+14155550100", "+15105550100"])
        let wide = LocalPoolRules.localCandidates(inventory, center: center, preferences: LocalNumberPreferences(searchRadiusMiles: 300), whitelist: [], geo: Self.geo)
        #expect(wide.map(\.number.number.e164) == ["+14155550100", "+15105550100", "+18055550100"])

        let narrow = LocalPoolRules.localCandidates(inventory, center: center, preferences: LocalNumberPreferences(searchRadiusMiles: 50), whitelist: [], geo: Self.geo)
        #expect(narrow.map(\.number.number.e164) == ["+14155550100", "+15105550100"])

        // Reno is 190 miles from San Francisco but in Nevada.
        let anyState = LocalPoolRules.localCandidates(inventory, center: center, preferences: LocalNumberPreferences(restrictToState: false), whitelist: [], geo: Self.geo)
        #expect(anyState.map(\.number.number.e164).contains("+17755550100"))

        let whitelisted = LocalPoolRules.localCandidates(inventory, center: center, preferences: LocalNumberPreferences(searchRadiusMiles: 300), whitelist: ["805", "510555"], geo: Self.geo)
        #expect(whitelisted.map(\.number.number.e164) == ["+15105550100", "+18055550100"])
    }

    @Test func aLeaseEndsItsLifetimeAfterTheLastKeepAliveAndAttributesWithinGrace() {
        let policy = LeasePolicy(lifetimeSeconds: 60)
        let seen = Timestamp(millisecondsSince1970: 1_000_000)
        #expect(policy.expiry(after: seen) == Timestamp(millisecondsSince1970: 1_060_000))
        let leased = Timestamp(millisecondsSince1970: 900_000)
        let ends = policy.expiry(after: seen)
        #expect(LeasePolicy.attributes(callTime: seen, leasedAt: leased, endsAt: ends))
        #expect(LeasePolicy.attributes(callTime: ends.adding(seconds: LeasePolicy.attributionGraceSeconds), leasedAt: leased, endsAt: ends))
        #expect(!LeasePolicy.attributes(callTime: ends.adding(seconds: LeasePolicy.attributionGraceSeconds + 1), leasedAt: leased, endsAt: ends))
        #expect(!LeasePolicy.attributes(callTime: Timestamp(millisecondsSince1970: 899_999), leasedAt: leased, endsAt: ends))
    }

    @Test func visitorSessionTagsCarryUTMsClickIDsPageAndVisitor() {
        let session = VisitorSession(
            pageURL: "https://shop.example/pricing?utm_source=google&utm_medium=cpc&gclid=abc%20d",
            originalURL: "https://shop.example/?utm_campaign=winter&utm_source=bing",
            visitorID: "v-1",
            tags: ["calling_about": "support"]
        )
        #expect(session.callTags == [
            "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "winter", "gclid": "abc d",
            "page_url": "https://shop.example/pricing?utm_source=google&utm_medium=cpc&gclid=abc%20d",
            "landing_page_url": "https://shop.example/?utm_campaign=winter&utm_source=bing",
            "visitor_id": "v-1", "calling_about": "support",
        ])
        #expect(VisitorSession.pairs("&home_value=50000&name=a+b").map { "\($0.0)=\($0.1)" } == ["home_value=50000", "name=a b"])
    }

    @Test func replacementsCoverTheUsualWaysOfWritingANumberLongestFirst() throws {
        let page = try PhoneNumber(parsing: "(888) 555-4444")
        let leased = try PhoneNumber(parsing: "+14155550100")
        let pairs = NumberFormats.replacements(of: page, with: leased)
        let finds = pairs.map(\.find)
        for written in ["(888) 555-4444", "888-555-4444", "888.555.4444", "8885554444", "+18885554444", "1-888-555-4444"] {
            #expect(finds.contains(written), "\(written)")
        }
        #expect(pairs.first { $0.find == "888.555.4444" }?.replaceWith == "415.555.0100")
        #expect(finds == finds.sorted { $0.count > $1.count })
        #expect(NumberFormats.dashed(leased) == "415-555-0100")
        #expect(NumberFormats.plain(leased) == "4155550100")
    }
}
