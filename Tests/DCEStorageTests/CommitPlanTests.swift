import DCEDomain
@testable import DCEStorage
import Testing

/// A commit group's decisions, made from loaded rows without a database: each test states
/// the rows, the deliveries and the whole plan they give.
@Suite struct CommitPlanTests {
    static let account = AccountID(rawValue: "acct_1")
    static let start = Timestamp(millisecondsSince1970: 1_790_000_000_000)
    static let caller = try! PhoneNumber(parsing: "+12135550100")
    static let tracking = try! PhoneNumber(parsing: "+18885550101")

    static func event(_ source: Source, call: String, key: String, at seconds: Int64 = 0, _ fields: CallFields = CallFields()) -> CallEvent {
        CallEvent(source: source, externalCallID: call, idempotencyKey: key, occurredAt: start.adding(seconds: seconds), type: nil, fields: fields)
    }

    static func key(_ key: String) -> EventKey { EventKey(account: account.rawValue, idempotencyKey: key) }

    static func delivery(_ events: CallEvent...) -> CommitPlan.Delivery {
        CommitPlan.Delivery(accountID: account, events: events)
    }

    static func claim(_ source: Source, _ call: String, to callID: String) -> ClaimedVendorID {
        ClaimedVendorID(accountID: account, source: source, externalCallID: call, callID: CallID(rawValue: callID))
    }

    static func newCall(_ id: String, _ source: Source, _ call: String) -> NewCall {
        NewCall(id: CallID(rawValue: id), accountID: account, source: source, externalCallID: call)
    }

    static func planned(_ item: Int, _ index: Int, _ key: String, to callID: String) -> PlannedEvent {
        PlannedEvent(item: item, index: index, key: Self.key(key), accountID: account, callID: CallID(rawValue: callID))
    }

