import DCEDomain
import Foundation

/// Exotel: status callbacks as forms, its local times read in the integration's time zone.
public struct ExotelAdapter: VendorAdapter {
    public static let source = Source(rawValue: "exotel")
    public var name: String { Self.source.rawValue }
    public var mappableNames: Set<String> { Set(ExotelStatusCallback.Field.allCases.map(\.rawValue) + ["timezone", "country_code"]) }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try ExotelStatusCallback.decode(delivery, integration: integration)
    }

    public init() {}

    public var pull: (any PullClient)? { ExotelPull() }

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone(identifier: ExotelStatusCallback.defaultTimeZone)
        local.dateFormat = "yyyy-MM-dd HH:mm:ss"
        func at(_ offset: Int) -> String { local.string(from: c.startedAt.addingTimeInterval(Double(offset))) }
        var list: [SimulatedDelivery] = []
        if c.answered {
            list.append(SimulatedDelivery(
                method: "POST", query: [], headers: TrafficGenerator.formHeaders,
                body: TrafficGenerator.form([("CallSid", c.id), ("EventType", "answered"), ("Status", "in-progress"), ("DateUpdated", at(5)),
                                 ("From", c.caller), ("To", c.destination), ("PhoneNumberSid", c.tracking), ("StartTime", at(0))]),
                callID: c.id, stage: "answered", isRetry: false
            ))
        }
        let status = c.answered ? "completed" : ["busy", "no-answer", "failed"][c.duration % 3]
        list.append(SimulatedDelivery(
            method: "POST", query: [], headers: TrafficGenerator.formHeaders,
            body: TrafficGenerator.form([("CallSid", c.id), ("EventType", "terminal"), ("Status", status), ("DateUpdated", at(c.duration + 5)),
                             ("RecordingUrl", c.answered ? "https://recordings.exotel.com/\(c.id).mp3" : ""),
                             ("From", c.caller), ("To", c.destination), ("PhoneNumberSid", c.tracking), ("StartTime", at(0)),
                             ("EndTime", at(c.duration + 5)), ("ConversationDuration", String(c.duration)), ("Direction", "inbound"),
                             ("CustomField", c.campaign)]),
            callID: c.id, stage: "terminal:\(status)", isRetry: false
        ))
        return list
    }
}

extension VendorAdapter where Self == ExotelAdapter {
    public static var exotel: ExotelAdapter { ExotelAdapter() }
}

extension Source {
    public static let exotel = ExotelAdapter.source
}
