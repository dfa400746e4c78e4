import DCEDomain
import Testing

/// Vendors deliver a call's stages in any order; the fold over event time gives one call.
@Suite struct StageOrderTests {
    static let start = Timestamp(millisecondsSince1970: 1_705_312_800_000)

    static func event(_ stage: String, at seconds: Int64, _ fields: CallFields) -> CallEvent {
        CallEvent(source: Source(rawValue: "retreaver"), externalCallID: "R-1", idempotencyKey: "R-1:\(stage)", occurredAt: start.adding(seconds: seconds), type: stage, fields: fields)
    }

    @Test func everyArrivalOrderFoldsToTheSameCall() {
        let start = Self.event("start", at: 0, CallFields(callerPhone: try? PhoneNumber(parsing: "+14155550123"), callStartedAt: Self.start, status: .ringing))
        let answered = Self.event("answered", at: 6, CallFields(callAnsweredAt: Self.start.adding(seconds: 6), status: .answered))
        let always = Self.event("always", at: 190, CallFields(durationSeconds: 184, callEndedAt: Self.start.adding(seconds: 190), status: .completed))
        let orders = [[start, answered, always], [always, answered, start], [answered, always, start], [always, start, answered]]
        let folded = orders.map(CallMerge.fold)
        #expect(Set(folded).count == 1)
        #expect(folded[0].status == .completed)
        #expect(folded[0].durationSeconds == 184)
        #expect(folded[0].callerPhone?.e164 == "+14155550123")
    }

    @Test func aLateRingingDoesNotReopenAFinishedCall() {
        let ended = Self.event("always", at: 5, CallFields(status: .completed))
        let ringing = Self.event("start", at: 5, CallFields(status: .ringing))
        #expect(CallMerge.fold([ended, ringing]).status == .completed)
    }
}
