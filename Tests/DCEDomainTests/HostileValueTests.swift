@testable import DCEDomain
import Foundation
import PropertyBased
import Testing

/// Times, durations and amounts from outside are checked where they are read, and the
/// domain's arithmetic never traps, whatever the value.
@Suite struct TimeWindowTests {
    @Test(arguments: ["1970-01-01T00:00:00Z", "2200-12-31T23:59:59.999Z", "2026-11-02", "2200-12-31T23:59:59+00:00"])
    func acceptsTheYears1970Through2200(text: String) throws {
        let parsed = try Timestamp.parse(text)
        #expect(Timestamp.acceptedRange.contains(parsed))
    }

    @Test(arguments: [
        "1969-12-31T23:59:59.999Z", "2201-01-01", "1970-01-01T00:00:00+01:00", "0000-01-01", "2200-12-31T23:59:59-00:01",
    ])
    func refusesTimesOutsideTheWindowAsOutOfRange(text: String) {
        #expect(throws: Timestamp.ParseError.outOfRange(text)) { try Timestamp.parse(text) }
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test(arguments: ["99999-01-01T00:00:00Z", "-0001-01-01", "+2026-01-01", "", "2026", "1e12"])
    func refusesFiveDigitAndSignedYearsAsNotADateTime(text: String) {
        #expect(throws: Timestamp.ParseError.notADateTime(text)) { try Timestamp.parse(text) }
    }

    @Test func decodingAnOutOfRangeTimeNamesTheWindow() {
        struct Box: Decodable { let at: Timestamp }
        #expect {
            try JSONDecoder().decode(Box.self, from: Data(#"{"at": "2999-01-01T00:00:00Z"}"#.utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context)? = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue) == ["at"] && context.debugDescription.contains("1970 to 2200")
        }
    }

    @Test(arguments: [
        (Int64(1_700_000_000), Int64(1_700_000_000_000)), (1_700_000_000_123, 1_700_000_000_123), (0, 0),
        (7_289_654_399, 7_289_654_399_000), (100_000_000_001, 100_000_000_001),
    ])
    func readsEpochSecondsAndMilliseconds(epoch: Int64, millis: Int64) throws {
        #expect(try Timestamp.epoch(epoch).millisecondsSince1970 == millis)
    }

    @Test(arguments: [Int64.min, Int64.max, -1, -9_300_000_000_000_000, 7_289_654_400, 9_223_372_036_854_775, 7_289_654_400_000])
    func refusesEpochsOutsideTheWindow(epoch: Int64) {
        #expect(throws: Timestamp.ParseError.outOfRange(String(epoch))) { try Timestamp.epoch(epoch) }
    }

    @Test func arithmeticSaturatesInsteadOfTrapping() {
        let max = Timestamp(millisecondsSince1970: .max)
        let min = Timestamp(millisecondsSince1970: .min)
        #expect(max.adding(milliseconds: 1) == max)
        #expect(min.adding(milliseconds: -1) == min)
        #expect(Timestamp(millisecondsSince1970: 0).adding(seconds: .max) == max)
        #expect(Timestamp(millisecondsSince1970: 0).adding(seconds: .min) == min)
        #expect(Timestamp(millisecondsSince1970: 0).subtracting(seconds: .min) == max)
        #expect(Timestamp(millisecondsSince1970: 0).subtracting(seconds: .max) == min)
        #expect(Timestamp(millisecondsSince1970: 5_000).subtracting(seconds: 2) == Timestamp(millisecondsSince1970: 3_000))
        #expect(min.distance(to: max) == .max)
        #expect(Timestamp.gap(.min, 0) == UInt64(Int64.max) + 1)
        #expect(Timestamp(Date.distantFuture.addingTimeInterval(1e300)) == max)
    }

    @Test(arguments: [
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "10000-01-01T00:00:00.000Z"),
        (Int64.max, "292278994-08-17T07:12:55.807Z"),
        (Int64.min, "-292275055-05-16T16:47:04.192Z"),
    ])
    func formatsAnyInt64(millis: Int64, text: String) {
        #expect(ISO8601.format(millis) == text)
    }
}

@Suite struct CallDurationTests {
    @Test(arguments: [("180", 180), ("180.0", 180), ("1.8e2", 180), (" 0 ", 0), ("31622399", 31_622_399)])
    func readsWholeSecondsUnder366Days(text: String, seconds: Int) throws {
        #expect(try CallDuration.seconds(parsing: text) == seconds)
    }

