import DCEDomain
import Foundation
import Testing

@Suite struct CallStatusTests {
    @Test(arguments: [
        ("completed", CallStatus.completed), ("no-answer", .noAnswer), ("NO_ANSWER", .noAnswer),
        ("in-progress", .inProgress), ("cancelled", .canceled), ("canceled", .canceled), ("busy", .busy),
        ("failed", .failed), ("ringing", .ringing), ("answered", .answered), ("unknown", .unknown),
    ])
    func parsesVendorSpellings(text: String, status: CallStatus) {
        #expect(CallStatus(parsing: text) == status)
    }

    @Test func refusesOtherWords() {
        #expect(CallStatus(parsing: "exploded") == nil)
    }
}

@Suite struct TagsTests {
    @Test func atMostOneHundredPerWrite() throws {
        let hundred = Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", "v") })
        #expect(try Tags(validating: hundred).count == 100)
        var tooMany = hundred
        tooMany["one-more"] = "v"
        #expect(throws: Tags.ValidationError.tooMany(count: 101)) { try Tags(validating: tooMany) }
        #expect(throws: Tags.ValidationError.emptyKey) { try Tags(validating: ["": "v"]) }
    }
}

@Suite struct CallMergeTests {
    static func event(_ key: String, at seconds: Int64, _ fields: CallFields) -> CallEvent {
        CallEvent(source: Source(rawValue: "retreaver"), externalCallID: "c1", idempotencyKey: key,
                  occurredAt: Timestamp(millisecondsSince1970: seconds * 1000), fields: fields)
    }

    @Test func laterFactsOverrideAndMissingFactsKeepEarlierOnes() throws {
        let caller = try PhoneNumber(parsing: "+15551234567")
        var startTags = CallFields()
        startTags.tags = try Tags(validating: ["utm_source": "google", "lead_score": "10"])
        var endTags = CallFields()
        endTags.tags = try Tags(validating: ["lead_score": "85"])
        let start = Self.event("start", at: 100, CallFields(callerPhone: caller, status: .ringing, campaignID: "c-1", tags: startTags.tags))
        let end = Self.event("end", at: 200, CallFields(durationSeconds: 95, status: .completed, revenue: Money(cents: 4500), tags: endTags.tags))
        let folded = CallMerge.fold([start, end])
        #expect(folded.callerPhone == caller)
        #expect(folded.campaignID == "c-1")
        #expect(folded.status == .completed)
        #expect(folded.durationSeconds == 95)
        #expect(folded.revenue == Money(cents: 4500))
        #expect(folded.tags.values == ["utm_source": "google", "lead_score": "85"])
    }

    @Test func arrivalOrderDoesNotMatterOnlyEventTime() {
        let start = Self.event("start", at: 100, CallFields(status: .ringing, campaignID: "a"))
        let answered = Self.event("answered", at: 150, CallFields(status: .answered))
        let always = Self.event("always", at: 300, CallFields(durationSeconds: 60, status: .completed))
        let inOrder = CallMerge.fold([start, answered, always])
        #expect(CallMerge.fold([always, start, answered]) == inOrder)
        #expect(CallMerge.fold([answered, always, start]) == inOrder)
        #expect(inOrder.status == .completed)
    }

    @Test func aFinalStatusIsNotUndoneByALiveOneAtTheSameMoment() {
        let completed = Self.event("a", at: 100, CallFields(status: .completed))
        let ringing = Self.event("b", at: 100, CallFields(status: .ringing))
        #expect(CallMerge.fold([completed, ringing]).status == .completed)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-02T10:00:00Z", Int64(1_793_613_600_000)),
        ("2026-11-02T10:00:00.250Z", 1_793_613_600_250),
        ("2026-11-02T12:00:00+02:00", 1_793_613_600_000),
        ("2026-11-02", 1_793_577_600_000),
        ("2026-11-02 10:00:00", 1_793_613_600_000),
    ])
    func parses(text: String, millis: Int64) {
        #expect(Timestamp(parsing: text)?.millisecondsSince1970 == millis)
    }

    @Test func refusesGarbage() {
        #expect(Timestamp(parsing: "yesterday") == nil)
    }
}

@Suite struct ISO8601Tests {
    @Test(arguments: [
        "1970-01-01T00:00:00.000Z", "2026-11-02T10:00:00.250Z", "2024-02-29T23:59:59.999Z",
        "2200-12-31T23:59:59.999Z", "2000-03-01T00:00:00.000Z", "2099-12-31T12:34:56.789Z",
    ])
    func formatsAndParsesBackExactly(text: String) throws {
        let parsed = try #require(Timestamp(parsing: text))
        #expect(parsed.iso8601 == text)
    }

    @Test func agreesWithFoundationOnOffsetsAndFractions() throws {
        #expect(Timestamp(parsing: "2026-11-02T10:00:00+0530")?.millisecondsSince1970 == Timestamp(parsing: "2026-11-02T04:30:00Z")?.millisecondsSince1970)
        #expect(Timestamp(parsing: "2026-11-02T10:00:00.5Z")?.millisecondsSince1970 == 1_793_613_600_500)
        #expect(Timestamp(parsing: "2026-11-02T10:00Z")?.millisecondsSince1970 == 1_793_613_600_000)
        let now = Date(timeIntervalSince1970: 1_793_613_600.25)
        #expect(Timestamp(now).iso8601 == "2026-11-02T10:00:00.250Z")
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "2026-11-02T24:00:00Z", "2026-11-02T10:00:00Q", "2026-11-02T10:00:00.Z", "0026-1-2"])
    func refusesImpossibleDates(text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }
}
