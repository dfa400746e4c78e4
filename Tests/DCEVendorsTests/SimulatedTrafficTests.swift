import DCEDomain
import DCEVendors
import Foundation
import Testing

/// What `dce simulate` sends is what the decoders read: every simulated delivery of every
/// vendor decodes, under the key the simulator expects, and the calls fold to final states.
@Suite struct SimulatedTrafficTests {
    @Test(arguments: VendorRegistry.all.map(\.name).filter { $0 != "native" })
    func everySimulatedDeliveryDecodes(vendorName: String) throws {
        let vendor = try #require(VendorRegistry.standard.adapter(named: vendorName))
        var generator = TrafficGenerator(vendor: vendor, seed: 42, run: "t")
        var eventsByCall: [String: [CallEvent]] = [:]
        var retries = 0
        for index in 0..<60 {
            for delivery in generator.deliveries(forCall: index) {
                if delivery.isRetry { retries += 1 }
                let decoded = try vendor.decode(VendorDelivery(
                    method: delivery.method, query: Dictionary(delivery.query, uniquingKeysWith: { first, _ in first }),
                    contentType: delivery.headers.first { $0.0 == "Content-Type" }?.1, body: delivery.body, receivedAt: .now()
                ), integration: integration)
                for event in decoded {
                    eventsByCall[event.event.externalCallID, default: []].append(event.event)
                    if vendorName != "invoca", vendorName != "ringcentral" {
                        #expect(event.event.idempotencyKey == IdempotencyKey.make(vendor.source, integration: integration.id, callID: delivery.callID, stage: delivery.stage))
                    }
                }
            }
        }
        #expect(retries > 0)
        #expect(eventsByCall.count == 60)
        for (callID, events) in eventsByCall {
            let call = CallMerge.fold(events)
            if vendorName != "invoca" { #expect(call.status?.isFinal == true, "\(callID)") }
            #expect(call.callerPhone != nil, "\(callID)")
        }
    }

    @Test func sameSeedSameTrafficOtherVendorOtherCallers() {
        var a = TrafficGenerator(vendor: .ringba, seed: 1, run: "r")
        var b = TrafficGenerator(vendor: .ringba, seed: 1, run: "r")
        var c = TrafficGenerator(vendor: .retreaver, seed: 1, run: "r")
        let first = a.deliveries(forCall: 0)
        #expect(first.map(\.query.description) == b.deliveries(forCall: 0).map(\.query.description))
        let caller = first.first { $0.stage == "incoming" }?.query.first { $0.0 == "caller_id" }?.1
        let other = c.deliveries(forCall: 0).first { $0.stage == "start" }.flatMap { String(decoding: $0.body, as: UTF8.self).components(separatedBy: "caller_number").dropFirst().first }
        #expect(caller != nil)
        #expect(other?.contains(caller!.dropFirst(2)) != true)
    }
}