    @Test(arguments: [
        "31622400", "-1", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e308", "1e19",
        "nan", "inf", "-0.5", "12.5", "", "abc", "0x10", "1️⃣",
    ])
    func refusesEverythingElse(text: String) {
        #expect(throws: CallDuration.ParseError(text: text)) { try CallDuration.seconds(parsing: text) }
    }

    @Test(arguments: [
        #"{"duration_seconds": 99999999999999999999}"#, #"{"duration_seconds": 9223372036854775807}"#,
        #"{"duration_seconds": -1}"#, #"{"duration_seconds": 1e300}"#, #"{"duration_seconds": 31622400}"#, #"{"duration_seconds": 1.5}"#,
    ])
    func callFieldsRefuseAnOutOfRangeDurationNamingIt(json: String) {
        #expect {
            try JSONDecoder().decode(CallFields.self, from: Data(json.utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context)? = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue) == ["duration_seconds"]
        }
    }

    @Test func callFieldsReadAWholeDuration() throws {
        let fields = try JSONDecoder().decode(CallFields.self, from: Data(#"{"duration_seconds": 180.0}"#.utf8))
        #expect(fields.durationSeconds == 180)
        let none = try JSONDecoder().decode(CallFields.self, from: Data(#"{"duration_seconds": null}"#.utf8))
        #expect(none.durationSeconds == nil)
    }
}

@Suite struct MoneyLimitTests {
    @Test(arguments: [("999999999.99", Int64(99_999_999_999)), ("0000000000000000012.50", 1250), ("999,999,999", 99_999_999_900)])
    func acceptsAmountsUnderOneBillion(text: String, cents: Int64) throws {
        #expect(try Money(parsing: text).cents == cents)
    }

    @Test(arguments: ["1000000000", "1000000000.00", "99999999999999999999999", "1,000,000,000.00"])
    func refusesOneBillionAndMore(text: String) {
        #expect(throws: Money.ParseError.tooLarge(text)) { try Money(parsing: text) }
        #expect(throws: Money.ParseError.tooLarge("-" + text)) { try Money(parsing: "-" + text, allowNegative: true) }
    }

    @Test(arguments: ["1️⃣2", "١٢", "12.5️⃣"])
    func refusesDigitsThatAreNotASCII(text: String) {
        #expect(throws: Money.ParseError.notANumber(text)) { try Money(parsing: text) }
    }

    @Test(arguments: ["1e19", "-1e19", "1e308", "1000000000", "1000000000.0", "9.3e18", "1e9"])
    func decodingRefusesHugeNumbersAsTooLarge(number: String) {
        struct Box: Decodable { let amount: Money }
        #expect {
            try JSONDecoder().decode(Box.self, from: Data(#"{"amount": \#(number)}"#.utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context)? = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue) == ["amount"] && context.debugDescription.contains("under 1,000,000,000.00")
        }
    }

    @Test func decodingReadsSmallExponentsInCents() throws {
        struct Box: Decodable { let amount: Money }
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"amount": 1.5e2}"#.utf8)).amount.cents == 15_000)
        #expect(try JSONDecoder().decode(Box.self, from: Data(#"{"amount": 1e-7}"#.utf8)).amount.cents == 0)
    }

    @Test func sumsSaturateInsteadOfTrapping() {
        let max = Money(cents: .max)
        let min = Money(cents: .min)
        #expect(max + Money(cents: 1) == max)
        #expect(min + Money(cents: -1) == min)
        #expect(min - Money(cents: 1) == min)
        #expect(max - Money(cents: -1) == max)
        #expect(Money(cents: 5) - Money(cents: 7) == Money(cents: -2))
        #expect(min.decimalString == "-92233720368547758.08")
    }
}

/// Random and extreme values thrown at every parser and every sum of the domain: the run
/// finishing is the proof that nothing traps. A fixed seed keeps it the same on every run.
@Suite struct DomainFuzzTests {
    static let cases = 3_000

    static func run<Value>(_ generator: Generator<Value, some Sequence>, seed: UInt64, _ body: (Value) throws -> Void) rethrows {
        var random = Xoshiro(seed: (seed, 0x9E37_79B9_7F4A_7C15, 0xD1B5_4A32_D192_ED03, 0x94D0_49BB_1331_11EB))
        for _ in 0..<cases { try body(generator.run(using: &random)) }
    }

    typealias Choice<Value> = Generator<Value, AnySequence<(index: Int, value: Any)>>

    /// One of `values`, each as likely.
    static func pick<Value: Sendable>(_ values: [Value]) -> Generator<Value, Shrink.None<Value?>> {
        Gen<Value?>.element(of: values).compactMap { $0 }
    }

    /// Whole numbers anywhere in Int64, with the ends and their neighbours often.
    static let integers: Choice<Int64> = Gen.oneOf(
        Gen<Int64>.value(in: Int64.min...Int64.max).eraseToAny(),
        pick([Int64.min, .min + 1, -1, 0, 1, .max - 1, .max, 100_000_000_000, 100_000_000_001, 7_289_654_399_999]).eraseToAny(),
        Gen<Int64>.value(in: -10_000_000_000_000...10_000_000_000_000).eraseToAny()
    )

    static let oddNumberTexts = [
        "", " ", "-", "+", ".", "e", "1e", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "0x1p3", "1_000",
        "99999999999999999999", "-99999999999999999999", "00000000000000000000000001", "1.", ".1", "--1",
        "1,000,000,000.00", "$-1", "-$1", "1.2.3", "١٢٣", "1️⃣", "\u{0}", "12\u{0}", "9223372036854775808",
    ]

    /// Text a careless or hostile sender might put where a number or time belongs.
    static let numberTexts: Choice<String> = Gen.oneOf(
        integers.map { String($0) }.eraseToAny(),
        Gen<Double>.value(in: -1e300...1e300).map { "\($0)" }.eraseToAny(),
        pick(oddNumberTexts).eraseToAny(),
        pick(Array("0123456789-+.eE, $".utf8)).array(of: 0...30)
            .map { String(decoding: $0, as: UTF8.self) }.eraseToAny()
    )

    static func dateText(_ parts: (Int, Int, Int, Int)) -> String {
        String(format: "%04d-%02d-%02dT%02d:00:00Z", parts.0, parts.1, parts.2, parts.3)
    }

    static let timeTexts: Choice<String> = Gen.oneOf(
        numberTexts.eraseToAny(),
        zip(Gen.int(in: -99_999...99_999), Gen.int(in: -1...13), Gen.int(in: -1...32), Gen.int(in: -1...25)).map(dateText).eraseToAny(),
        pick([
            "99999-01-01T00:00:00Z", "-0001-01-01", "0000-00-00", "2026-11-02T10:00:00.99999999999999999999Z",
            "2026-11-02T10:00:00+99:99", "2200-12-31T23:59:59.999-23:59", "1970-01-01T00:00:00+23:59",
        ]).eraseToAny()
    )

    @Test func formattingAndReadingTimesNeverTraps() {
        Self.run(Self.integers, seed: 1) { millis in
            let text = ISO8601.format(millis)
            if Timestamp.acceptedRange.contains(Timestamp(millisecondsSince1970: millis)) {
                #expect(Timestamp(parsing: text)?.millisecondsSince1970 == millis, "\(millis)")
            } else {
                #expect(Timestamp(parsing: text) == nil, "\(millis)")
            }
            if let epoch = try? Timestamp.epoch(millis) { #expect(Timestamp.acceptedRange.contains(epoch)) }
        }
    }

    @Test func everyTimeReadIsInsideTheWindow() {
        Self.run(Self.timeTexts, seed: 2) { text in
            if let parsed = Timestamp(parsing: text) { #expect(Timestamp.acceptedRange.contains(parsed), "\(text)") }
        }
    }

    @Test func everyDurationAndAmountReadIsInsideItsLimit() {
        Self.run(Self.numberTexts, seed: 3) { text in
            if let seconds = try? CallDuration.seconds(parsing: text) { #expect(CallDuration.acceptedRange.contains(seconds), "\(text)") }
            if let money = try? Money(parsing: text, allowNegative: true) { #expect(money.cents.magnitude <= Money.maximumCents.magnitude, "\(text)") }
            struct Box: Decodable { let amount: Money? }
            _ = try? JSONDecoder().decode(Box.self, from: Data(#"{"amount": \#(text)}"#.utf8))
            _ = try? JSONDecoder().decode(CallFields.self, from: Data(#"{"duration_seconds": \#(text), "revenue": \#(text)}"#.utf8))
        }
    }

    @Test func timeAndMoneyArithmeticNeverTraps() {
        Self.run(zip(Self.integers, Self.integers), seed: 4) { a, b in
            let time = Timestamp(millisecondsSince1970: a)
            _ = time.adding(seconds: b)
            _ = time.subtracting(seconds: b)
            _ = time.adding(milliseconds: b)
            #expect(Timestamp.gap(a, b) == Timestamp.gap(b, a))
            _ = Money(cents: a) + Money(cents: b)
            _ = Money(cents: a) - Money(cents: b)
            _ = Money(cents: a).decimalString
            _ = time.iso8601
        }
    }
}
