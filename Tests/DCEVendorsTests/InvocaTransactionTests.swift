import DCEDomain
import DCEVendors
import Testing

/// Fixtures with the row fields of Invoca's Transactions API (Invoca developer docs,
/// network field table): an original call transaction and a correction of it.
@Suite struct InvocaTransactionTests {
    @Test func transactionMapsEveryField() throws {
        let delivery = try Fixture.body("invoca-transaction.json", contentType: "application/json")
        let event = try #require(try InvocaTransaction.decode(delivery, integration: integration).first)
        #expect(event.event.externalCallID == "2C8B1A77-0A91-4F1E")
        #expect(event.event.idempotencyKey == "invoca:int_test:transaction:C624DA2C-CF3367C3")
        #expect(event.event.type == "invoca.transaction")
        let start = Timestamp(millisecondsSince1970: 1_705_312_800_000)
        #expect(event.event.occurredAt == start)
        #expect(event.correctedKey == nil)
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+18665551234"), destinationNumber: Fixture.phone("+18005550199"),
            durationSeconds: 245, callStartedAt: start, callEndedAt: start.adding(seconds: 245), status: .completed,
            campaignID: "auto-insurance", publisherID: "pub-adwise", callerState: "CA",
            revenue: Money(cents: 4500), payout: Money(cents: 2700), converted: true,
            recordingURL: "https://mynetwork.invoca.net/call/recording/C624DA2C-CF3367C3",
            tags: try Tags(validating: [
                "invoca_transaction_id": "C624DA2C-CF3367C3", "invoca_complete_call_id": "2C8B1A77-0A91-4F1E",
                "invoca_transaction_type": "Call", "invoca_call_result": "Connected",
                "invoca_campaign_name": "Auto Insurance Q1", "invoca_affiliate_name": "AdWise",
                "invoca_city": "San Francisco", "invoca_region": "CA", "invoca_mobile": "Mobile", "invoca_connect_duration": "230",
            ])
        ))
    }

    @Test func correctionIsOrderedAfterTheOriginalAndReplacesRevenue() throws {
        let original = try InvocaTransaction.decode(try Fixture.body("invoca-transaction.json", contentType: "application/json"), integration: integration)[0]
        let correction = try InvocaTransaction.decode(try Fixture.body("invoca-correction.json", contentType: "application/json"), integration: integration)[0]
        #expect(correction.event.type == "invoca.correction")
        #expect(correction.correctedKey == original.event.idempotencyKey)
        #expect(correction.event.occurredAt == Fixture.time("2024-01-16T09:00:00Z"))
        #expect(correction.event.occurredAt > original.event.occurredAt)
        var amended = correction.event
        amended.externalCallID = original.event.externalCallID
        let folded = CallMerge.fold([amended, original.event])
        #expect(folded.revenue == .zero)
        #expect(folded.converted == false)
    }

    @Test func arraysAndBadRowsAreNamed() throws {
        let rows = #"{"transactions": [{"transaction_id": "A"}, {"transaction_id": "B", "duration": "long"}]}"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(rows.utf8), receivedAt: Fixture.receivedAt)
        let error1 = #expect(throws: VendorError.self) { try InvocaTransaction.decode(delivery, integration: integration) }
        #expect(error1?.field == "transactions[1].duration")
        let none = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(#"[{"duration": 3}]"#.utf8), receivedAt: Fixture.receivedAt)
        let error2 = #expect(throws: VendorError.self) { try InvocaTransaction.decode(none, integration: integration) }
        #expect(error2?.field == "[0].transaction_id")
    }
}
