import DCEDomain
@testable import DCEStorage
import DCETestSupport
import SQLKit
import Testing

/// RingCentral events take their campaign from the account's numbers when written.
@Suite struct CampaignAttributionTests {
    static func number(_ number: String, label: String?, campaign: String?, account: AccountID, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO tracking_numbers (account_id, number, label, campaign_id, kind, created_at, updated_at)
            VALUES (\(bind: account.rawValue), \(bind: number), \(bind: label), \(bind: campaign), 'local', 0, 0)
            """).run()
    }

    @Test(arguments: TestEngine.all)
    func theLabelDecidesFirstThenTheTrackingNumber(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database).account.id
            let other = try await TestAccount.make(database, name: "other").account.id
            try await database.write { sql in
                try await Self.number("+14155550100", label: nil, campaign: "sdn-own", account: account, on: sql)
                try await Self.number("+13105550002", label: "west", campaign: "west-b", account: account, on: sql)
                try await Self.number("+13105550001", label: "west", campaign: "west-a", account: account, on: sql)
                try await Self.number("+18885550101", label: nil, campaign: "ctn-own", account: account, on: sql)
                try await Self.number("+18885550102", label: "+1 (415) 555-0100", campaign: nil, account: account, on: sql)
                try await Self.number("+18885550103", label: nil, campaign: nil, account: account, on: sql)
                try await Self.number("+18885550104", label: "west", campaign: nil, account: account, on: sql)
                try await Self.number("+18885550101", label: nil, campaign: "other-account", account: other, on: sql)
            }
            func phone(_ text: String) throws -> PhoneNumber { try PhoneNumber(parsing: text) }
            let cases: [(CampaignLookup, String?)] = [
                (CampaignLookup(label: "4155550100", trackingNumber: try phone("+18885550101")), "sdn-own"),  // the label is a number with a campaign
                (CampaignLookup(label: "west", trackingNumber: try phone("+18885550101")), "west-a"),        // numbers labelled so, lowest first
                (CampaignLookup(label: "nobody", trackingNumber: try phone("+18885550101")), "ctn-own"),     // the tracking number's own campaign
                (CampaignLookup(label: nil, trackingNumber: try phone("+18885550102")), "sdn-own"),          // through the tracking number's label
                (CampaignLookup(label: nil, trackingNumber: try phone("+18885550104")), "west-a"),
                (CampaignLookup(label: nil, trackingNumber: try phone("+18885550103")), nil),
                (CampaignLookup(label: nil, trackingNumber: nil), nil),
            ]
            let items = cases.enumerated().map { index, lookup in
                AppendItem(
                    events: [IncomingEvent(
                        event: CallEvent(source: .ringcentral, externalCallID: "S-\(index)", idempotencyKey: "rc:S-\(index)",
                                         occurredAt: Timestamp(millisecondsSince1970: 1_790_000_000_000), type: "Setup", fields: CallFields(status: .ringing)),
                        payload: "{}", campaignLookup: lookup.0
                    )],
                    accountID: account,
                    request: InboundRequest(source: .ringcentral, method: "POST", path: "/webhooks/ringcentral/x", contentType: nil, headers: [:], body: [])
                )
            }
            let outcomes = try await database.write { sql in try await CommitGroup.apply(items, clock: .system, ids: .random, on: sql) }
            let ledger = Ledger(database: database)
            for ((_, expected), outcome) in zip(cases, outcomes) {
                let call = try #require(try await ledger.call(outcome[0].callID, accountID: account))
                #expect(call.fields.campaignID == expected, "\(call.externalCallID)")
                // The stored event carries the campaign too, so that a later fold keeps it.
                #expect(try await ledger.events(of: call.id, accountID: account).first?.fields.campaignID == expected)
            }
        }
    }
}
