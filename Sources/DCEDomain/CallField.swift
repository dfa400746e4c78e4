/// The facts a call record is made of (`CallFields`), declared once: the key each is
/// written under in an event's fields, the key the calls API answers it under, and the
/// calls table's column that keeps it. Listings of the fields elsewhere (the API's
/// representation, the schema, `openapi.yaml`) are checked against `allCases`.
public enum CallField: String, CodingKey, CaseIterable, Sendable {
    case callerPhone = "caller_phone"
    case trackingNumber = "tracking_number"
    case destinationNumber = "destination_number"
    case durationSeconds = "duration_seconds"
    case callStartedAt = "call_started_at"
    case callAnsweredAt = "call_answered_at"
    case callEndedAt = "call_ended_at"
    case status
    case campaignID = "campaign_id"
    case publisherID = "publisher_id"
    case targetID = "target_id"
    case callerState = "caller_state"
    case revenue, payout, converted
    case recordingURL = "recording_url"
    case tags

    /// The key in a call's API representation: tags are the call's `call_metadata`.
    public var callKey: String { self == .tags ? "call_metadata" : rawValue }

    /// The calls table's column: amounts are kept as integer cents.
    public var column: String {
        switch self {
        case .revenue: "revenue_cents"
        case .payout: "payout_cents"
        default: callKey
        }
    }
}
