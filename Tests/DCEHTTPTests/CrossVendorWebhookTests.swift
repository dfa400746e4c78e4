import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Ringba routes a call to RingCentral; both report it; the ledger shows one call with
/// both vendor ids and Ringba's revenue once.
@Suite struct CrossVendorWebhookTests {
    @Test(arguments: TestEngine.all)
    func ringbaAndRingCentralReportOneCall(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            // run
            let incoming = try await client.execute(
                uri: ringba.path("event=Incoming&call_id=RGB-42&caller_id=%2B13055551212&inbound_number=%2B18774443333&call_date_time=2024-01-15T10%3A00%3A00Z"),
                method: .get)
            let session = #"{"event": "/restapi/v1.0/account/~/telephony/sessions", "body": {"sequence": 1, "sessionId": "S-42", "eventTime": "2024-01-15T10:00:02Z", "parties": [{"id": "p1", "direction": "Inbound", "from": {"phoneNumber": "+13055551212"}, "to": {"phoneNumber": "+18774443333"}, "status": {"code": "Setup"}}]}}"#
            let setup = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(session))
            let conversion = try await client.execute(uri: ringba.path("call_id=RGB-42&call_revenue=45.50&sale_successful=yes"), method: .post)
            let again = try await client.execute(uri: ringba.path("call_id=RGB-42&call_revenue=45.50&sale_successful=yes"), method: .post)
            // validate
            let callID = try #require(incoming.value["results"]?.array?.first?["call_id"]?.string)
            #expect(setup.value["results"]?.array?.first?["call_id"]?.string == callID)
            #expect(conversion.value["results"]?.array?.first?["call_id"]?.string == callID)
            #expect(again.value["results"]?.array?.first?["duplicate"] == true)
            let call = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(account.key)).value
            let vendorIDs = try #require(call["vendor_ids"]?.array)
            #expect(Set(vendorIDs.compactMap { $0["source"] }) == ["ringba", "ringcentral"])
            #expect(call["revenue"] == "45.50")
            let list = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key)).value
            #expect(list["data"]?.array?.count == 1)
        }
    }
}
