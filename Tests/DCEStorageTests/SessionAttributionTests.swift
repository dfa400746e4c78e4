import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

@Suite struct SessionAttributionTests {
    static func event(_ key: String, callID: String, source: Source, number: PhoneNumber, at time: Timestamp, tags: [String: String] = [:]) throws -> IncomingEvent {
        IncomingEvent(
            event: CallEvent(source: source, externalCallID: callID, idempotencyKey: key, occurredAt: time,
                             fields: CallFields(trackingNumber: number, callStartedAt: time, tags: try Tags(validating: tags))),
            payload: "{}"
        )
    }

    @Test(arguments: TestEngine.all)
    func aCallToALeasedNumberCarriesTheSessionTagsWhicheverVendorReportsIt(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await PoolFixture.make(database, count: 1, lifetimeSeconds: 60)
            let session = VisitorSession(pageURL: "https://shop.example/?utm_source=google&gclid=g-1", visitorID: "v-9")
            let lease = try #require(try await fixture.desk.lease(from: fixture.pool, accountID: fixture.accountID, session: session).lease)
            let ledger = Ledger(database: database)
            let request = InboundRequest(source: .retreaver, method: "POST", path: "/", contentType: nil, headers: [:], body: [])
            // run: one vendor while the lease is live, another just after it ended (within grace)
            let during = lease.leasedAt.adding(seconds: 10)
            let justAfter = lease.expiresAt.adding(seconds: 30)
            let late = lease.expiresAt.adding(seconds: LeasePolicy.attributionGraceSeconds + 60)
            let outcomes = try await ledger.append([
                try Self.event("r-1", callID: "r-1", source: .retreaver, number: lease.number, at: during, tags: ["utm_source": "bing"]),
                try Self.event("g-1", callID: "g-1", source: .ringba, number: lease.number, at: justAfter),
                try Self.event("x-1", callID: "x-1", source: .ringba, number: lease.number, at: late),
            ], accountID: fixture.accountID, request: request)
            // validate
            let first = try #require(try await ledger.call(outcomes[0].callID, accountID: fixture.accountID))
            #expect(first.fields.tags["gclid"] == "g-1")
            #expect(first.fields.tags["visitor_id"] == "v-9")
            #expect(first.fields.tags["page_url"] == "https://shop.example/?utm_source=google&gclid=g-1")
            // the call's own tags win over the session's
            #expect(first.fields.tags["utm_source"] == "bing")
            let second = try #require(try await ledger.call(outcomes[1].callID, accountID: fixture.accountID))
            #expect(second.fields.tags["utm_source"] == "google")
            #expect(second.fields.tags["dce_lease_id"] == String(lease.id))
            let third = try #require(try await ledger.call(outcomes[2].callID, accountID: fixture.accountID))
            #expect(third.fields.tags["visitor_id"] == nil)
        }
    }
}
