import DCEDomain
import Foundation

/// Exotel's StatusCallback (developer.exotel.com, "StatusCallback"): a form POST with
/// `CallSid`, `Status`, `RecordingUrl`, `DateUpdated`, and, for calls subscribed to the
/// `terminal` and `answered` events, `EventType`, `DateCreated`, `From`, `To`,
/// `PhoneNumberSid`, `StartTime`, `EndTime`, `ConversationDuration`, `Direction`,
/// `CustomField` and `Legs`.
public enum ExotelStatusCallback {
    public enum Field: String, CaseIterable {
        case callSid = "CallSid"
        case status = "Status"
        case recordingURL = "RecordingUrl"
        case dateUpdated = "DateUpdated"
        case eventType = "EventType"
        case dateCreated = "DateCreated"
        case from = "From"
        case to = "To"
        case phoneNumberSid = "PhoneNumberSid"
        case startTime = "StartTime"
        case endTime = "EndTime"
        case conversationDuration = "ConversationDuration"
        case direction = "Direction"
        case customField = "CustomField"
        case legs = "Legs"
    }

    /// Exotel's `Status` values → dce status. `EventType=answered` means answered.
    public static let statusTable: [String: CallStatus] = [
        "completed": .completed, "failed": .failed, "busy": .busy, "no-answer": .noAnswer,
        "in-progress": .inProgress, "ringing": .ringing, "canceled": .canceled,
    ]

    /// Exotel writes times as `YYYY-MM-DD HH:mm:ss` in the account's zone; an integration
    /// may name it with the `timezone` mapping (default India, where Exotel runs).
    public static let defaultTimeZone = "Asia/Kolkata"
    /// National numbers written with a trunk `0` take this country code (`country_code`).
    public static let defaultCountryCode = "91"

    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        var fields = delivery.bodyIsJSON ? FlatFields.json(try JSONBody.object(delivery.body)) : FlatFields.form(delivery.bodyText)
        if fields.values.isEmpty { fields = FlatFields(delivery.query) }
        func name(_ field: Field) -> String { integration.parameter(field.rawValue) }
        let zoneName = integration.fieldMapping["timezone"] ?? defaultTimeZone
        guard let zone = TimeZone(identifier: zoneName) else { throw .invalid("timezone", "'\(zoneName)' is not a time zone") }
        let country = integration.fieldMapping["country_code"] ?? defaultCountryCode

        let callSid = try fields.required(name(.callSid))
        guard callSid.count <= 255 else { throw .invalid(name(.callSid), "must be at most 255 characters") }
        let eventType = fields.text(name(.eventType))?.lowercased() ?? "terminal"
        guard eventType == "terminal" || eventType == "answered" else {
            throw .invalid(name(.eventType), "'\(eventType)' is not an Exotel event type (terminal, answered)")
        }
        var call = CallFields()
        let statusText = fields.text(name(.status))
        if eventType == "answered" {
            call.status = .answered
        } else {
            guard let statusText else { throw .missing(name(.status)) }
            guard let status = statusTable[statusText.lowercased()] else {
                throw .invalid(name(.status), "'\(statusText)' is not an Exotel call status (completed, failed, busy, no-answer)")
            }
            call.status = status
        }
        func time(_ field: Field) throws(VendorError) -> Timestamp? {
            guard let text = fields.text(name(field)) else { return nil }
            if let local = localTime(text, zone: zone) {
                guard Timestamp.acceptedRange.contains(local) else {
                    throw .invalid(name(field), Timestamp.ParseError.outOfRange(text).description)
                }
                return local
            }
            return try fields.timestamp(name(field))
        }
        func number(_ field: Field) throws(VendorError) -> PhoneNumber? {
            guard let text = fields.text(name(field)) else { return nil }
            do { return try PhoneNumber(parsing: nationalToInternational(text, countryCode: country)) } catch {
                throw .invalid(name(field), error.description)
            }
        }
        let updated = try time(.dateUpdated)
        // A withheld caller (Exotel sends `anonymous`, or no digits) is kept as text.
        let caller = fields.callerID(name(.from)) { nationalToInternational($0, countryCode: country) }
        call.callerPhone = caller.phone
        call.destinationNumber = try number(.to)
        if let sid = fields.text(name(.phoneNumberSid)), let exophone = try? PhoneNumber(parsing: nationalToInternational(sid, countryCode: country)) {
            call.trackingNumber = exophone
        }
        if let start = try time(.startTime) { call.callStartedAt = start } else { call.callStartedAt = try time(.dateCreated) }
        call.callEndedAt = try time(.endTime)
        if eventType == "answered" { call.callAnsweredAt = updated }
        if eventType == "terminal", call.callEndedAt == nil { call.callEndedAt = updated }
        call.durationSeconds = try fields.seconds(name(.conversationDuration))
        call.recordingURL = fields.text(name(.recordingURL))
        call.tags = Tags().adding([
            "exotel_direction": fields.text(name(.direction)),
            "exotel_custom_field": fields.text(name(.customField)),
            "exotel_legs": fields.text(name(.legs)),
            "exotel_phone_number_sid": fields.text(name(.phoneNumberSid)),
        ]).adding(caller.kept)
        let stage = eventType == "answered" ? "answered" : "terminal:\(statusText?.lowercased() ?? "")"
        let event = CallEvent(
            source: ExotelAdapter.source, externalCallID: callSid,
            idempotencyKey: IdempotencyKey.make(ExotelAdapter.source, integration: integration.id, callID: callSid, stage: stage),
            occurredAt: updated ?? delivery.receivedAt, type: "exotel.\(eventType)", fields: call
        )
        return [VendorEvent(event: event, payload: JSONBody.text(fields.values))]
    }

    /// `2024-01-15 14:30:45` in `zone`.
    /// (Read field by field: a `DateFormatter` costs more to make than the rest of the delivery.)
    static func localTime(_ text: String, zone: TimeZone) -> Timestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard hour < 24, minute < 60, second < 60, components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return Timestamp(date)
    }

    /// `09876543210` → `+919876543210`: Exotel writes national numbers with a trunk 0.
    static func nationalToInternational(_ text: String, countryCode: String) -> String {
        let digits = text.filter(\.isNumber)
        if text.hasPrefix("0"), !text.hasPrefix("00"), digits.count == 11 {
            return "+\(countryCode)\(digits.dropFirst())"
        }
        return text
    }
}
