/// Text from outside that a database column cannot hold: PostgreSQL's `text` refuses the
/// NUL character, and SQLite would keep it and end C strings early. Such a field is
/// refused where it is read, naming it, instead of failing the commit.
public enum TextSafety {
    public static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }
}

extension CallEvent {
    /// The first field, by its wire name, whose text contains a NUL character.
    public var fieldWithUnstorableText: String? {
        let named: [(String, String?)] = [
            ("external_call_id", externalCallID), ("idempotency_key", idempotencyKey), ("type", type),
            ("campaign_id", fields.campaignID), ("publisher_id", fields.publisherID), ("target_id", fields.targetID),
            ("caller_state", fields.callerState), ("recording_url", fields.recordingURL),
        ]
        for (name, text) in named {
            if let text, !TextSafety.isStorable(text) { return name }
        }
        for (key, value) in fields.tags.values where !TextSafety.isStorable(key) || !TextSafety.isStorable(value) {
            return TextSafety.isStorable(key) ? "tags.\(key)" : "tags"
        }
        return nil
    }
}
