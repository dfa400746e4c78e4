import DCEDomain
import DCEHTTP
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A vendor dce has never heard of, defined here and nowhere else: one adapter handed to
/// the app is enough for its integrations to be made, its deliveries authenticated,
/// kept and read, and its calls listed.
struct ToyVendor: VendorAdapter {
    var name: String { "toyline" }
    var mappableNames: Set<String> { ["call"] }

    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let fields = FlatFields.form(String(decoding: delivery.body, as: UTF8.self)).values
        guard let callID = fields[integration.parameter("call")], !callID.isEmpty else { throw .missing(integration.parameter("call")) }
        var call = CallFields()
        if let from = fields["from"] {
            do { call.callerPhone = try PhoneNumber(parsing: from) } catch { throw .invalid("from", "is not a phone number") }
        }
        call.status = .completed
        let event = CallEvent(
            source: source, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(source, integration: integration.id, callID: callID, stage: "end"),
            occurredAt: delivery.receivedAt, type: "toyline.end", fields: call
        )
        return [VendorEvent(event: event, payload: String(decoding: delivery.body, as: UTF8.self))]
    }
}

@Suite struct ToyVendorTests {
    @Test(arguments: TestEngine.all)
    func aVendorAddedAsOneAdapterIsServedFromWebhookToCalls(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let services = AppServices(database: database, adminKey: nil, vendors: VendorRegistry.all + [ToyVendor()])
            let account = try await TestAccount.make(database)
            try await Application(router: try buildRouter(services)).test(.router) { client in
                let toy = try await TestIntegration.create(client, key: account.key, vendor: "toyline", mapping: ["call": "ref"])
                let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

                // run
                let unauthenticated = try await client.execute(uri: toy.path, method: .post, headers: form, body: .json("ref=T-1"))
                let delivered = try await client.execute(uri: toy.path(""), method: .post, headers: form,
                                                         body: .json("ref=T-1&from=%2B14155550123"))
                let repeated = try await client.execute(uri: toy.path(""), method: .post, headers: form,
                                                        body: .json("ref=T-1&from=%2B14155550123"))
                let unreadable = try await client.execute(uri: toy.path(""), method: .post, headers: form, body: .json("from=x"))
                let calls = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))

                // validate
                #expect(unauthenticated.status == .unauthorized)
                #expect(delivered.status == .ok)
                #expect(repeated.status == .ok)
                #expect(repeated.text.contains(#""duplicate":true"#))
                #expect(unreadable.status == .badRequest)
                #expect(unreadable.errorField == "ref")
                let listed = calls.value["data"]?.array ?? []
                #expect(listed.count == 1)
                #expect(listed.first?["caller_phone"] == "+14155550123")
                #expect(listed.first?["status"] == "completed")
                #expect(listed.first?["source"] == "toyline")
                #expect(listed.first?["external_call_id"] == "T-1")
            }
            let deadLetters = try await services.ledger.deadLetters(accountID: account.account.id)
            #expect(deadLetters.count == 1)
        }
    }

    @Test func theStandardAppDoesNotServeTheToyVendor() async throws {
        #expect(VendorRegistry.standard.adapter(named: "toyline") == nil)
    }
}
