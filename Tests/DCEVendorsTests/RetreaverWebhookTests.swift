import DCEDomain
import DCEVendors
import Testing

/// Fixtures from seed 002 (Retreaver): the call fields of its mapping table, as JSON and as a form.
@Suite struct RetreaverWebhookTests {
    @Test func alwaysStageMapsEveryFieldOfTheSeedTable() throws {
        let delivery = try Fixture.body("retreaver-always.json", contentType: "application/json", query: ["stage": "always"])
        let event = try #require(try RetreaverWebhook.decode(delivery, integration: integration).first)
        #expect(event.event.externalCallID == "RTV-9c41")
        #expect(event.event.idempotencyKey == "retreaver:int_test:RTV-9c41:always")
        #expect(event.event.occurredAt == Fixture.time("2024-01-15T10:03:10Z"))
        let tags = try Tags(validating: ["utm_source": "google", "utm_campaign": "summer-sale", "lead_score": "85"])
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+14155550123"), trackingNumber: Fixture.phone("+18885550101"),
            destinationNumber: Fixture.phone("+14155551234"), durationSeconds: 184,
            callStartedAt: Fixture.time("2024-01-15T10:00:00Z"), callAnsweredAt: Fixture.time("2024-01-15T10:00:06Z"),
            callEndedAt: Fixture.time("2024-01-15T10:03:10Z"), status: .completed, campaignID: "123",
            publisherID: "aff-77", targetID: "tgt-9", recordingURL: "https://recordings.retreaver.com/RTV-9c41.mp3", tags: tags
        ))
    }

    @Test func startStageAsAFormWithBracketTags() throws {
        let delivery = try Fixture.body("retreaver-start.form", contentType: "application/x-www-form-urlencoded", query: ["stage": "start"])
        let event = try #require(try RetreaverWebhook.decode(delivery, integration: integration).first)
        #expect(event.event.idempotencyKey == "retreaver:int_test:RTV-9c41:start")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+14155550123"), trackingNumber: Fixture.phone("+18885550101"),
            callStartedAt: Fixture.time("2024-01-15T10:00:00Z"), status: .ringing, campaignID: "123", publisherID: "aff-77",
            tags: try Tags(validating: ["utm_source": "google", "visitor_id": "v-1"])
        ))
    }

    @Test func alwaysIsOrderedAfterStartWhateverTheArrival() throws {
        let always = try RetreaverWebhook.decode(try Fixture.body("retreaver-always.json", contentType: "application/json", query: ["stage": "always"]), integration: integration)[0]
        let start = try RetreaverWebhook.decode(try Fixture.body("retreaver-start.form", contentType: "application/x-www-form-urlencoded", query: ["stage": "start"]), integration: integration)[0]
        #expect(start.event.occurredAt < always.event.occurredAt)
        #expect(CallMerge.fold([always.event, start.event]) == CallMerge.fold([start.event, always.event]))
        #expect(CallMerge.fold([always.event, start.event]).status == .completed)
    }

    @Test func moreThanAHundredTagsIsRefused() throws {
        let tags = (0...100).map { "\"t\($0)\": \"v\"" }.joined(separator: ",")
        let body = #"{"id": "RTV-1", "tags": {\#(tags)}}"#
        let delivery = VendorDelivery(method: "POST", query: ["stage": "start"], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let error1 = #expect(throws: VendorError.self) { try RetreaverWebhook.decode(delivery, integration: integration) }
        #expect(error1?.code == "too_many_tags" && error1?.field == "tags")
    }

    @Test func aBadStageIsRefusedButAMissingOneReadsTheCallAsListed() throws {
        let noStage = try Fixture.body("retreaver-always.json", contentType: "application/json")
        let listed = try #require(try RetreaverWebhook.decode(noStage, integration: integration).first)
        #expect(listed.event.type == "retreaver.call")
        #expect(listed.event.fields.status == .completed)
        #expect(listed.event.idempotencyKey.hasPrefix("retreaver:int_test:RTV-9c41:snapshot-"))
        let badStage = try Fixture.body("retreaver-always.json", contentType: "application/json", query: ["stage": "later"])
        let error = #expect(throws: VendorError.self) { try RetreaverWebhook.decode(badStage, integration: integration) }
        #expect(error?.field == "stage")
    }

    @Test func aStatusRetreaverAddsLaterKeepsTheStagesStatusAndIsKept() throws {
        let body = #"{"id": "RTV-1", "status": "exploded"}"#
        let delivery = VendorDelivery(method: "POST", query: ["stage": "always"], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let event = try #require(try RetreaverWebhook.decode(delivery, integration: integration).first)
        #expect(event.event.fields.status == .completed)
        #expect(event.event.fields.tags["retreaver_status"] == "exploded")
    }
}
