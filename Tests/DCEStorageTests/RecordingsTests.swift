import DCEDomain
import DCEStorage
import DCETestSupport
import Testing

private func at(_ seconds: Int64) -> Timestamp { Timestamp(millisecondsSince1970: 1_790_000_000_000 + seconds * 1000) }

/// An account with a RingCentral integration and calls written by it.
private struct RecordingFixture {
    let database: any Database
    let accountID: AccountID
    let integration: Integration

    static func make(_ database: any Database, name: String = "acme") async throws -> RecordingFixture {
        let account = try await TestAccount.make(database, name: name)
        let integration = try await IntegrationStore(database: database).create(
            accountID: account.account.id, vendor: "ringcentral", name: "rc-\(name)", fieldMapping: [:], secret: "verification0123456789"
        )
        return RecordingFixture(database: database, accountID: account.account.id, integration: integration)
    }

    /// Appends one RingCentral call with `tags`, returning its id.
    func call(_ session: String, tags: [String: String], source: Source = Source(rawValue: "ringcentral")) async throws -> CallID {
        let event = IncomingEvent(
            event: CallEvent(source: source, externalCallID: session, idempotencyKey: "k-\(session)", occurredAt: at(0),
                             fields: CallFields(status: .completed, tags: try Tags(validating: tags))),
            payload: "{}"
        )
        let request = InboundRequest(source: source, method: "GET", path: "/sync/ringcentral/\(integration.id)/call-log",
                                     contentType: "application/json", headers: [:], body: Array("{}".utf8))
        let outcomes = try await Ledger(database: database).append([event], accountID: accountID, request: request)
        return try #require(outcomes.first?.callID)
    }

    var recordings: Recordings { Recordings(database: database) }
}

@Suite struct RecordingsTests {
    static let uri = "https://media.ringcentral.com/restapi/v1.0/account/1/recording/7212841004/content"

    @Test(arguments: TestEngine.all)
    func aCallsRecordingIsFoundOncePendingUntilStoredThenLinked(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await RecordingFixture.make(database)
            let recorded = try await fixture.call("4503991004", tags: ["ringcentral_recording_id": "7212841004", "ringcentral_recording_uri": Self.uri])
            _ = try await fixture.call("4503992008", tags: ["ringcentral_session_id": "4503992008"])
            _ = try await fixture.call("other", tags: ["ringcentral_recording_id": "9", "ringcentral_recording_uri": Self.uri], source: Source(rawValue: "ringba"))
            let integrationID = fixture.integration.id
            // run
            let found = try await fixture.recordings.discover(integrationID: integrationID, accountID: fixture.accountID,
                                                              source: Source(rawValue: "ringcentral"), since: .earliestAccepted, now: at(10))
            let again = try await fixture.recordings.discover(integrationID: integrationID, accountID: fixture.accountID,
                                                              source: Source(rawValue: "ringcentral"), since: .earliestAccepted, now: at(20))
            // validate
            #expect(found == 1 && again == 0)
            let pending = try await fixture.recordings.pending(integrationID: integrationID, limit: 10)
            let expected = CallRecording(accountID: fixture.accountID, source: Source(rawValue: "ringcentral"), recordingID: "7212841004",
                                         callID: recorded, integrationID: integrationID, contentURI: Self.uri)
            #expect(pending == [expected])
            #expect(try await fixture.recordings.recording(callID: recorded, accountID: fixture.accountID) == nil)

            // A failed download stays pending, with its reason.
            try await fixture.recordings.failed(expected, reason: "HTTP 500 after 5 tries")
            let failed = try await fixture.recordings.pending(integrationID: integrationID, limit: 10)
            #expect(failed.map(\.attempts) == [1] && failed.map(\.lastError) == ["HTTP 500 after 5 tries"])
            #expect(try await fixture.recordings.recording(callID: recorded, accountID: fixture.accountID) == nil)

            try await fixture.recordings.stored(expected, fileName: "acct/\(recorded.rawValue)-7212841004.mp3", contentType: "audio/mpeg",
                                                byteCount: 4, at: at(30))
            #expect(try await fixture.recordings.pending(integrationID: integrationID, limit: 10).isEmpty)
            var linked = expected
            linked.fileName = "acct/\(recorded.rawValue)-7212841004.mp3"
            linked.contentType = "audio/mpeg"
            linked.byteCount = 4
            linked.storedAt = at(30)
            linked.attempts = 2
            #expect(try await fixture.recordings.recording(callID: recorded, accountID: fixture.accountID) == linked)
            #expect(try await fixture.recordings.all(callID: recorded, accountID: fixture.accountID) == [linked])
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountNeverSeesTheRecording(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await RecordingFixture.make(database)
            let other = try await RecordingFixture.make(database, name: "other")
            let recorded = try await fixture.call("s1", tags: ["ringcentral_recording_id": "r1", "ringcentral_recording_uri": Self.uri])
            try await fixture.recordings.discover(integrationID: fixture.integration.id, accountID: fixture.accountID,
                                                  source: Source(rawValue: "ringcentral"), since: .earliestAccepted, now: at(1))
            let recording = try #require(try await fixture.recordings.pending(integrationID: fixture.integration.id, limit: 1).first)
            try await fixture.recordings.stored(recording, fileName: "a/b.mp3", contentType: "audio/mpeg", byteCount: 1, at: at(2))
            // run, validate
            #expect(try await other.recordings.recording(callID: recorded, accountID: other.accountID) == nil)
            #expect(try await other.recordings.discover(integrationID: other.integration.id, accountID: other.accountID,
                                                        source: Source(rawValue: "ringcentral"), since: .earliestAccepted, now: at(3)) == 0)
        }
    }

    @Test(arguments: TestEngine.all)
    func aSubscriptionIsSavedAndReplaced(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await RecordingFixture.make(database)
            let store = VendorSubscriptions(database: database)
            let first = VendorSubscription(integrationID: fixture.integration.id, accountID: fixture.accountID, subscriptionID: "sub-1",
                                           address: "https://dce.example/webhooks/ringcentral/x", expiresAt: at(600))
            // run
            try await store.save(first, at: at(0))
            var renewed = first
            renewed.expiresAt = at(1200)
            try await store.save(renewed, at: at(500))
            // validate
            #expect(try await store.subscription(integrationID: fixture.integration.id) == renewed)
            #expect(try await store.subscription(integrationID: "nope") == nil)
        }
    }
}
