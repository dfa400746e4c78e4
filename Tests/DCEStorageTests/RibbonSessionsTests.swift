import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Ribbon usage: a call counts once, in the UTC month it was first seen, against that month's limit.
@Suite struct RibbonSessionsTests {
    @Test(arguments: TestEngine.all)
    func aCallCountsOnceInTheMonthItWasFirstSeen(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database, name: "client-demo").account
            let clients = RibbonClientDirectory(database: database)
            try await clients.save(RibbonClientProfile(name: "Demo Client", plan: "trial", monthlyCallLimit: 1, allowedDomains: ["yourcrm.com"],
                                                       exotelToken: "t", exotelUserID: "u"), for: account.id)
            let sessions = RibbonSessions(database: database)
            let october = Timestamp(parsing: "2025-10-31T23:59:00Z")!
            let november = Timestamp(parsing: "2025-11-01T00:01:00Z")!

            // run, validate
            let first = try await sessions.claim(callSid: "CA1", accountID: account.id, monthlyLimit: 1, facts: .init(), now: october)
            #expect(first.isNew)
            await #expect(throws: RibbonUsageError.monthlyLimitReached(limit: 1)) {
                try await sessions.claim(callSid: "CA2", accountID: account.id, monthlyLimit: 1, facts: .init(), now: october)
            }
            // The October call ending in November is the same call, not a November one.
            let again = try await sessions.claim(callSid: "CA1", accountID: account.id, monthlyLimit: 1,
                                                 facts: .init(customerID: "C1", customerData: ["customerId": .string("C1")]), now: november)
            #expect(!again.isNew)
            #expect(again.sessionID == first.sessionID)
            #expect(try await clients.callsCounted(accountID: account.id, month: "2025-10") == 1)
            #expect(try await clients.callsCounted(accountID: account.id, month: "2025-11") == 0)
            let fresh = try await sessions.claim(callSid: "CA2", accountID: account.id, monthlyLimit: 1, facts: .init(), now: november)
            #expect(fresh.isNew)
            #expect(try await clients.callsCounted(accountID: account.id, month: "2025-11") == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aProfileIsReplacedWholeAndItsTokenNeverPrinted(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database, name: "client-001").account
            let clients = RibbonClientDirectory(database: database)
            var profile = RibbonClientProfile(name: "Collections CRM Inc.", plan: "enterprise", monthlyCallLimit: 10000,
                                              allowedDomains: ["https://CRM.example.com/", "crm.example.com", "app.example.com"],
                                              exotelToken: "secret-token", exotelUserID: "u1")
            try await clients.save(profile, for: account.id)
            var stored = try #require(try await clients.client(account.id))
            #expect(stored.profile.allowedDomains == ["app.example.com", "crm.example.com"])
            #expect(!"\(stored)".contains("secret-token"))
            #expect(!String(reflecting: stored.profile).contains("secret-token"))

            profile.allowedDomains = ["new.example.com"]
            profile.plan = "trial"
            try await clients.save(profile, for: account.id)
            stored = try #require(try await clients.client(account.id))
            #expect(stored.profile.allowedDomains == ["new.example.com"])
            #expect(stored.profile.plan == "trial")
            #expect(try await clients.anyClientAllows(host: "new.example.com"))
            #expect(!(try await clients.anyClientAllows(host: "crm.example.com")))

            profile.monthlyCallLimit = -1
            await #expect(throws: RibbonClientError.invalid(field: "monthlyCallLimit", reason: "must not be negative")) {
                try await clients.save(profile, for: account.id)
            }
        }
    }
}