    @Test func aNewVendorIDStartsACallAndARetryInTheGroupIsTheFirstEvent() {
        let deliveries = [
            Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:incoming")),
            Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:incoming")),
            Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:completed", at: 90)),
        ]
        let stored = CommitPlan.Stored()
        #expect(CommitPlan.mostNewCalls(deliveries, stored: stored) == 3)

        let plan = CommitPlan.make(deliveries, stored: stored, board: .init(), newCallIDs: ["call_1", "call_2", "call_3"].map(CallID.init(rawValue:)))

        #expect(plan == CommitPlan(
            decisions: [[.write(CallID(rawValue: "call_1"))], [.sameAsEarlier(Self.key("r1:incoming"))], [.write(CallID(rawValue: "call_1"))]],
            newCalls: [Self.newCall("call_1", .ringba, "R-1")],
            vendorIDs: [Self.claim(.ringba, "R-1", to: "call_1")],
            events: [Self.planned(0, 0, "r1:incoming", to: "call_1"), Self.planned(2, 0, "r1:completed", to: "call_1")]
        ))
    }

    @Test func aStoredKeyIsADuplicateAndAStoredVendorIDNamesItsCall() {
        let first = AppendOutcome(idempotencyKey: "r1:incoming", eventID: 7, callID: CallID(rawValue: "call_old"), duplicate: false)
        let stored = CommitPlan.Stored(
            outcomes: [Self.key("r1:incoming"): first],
            calls: [VendorKey(account: Self.account.rawValue, source: "ringba", externalCallID: "R-1"): CallID(rawValue: "call_old")]
        )
        let deliveries = [Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:incoming"), Self.event(.ringba, call: "R-1", key: "r1:completed", at: 90))]
        #expect(CommitPlan.mostNewCalls(deliveries, stored: stored) == 0)
        #expect(CommitPlan.dedupeReports(deliveries, stored: stored).isEmpty)

        let plan = CommitPlan.make(deliveries, stored: stored, board: .init(), newCallIDs: [])

        #expect(plan == CommitPlan(
            decisions: [[.duplicate(AppendOutcome(idempotencyKey: "r1:incoming", eventID: 7, callID: CallID(rawValue: "call_old"), duplicate: true)),
                         .write(CallID(rawValue: "call_old"))]],
            newCalls: [],
            vendorIDs: [],
            events: [Self.planned(0, 1, "r1:completed", to: "call_old")]
        ))
    }

    @Test func anotherVendorsReportOfAStoredCallJoinsItAndClaimsItsID() {
        let board = CrossVendorDedupe.Board(calls: [
            CallID(rawValue: "call_ringba"): .init(accountID: Self.account.rawValue, caller: Self.caller.e164, tracking: Self.tracking.e164,
                                                   sortAt: Self.start.millisecondsSince1970, sources: ["ringba"]),
        ])
        let report = Self.event(.ringcentral, call: "S-1", key: "s1:answered", at: 3,
                                CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, callStartedAt: Self.start.adding(seconds: 2)))
        let deliveries = [Self.delivery(report)]
        #expect(CommitPlan.dedupeReports(deliveries, stored: .init()).map(\.event) == [report])

        let plan = CommitPlan.make(deliveries, stored: .init(), board: board, newCallIDs: [CallID(rawValue: "call_unused")])

        #expect(plan == CommitPlan(
            decisions: [[.write(CallID(rawValue: "call_ringba"))]],
            newCalls: [],
            vendorIDs: [Self.claim(.ringcentral, "S-1", to: "call_ringba")],
            events: [Self.planned(0, 0, "s1:answered", to: "call_ringba")]
        ))
    }

    @Test func aCallStartedInTheGroupIsFoundByTheOtherVendorsReportAfterIt() {
        let fields = CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, callStartedAt: Self.start)
        let deliveries = [
            Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:incoming", fields)),
            Self.delivery(Self.event(.ringcentral, call: "S-1", key: "s1:answered", at: 2,
                                     CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, callStartedAt: Self.start.adding(seconds: 2)))),
            // Ringba's second report of another call: same caller, but Ringba already names this call.
            Self.delivery(Self.event(.ringba, call: "R-2", key: "r2:incoming", at: 4,
                                     CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, callStartedAt: Self.start.adding(seconds: 4)))),
        ]

        let plan = CommitPlan.make(deliveries, stored: .init(), board: .init(), newCallIDs: ["call_1", "call_2", "call_3"].map(CallID.init(rawValue:)))

        #expect(plan == CommitPlan(
            decisions: [[.write(CallID(rawValue: "call_1"))], [.write(CallID(rawValue: "call_1"))], [.write(CallID(rawValue: "call_2"))]],
            newCalls: [Self.newCall("call_1", .ringba, "R-1"), Self.newCall("call_2", .ringba, "R-2")],
            vendorIDs: [Self.claim(.ringba, "R-1", to: "call_1"), Self.claim(.ringcentral, "S-1", to: "call_1"), Self.claim(.ringba, "R-2", to: "call_2")],
            events: [Self.planned(0, 0, "r1:incoming", to: "call_1"), Self.planned(1, 0, "s1:answered", to: "call_1"), Self.planned(2, 0, "r2:incoming", to: "call_2")]
        ))
    }

    @Test func eventsOfACallAnotherNodeStartedFirstMoveToItsCall() {
        let deliveries = [Self.delivery(Self.event(.ringba, call: "R-1", key: "r1:incoming"), Self.event(.ringba, call: "R-2", key: "r2:incoming"))]
        let plan = CommitPlan.make(deliveries, stored: .init(), board: .init(), newCallIDs: ["call_1", "call_2"].map(CallID.init(rawValue:)))

        let moved = plan.moving([CallID(rawValue: "call_1"): CallID(rawValue: "call_other")])

        #expect(moved.decisions == [[.write(CallID(rawValue: "call_other")), .write(CallID(rawValue: "call_2"))]])
        #expect(moved.events == [Self.planned(0, 0, "r1:incoming", to: "call_other"), Self.planned(0, 1, "r2:incoming", to: "call_2")])
        #expect(moved.touchedCalls == [CallID(rawValue: "call_other"): Self.account, CallID(rawValue: "call_2"): Self.account])
    }

    @Test func outcomesCarryTheEventIDsAndTheCallsStatus() throws {
        let stored = CommitPlan.Stored(outcomes: [Self.key("old"): AppendOutcome(idempotencyKey: "old", eventID: 3, callID: CallID(rawValue: "call_0"), duplicate: true)])
        let deliveries = [
            Self.delivery(Self.event(.ringba, call: "R-1", key: "old"), Self.event(.ringba, call: "R-1", key: "new")),
            Self.delivery(Self.event(.ringba, call: "R-1", key: "new")),
        ]
        let plan = CommitPlan.make(deliveries, stored: stored, board: .init(), newCallIDs: ["call_1", "call_2"].map(CallID.init(rawValue:)))
        let call = CallID(rawValue: "call_1")

        var written = AppendOutcome(idempotencyKey: "new", eventID: 11, callID: call, duplicate: false)
        written.callStatus = .completed
        #expect(try plan.outcomes(eventIDs: [Self.key("new"): 11], statuses: [call: .completed]) == [
            [AppendOutcome(idempotencyKey: "old", eventID: 3, callID: CallID(rawValue: "call_0"), duplicate: true), written],
            [AppendOutcome(idempotencyKey: "new", eventID: 11, callID: call, duplicate: true)],
        ])
        // Another node took the key between the group's read and its insert.
        #expect(throws: LedgerError.self) { try plan.outcomes(eventIDs: [:], statuses: [:]) }
    }

    // MARK: - Folds

    static let stored = Fold.StoredCall(
        id: CallID(rawValue: "call_1"), fields: CallFields(trackingNumber: tracking, callStartedAt: start, status: .ringing),
        eventCount: 1, firstEventAt: start.millisecondsSince1970, lastEventAt: start.millisecondsSince1970
    )

    @Test func newEventsAfterTheLastAreFoldedOntoTheStoredCall() {
        let later = Fold.Added(eventID: 2, occurredAt: Self.start.millisecondsSince1970 + 90_000,
                               fields: CallFields(durationSeconds: 90, status: .completed))
        #expect(Fold.onto(Self.stored, adding: [later]) == Fold(
            fields: CallFields(trackingNumber: Self.tracking, durationSeconds: 90, callStartedAt: Self.start, status: .completed),
            earliest: Self.start.millisecondsSince1970, latest: Self.start.millisecondsSince1970 + 90_000, count: 2
        ))
    }

    @Test func anEarlierEventOrANewStartFoldsTheCallAgainFromItsEvents() {
        let earlier = Fold.Added(eventID: 2, occurredAt: Self.start.millisecondsSince1970 - 1, fields: CallFields(status: .ringing))
        #expect(Fold.onto(Self.stored, adding: [earlier]) == nil)
        let moved = Fold.Added(eventID: 2, occurredAt: Self.start.millisecondsSince1970 + 1, fields: CallFields(callStartedAt: Self.start.adding(seconds: 1)))
        #expect(Fold.onto(Self.stored, adding: [moved]) == nil)
        let unbounded = Fold.StoredCall(id: Self.stored.id, fields: Self.stored.fields, eventCount: 1, firstEventAt: nil, lastEventAt: nil)
        #expect(Fold.onto(unbounded, adding: [Fold.Added(eventID: 2, occurredAt: Self.start.millisecondsSince1970 + 1, fields: CallFields())]) == nil)
    }

    @Test func aCallIsAttributedByItsTrackingNumberAndStartAndKeepsItsOwnTags() throws {
        let call = CallID(rawValue: "call_1")
        let unnumbered = CallID(rawValue: "call_2")
        let folds = Fold.folds(of: [
            Fold.Event(callID: call, fields: CallFields(trackingNumber: Self.tracking, tags: try Tags(validating: ["utm_source": "call"])),
                       occurredAt: Self.start.millisecondsSince1970),
            Fold.Event(callID: unnumbered, fields: CallFields(status: .ringing), occurredAt: Self.start.millisecondsSince1970),
        ])
        #expect(Fold.attributionQueries(folds, calls: [call, unnumbered], accounts: [call: Self.account, unnumbered: Self.account]).map(\.callID) == [call])

        let attributed = Fold.attributing(folds, sessionTags: [call: try Tags(validating: ["utm_source": "session", "gclid": "g-1"])])
        #expect(attributed[call]?.fields.tags == (try Tags(validating: ["utm_source": "call", "gclid": "g-1"])))
        #expect(attributed[unnumbered] == folds[unnumbered])
    }

    @Test func refoldedRowsThatKeepTheIndexedColumnsLeaveThemOut() {
        let kept = CallID(rawValue: "call_1")
        let changed = CallID(rawValue: "call_2")
        let fold = Fold(fields: CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, callStartedAt: Self.start),
                        earliest: Self.start.millisecondsSince1970, latest: Self.start.millisecondsSince1970, count: 1)
        let indexed: [Cell] = [.text(Self.caller.e164), .text(Self.tracking.e164), .integer(Self.start.millisecondsSince1970)]
        let rows = CallRows.refolded([kept: fold, changed: fold], accounts: [kept: Self.account, changed: Self.account],
                                     indexed: [kept: indexed, changed: [.null, .text(Self.tracking.e164), .integer(0)]], now: 5)
        #expect(rows.unmoved == [CallRows.row(kept, accountID: Self.account, fold: fold, now: 5, identity: ("", ""))])
        #expect(rows.moved == [CallRows.row(changed, accountID: Self.account, fold: fold, now: 5, identity: ("", ""))])
    }
}
