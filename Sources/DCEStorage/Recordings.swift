import DCEDomain
import Foundation
import SQLKit

/// A call's recording at its vendor, and where dce keeps its copy once downloaded.
public struct CallRecording: Sendable, Hashable {
    public var accountID: AccountID
    public var source: Source
    /// The vendor's id of the recording.
    public var recordingID: String
    public var callID: CallID
    public var integrationID: String
    /// Where the vendor serves the audio.
    public var contentURI: String
    /// The file's name inside the recordings folder; nil until the file is whole.
    public var fileName: String?
    public var contentType: String?
    public var byteCount: Int64?
    public var storedAt: Timestamp?
    public var attempts: Int
    public var lastError: String?

    public init(accountID: AccountID, source: Source, recordingID: String, callID: CallID, integrationID: String, contentURI: String,
                fileName: String? = nil, contentType: String? = nil, byteCount: Int64? = nil, storedAt: Timestamp? = nil,
                attempts: Int = 0, lastError: String? = nil) {
        self.accountID = accountID
        self.source = source
        self.recordingID = recordingID
        self.callID = callID
        self.integrationID = integrationID
        self.contentURI = contentURI
        self.fileName = fileName
        self.contentType = contentType
        self.byteCount = byteCount
        self.storedAt = storedAt
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// The recordings dce downloads from vendors: found on the calls an integration's sync
/// wrote (their `<source>_recording_id` and `<source>_recording_uri` tags), pending until
/// the file is whole, then linked to the call. A download that fails stays pending and
/// is tried again on the next run.
public struct Recordings: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Records the recordings named by the tags of the integration's calls written since
    /// `since` that are not known yet; returns how many were new.
    @discardableResult
    public func discover(integrationID: String, accountID: AccountID, source: Source, since: Timestamp, now: Timestamp) async throws -> Int {
        let idTag = "\(source.rawValue)_recording_id"
        let uriTag = "\(source.rawValue)_recording_uri"
        return try await database.write { sql in
            // The tag's name narrows the rows read; the tags themselves are read below.
            let rows = try await sql.raw("""
                SELECT c.id, c.call_metadata FROM calls c
                WHERE c.account_id = \(bind: accountID.rawValue) AND c.updated_at >= \(bind: since.millisecondsSince1970)
                  AND c.call_metadata LIKE \(bind: "%\"" + uriTag + "\"%")
                  AND EXISTS (SELECT 1 FROM call_vendor_ids v WHERE v.call_id = c.id AND v.source = \(bind: source.rawValue))
                """).all()
            var added = 0
            for row in rows {
                let tags = (try? Tags(storedJSON: try row.decode(column: "call_metadata", as: String.self))) ?? Tags()
                guard let recordingID = tags[idTag], let uri = tags[uriTag] else { continue }
                let callID = try row.decode(column: "id", as: String.self)
                let inserted = try await sql.raw("""
                    INSERT INTO call_recordings (account_id, source, recording_id, call_id, integration_id, content_uri, created_at)
                    VALUES (\(bind: accountID.rawValue), \(bind: source.rawValue), \(bind: recordingID), \(bind: callID),
                            \(bind: integrationID), \(bind: uri), \(bind: now.millisecondsSince1970))
                    ON CONFLICT (account_id, source, recording_id) DO NOTHING
                    RETURNING recording_id
                    """).first()
                if inserted != nil { added += 1 }
            }
            return added
        }
    }

    /// The integration's recordings not downloaded yet, oldest first.
    public func pending(integrationID: String, limit: Int) async throws -> [CallRecording] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM call_recordings WHERE integration_id = \(bind: integrationID) AND stored_at IS NULL
                ORDER BY created_at, recording_id LIMIT \(bind: Int64(max(limit, 0)))
                """).all().map(Self.decode)
        }
    }

    /// Links a downloaded file to its call.
    public func stored(_ recording: CallRecording, fileName: String, contentType: String, byteCount: Int64, at time: Timestamp) async throws {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE call_recordings SET file_name = \(bind: fileName), content_type = \(bind: contentType),
                    byte_count = \(bind: byteCount), stored_at = \(bind: time.millisecondsSince1970),
                    attempts = attempts + 1, last_error = NULL
                WHERE account_id = \(bind: recording.accountID.rawValue) AND source = \(bind: recording.source.rawValue)
                  AND recording_id = \(bind: recording.recordingID)
                """).run()
        }
    }

    /// Notes a failed download; the recording stays pending.
    public func failed(_ recording: CallRecording, reason: String) async throws {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE call_recordings SET attempts = attempts + 1, last_error = \(bind: String(reason.prefix(500)))
                WHERE account_id = \(bind: recording.accountID.rawValue) AND source = \(bind: recording.source.rawValue)
                  AND recording_id = \(bind: recording.recordingID) AND stored_at IS NULL
                """).run()
        }
    }

    /// The call's downloaded recording (the latest, when it has several), within the
    /// account.
    public func recording(callID: CallID, accountID: AccountID) async throws -> CallRecording? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM call_recordings
                WHERE call_id = \(bind: callID.rawValue) AND account_id = \(bind: accountID.rawValue) AND stored_at IS NOT NULL
                ORDER BY stored_at DESC, recording_id LIMIT 1
                """).first().map(Self.decode)
        }
    }

    /// Every recording of the call, downloaded or not.
    public func all(callID: CallID, accountID: AccountID) async throws -> [CallRecording] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM call_recordings WHERE call_id = \(bind: callID.rawValue) AND account_id = \(bind: accountID.rawValue)
                ORDER BY created_at, recording_id
                """).all().map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> CallRecording {
        CallRecording(
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            source: Source(rawValue: try row.decode(column: "source", as: String.self)),
            recordingID: try row.decode(column: "recording_id", as: String.self),
            callID: CallID(rawValue: try row.decode(column: "call_id", as: String.self)),
            integrationID: try row.decode(column: "integration_id", as: String.self),
            contentURI: try row.decode(column: "content_uri", as: String.self),
            fileName: try row.decode(column: "file_name", as: String?.self),
            contentType: try row.decode(column: "content_type", as: String?.self),
            byteCount: try row.decode(column: "byte_count", as: Int64?.self),
            storedAt: try row.decode(column: "stored_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:)),
            attempts: Int(clamping: try row.decode(column: "attempts", as: Int64.self)),
            lastError: try row.decode(column: "last_error", as: String?.self)
        )
    }
}

/// An integration's webhook subscription at its vendor (RingCentral's `subscription`).
public struct VendorSubscription: Sendable, Hashable {
    public var integrationID: String
    public var accountID: AccountID
    public var subscriptionID: String
    /// The address the vendor delivers to.
    public var address: String
    public var expiresAt: Timestamp

    public init(integrationID: String, accountID: AccountID, subscriptionID: String, address: String, expiresAt: Timestamp) {
        self.integrationID = integrationID
        self.accountID = accountID
        self.subscriptionID = subscriptionID
        self.address = address
        self.expiresAt = expiresAt
    }
}

/// Each integration's vendor webhook subscription.
public struct VendorSubscriptions: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func subscription(integrationID: String) async throws -> VendorSubscription? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM vendor_subscriptions WHERE integration_id = \(bind: integrationID)").first().map { row in
                VendorSubscription(
                    integrationID: try row.decode(column: "integration_id", as: String.self),
                    accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
                    subscriptionID: try row.decode(column: "subscription_id", as: String.self),
                    address: try row.decode(column: "address", as: String.self),
                    expiresAt: Timestamp(millisecondsSince1970: try row.decode(column: "expires_at", as: Int64.self))
                )
            }
        }
    }

    public func save(_ subscription: VendorSubscription, at time: Timestamp) async throws {
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO vendor_subscriptions (integration_id, account_id, subscription_id, address, expires_at, updated_at)
                VALUES (\(bind: subscription.integrationID), \(bind: subscription.accountID.rawValue), \(bind: subscription.subscriptionID),
                        \(bind: subscription.address), \(bind: subscription.expiresAt.millisecondsSince1970), \(bind: time.millisecondsSince1970))
                ON CONFLICT (integration_id) DO UPDATE SET
                    account_id = excluded.account_id, subscription_id = excluded.subscription_id, address = excluded.address,
                    expires_at = excluded.expires_at, updated_at = excluded.updated_at
                """).run()
        }
    }
}
