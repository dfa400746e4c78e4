import DCEDomain
import DCEVendors
import Foundation
import Testing

/// A caller who withholds their number reaches every platform too: Ringba, Retreaver,
/// Invoca and Exotel report such a caller id as text (`anonymous`, `Restricted`) or a SIP
/// address. The delivery is a call all the same: kept, with the text as the tag `caller_id`.
/// Each fixture is the vendor's published example (see its own test) with the caller replaced.
@Suite struct WithheldCallerTests {
    static let withheld = ["anonymous", "Restricted", "sip:caller@example.com"]

    static func expectKept(_ events: [VendorEvent], _ text: String) {
        #expect(events.count == 1)
        #expect(events.first?.event.fields.callerPhone == nil)
        #expect(events.first?.event.fields.tags.values["caller_id"] == text)
    }

    @Test(arguments: withheld)
    func ringbaPixel(text: String) throws {
        let query = try Fixture.text("ringba-pixel-incoming.query").replacingOccurrences(of: "caller_id=%2B15551234567", with: "caller_id=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        let delivery = VendorDelivery(method: "GET", query: FlatFields.form(query).values, contentType: nil, body: [], receivedAt: Fixture.receivedAt)
        Self.expectKept(try RingbaWebhook.decode(delivery, integration: integration), text)
    }

    @Test(arguments: withheld)
    func retreaverCallObject(text: String) throws {
        let body = try Fixture.text("retreaver-api-v2-call.json").replacingOccurrences(of: #""caller": "+13015236555""#, with: #""caller": "\#(text)""#)
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        Self.expectKept(try RetreaverWebhook.decode(delivery, integration: integration), text)
    }

    @Test(arguments: withheld)
    func invocaTransaction(text: String) throws {
        let body = try Fixture.text("invoca-transaction.json").replacingOccurrences(of: #""calling_phone_number": "866-555-1234""#, with: #""calling_phone_number": "\#(text)""#)
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        Self.expectKept(try InvocaTransaction.decode(delivery, integration: integration), text)
    }

    @Test(arguments: withheld)
    func exotelStatusCallback(text: String) throws {
        let form = try Fixture.text("exotel-terminal.form").replacingOccurrences(of: "From=08012345678", with: "From=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/x-www-form-urlencoded", body: Array(form.utf8), receivedAt: Fixture.receivedAt)
        Self.expectKept(try ExotelStatusCallback.decode(delivery, integration: integration), text)
    }
}
