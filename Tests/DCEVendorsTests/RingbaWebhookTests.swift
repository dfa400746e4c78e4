import DCEDomain
import DCEVendors
import Testing

/// Fixtures from seed 000 (Ringba): the conversion webhook's query parameters and pixel events.
@Suite struct RingbaWebhookTests {
    @Test func conversionWebhookMapsEveryParameter() throws {
        let events = try RingbaWebhook.decode(try Fixture.query("ringba-conversion.query"), integration: integration)
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.event.source == .ringba)
        #expect(event.event.externalCallID == "RGB-5f1c2e")
        #expect(event.event.idempotencyKey == "ringba:int_test:RGB-5f1c2e:conversion")
        #expect(event.event.type == "ringba.conversion")
        let expected = CallFields(
            callerPhone: Fixture.phone("+15551234567"), trackingNumber: Fixture.phone("+15557654321"),
            durationSeconds: 180, revenue: Money(cents: 4550), converted: true
        )
        #expect(event.event.fields == expected)
    }

    @Test func configurableTokensAndTheMisspelledSaleParameter() throws {
        let custom = IntegrationProfile(id: "int_test", fieldMapping: ["call_id": "callUUID", "call_revenue": "conversionAmount"])
        let event = try #require(try RingbaWebhook.decode(try Fixture.query("ringba-conversion-custom-tokens.query"), integration: custom).first)
        #expect(event.event.externalCallID == "RGB-77aa")
        #expect(event.event.fields.revenue == Money(cents: 1250))
        #expect(event.event.fields.converted == true)
        #expect(event.event.fields.callerPhone == Fixture.phone("+15551234567"))
        #expect(event.event.fields.durationSeconds == 95)
    }

    @Test func pixelEventsMapToStatusesAndStages() throws {
        let incoming = try #require(try RingbaWebhook.decode(try Fixture.query("ringba-pixel-incoming.query"), integration: integration).first)
        #expect(incoming.event.idempotencyKey == "ringba:int_test:RGB-5f1c2e:incoming")
        #expect(incoming.event.occurredAt == Fixture.time("2025-01-24T10:30:00Z"))
        #expect(incoming.event.fields == CallFields(
            callerPhone: Fixture.phone("+15551234567"), trackingNumber: Fixture.phone("+15557654321"),
            callStartedAt: Fixture.time("2025-01-24T10:30:00Z"), status: .ringing, campaignID: "camp_123",
            publisherID: "pub_456", callerState: "CA"
        ))
        let completed = try #require(try RingbaWebhook.decode(try Fixture.query("ringba-pixel-completed.query"), integration: integration).first)
        #expect(completed.event.idempotencyKey == "ringba:int_test:RGB-5f1c2e:completed")
        #expect(completed.event.fields == CallFields(
            destinationNumber: Fixture.phone("+11112223333"), durationSeconds: 180,
            callEndedAt: Fixture.receivedAt, status: .completed
        ))
    }

    @Test func aSecondConversionHasTheSameKey() throws {
        let first = try RingbaWebhook.decode(try Fixture.query("ringba-conversion.query"), integration: integration)
        var other = try Fixture.query("ringba-conversion.query", method: "POST")
        other.query["call_revenue"] = "99.00"
        let second = try RingbaWebhook.decode(other, integration: integration)
        #expect(first[0].event.idempotencyKey == second[0].event.idempotencyKey)
    }

    @Test func badParametersAreNamed() throws {
        var missing = try Fixture.query("ringba-conversion.query")
        missing.query["call_id"] = nil
        #expect(throws: VendorError.missing("call_id")) { try RingbaWebhook.decode(missing, integration: integration) }
        var revenue = try Fixture.query("ringba-conversion.query")
        revenue.query["call_revenue"] = "lots"
        let error1 = #expect(throws: VendorError.self) { try RingbaWebhook.decode(revenue, integration: integration) }
        #expect(error1?.field == "call_revenue")
        var event = try Fixture.query("ringba-pixel-incoming.query")
        event.query["event"] = "Exploded"
        let error2 = #expect(throws: VendorError.self) { try RingbaWebhook.decode(event, integration: integration) }
        #expect(error2?.field == "event")
    }
}
