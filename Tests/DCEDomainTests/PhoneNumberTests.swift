import DCEDomain
import Testing

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        ("+1 (555) 123-4567", "+15551234567"),
        ("555-123-4567", "+15551234567"),
        ("15551234567", "+15551234567"),
        ("5551234567", "+15551234567"),
        ("+442071838750", "+442071838750"),
        ("0044 20 7183 8750", "+442071838750"),
        ("  +1.555.123.4567 ", "+15551234567"),
        ("+91 98765 43210", "+919876543210"),
    ])
    func parses(input: String, e164: String) throws {
        #expect(try PhoneNumber(parsing: input).e164 == e164)
    }

    @Test(arguments: [
        ("", PhoneNumber.ParseError.empty),
        ("call me", .invalidCharacter("c")),
        ("555-CALL-NOW", .invalidCharacter("C")),
        ("12345", .tooShort(digits: 5)),
        ("+1234567890123456", .tooLong(digits: 16)),
        ("+0123456789", .leadingZeroCountryCode),
        ("+1555123456", .tooShort(digits: 10)),
        ("+", .empty),
    ])
    func rejectsWithAReason(input: String, error: PhoneNumber.ParseError) {
        #expect(throws: error) { try PhoneNumber(parsing: input) }
        #expect(!error.description.isEmpty)
    }

    @Test func northAmericanDetails() throws {
        let number = try PhoneNumber(parsing: "+18885550101")
        #expect(number.areaCode == "888")
        #expect(number.nationalFormat == "(888) 555-0101")
        #expect(try PhoneNumber(parsing: "+442071838750").areaCode == nil)
    }
}

@Suite struct MoneyTests {
    @Test(arguments: [
        ("12.50", 1250), ("12.5", 1250), ("12", 1200), ("0", 0), ("0.07", 7), (".5", 50),
        ("$1,234.56", 123_456), ("12.500", 1250), ("  3.10 ", 310),
    ] as [(String, Int64)])
    func parses(input: String, cents: Int64) throws {
        #expect(try Money(parsing: input).cents == cents)
    }

    @Test(arguments: [
        ("abc", Money.ParseError.notANumber("abc")),
        ("", .empty),
        ("-5", .negative("-5")),
        ("1.234", .tooManyDecimals("1.234")),
        ("1.2.3", .notANumber("1.2.3")),
        ("12e3", .notANumber("12e3")),
    ])
    func rejects(input: String, error: Money.ParseError) {
        #expect(throws: error) { try Money(parsing: input) }
    }

    @Test func negativeWhereAllowed() throws {
        #expect(try Money(parsing: "-5.25", allowNegative: true).cents == -525)
        #expect(Money(cents: -525).decimalString == "-5.25")
        #expect(Money(cents: 5).decimalString == "0.05")
    }

    @Test func decodesJSONStringsAndNumbersExactly() throws {
        struct Box: Decodable { let amount: Money }
        for (json, cents) in [(#"{"amount": "12.50"}"#, Int64(1250)), (#"{"amount": 12.1}"#, 1210), (#"{"amount": 12}"#, 1200)] {
            #expect(try JSONDecoder().decode(Box.self, from: Data(json.utf8)).amount.cents == cents)
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Box.self, from: Data(#"{"amount": "abc"}"#.utf8)) }
    }
}

import Foundation
