import DCEDomain
@testable import DCEStorage
import Testing

/// The cross-vendor rule places and compares times with arithmetic that cannot trap,
/// whatever an event holds: the ends of Int64 saturate instead of overflowing.
@Suite struct CrossVendorDedupeExtremesTests {
    static func event(at millis: Int64, duration: Int?, source: Source = .ringba) throws -> CallEvent {
        CallEvent(
            source: source, externalCallID: "x", idempotencyKey: "k", occurredAt: Timestamp(millisecondsSince1970: millis),
            fields: CallFields(callerPhone: try PhoneNumber(parsing: "+14155550123"), trackingNumber: try PhoneNumber(parsing: "+18885550101"),
                               durationSeconds: duration)
        )
    }

    @Test(arguments: [
        (Int64.min, Int.max), (Int64.min, Int.min), (Int64.max, Int.min), (Int64.max, Int.max), (0, Int.max), (1_705_400_000_000, 180),
    ] as [(Int64, Int)])
    func anEstimatedStartSaturates(millis: Int64, duration: Int) throws {
        let placed = CrossVendorDedupe.start(of: try Self.event(at: millis, duration: duration))
        #expect(placed.window == CrossVendorDedupe.estimatedWindow)
        if duration == 180 { #expect(placed.start == 1_705_400_000_000 - 180_000) }
        if duration == .max { #expect(placed.start == Timestamp(millisecondsSince1970: millis).subtracting(seconds: Int64(duration)).millisecondsSince1970) }
    }

    @Test func matchingAcrossTheEndsOfInt64NeitherTrapsNorJoins() throws {
        var board = CrossVendorDedupe.Board()
        let account = AccountID(rawValue: "acct")
        board.start(CallID(rawValue: "far-past"), accountID: account, sortAt: .min)
        board.start(CallID(rawValue: "far-future"), accountID: account, sortAt: .max)
        for id in ["far-past", "far-future"] {
            board.place(try Self.event(at: 0, duration: nil, source: .retreaver), on: CallID(rawValue: id))
        }
        for (millis, duration) in [(Int64.max, Int.max), (.min, Int.min), (.min, Int.max), (.max, Int.min)] {
            _ = board.match(try Self.event(at: millis, duration: duration), accountID: account)
        }
        #expect(board.match(try Self.event(at: 0, duration: 0), accountID: account) == nil)
        #expect(board.match(try Self.event(at: .max, duration: 0), accountID: account) == CallID(rawValue: "far-future"))
    }
}
