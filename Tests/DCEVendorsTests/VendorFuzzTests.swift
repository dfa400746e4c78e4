import DCEJSON
import DCEDomain
import DCEVendors
import Foundation
import PropertyBased
import Testing

/// Random and extreme values in every parameter every vendor decoder reads. A decoder
/// either reads the delivery, with every number and time inside its limit, or refuses it
/// with a `VendorError`; the run finishing is the proof that nothing traps. The seed is
/// fixed, so every run throws the same values.
@Suite struct VendorFuzzTests {
    static let cases = 600

    static func run<Value>(_ generator: Generator<Value, some Sequence>, seed: UInt64, _ body: (Value) throws -> Void) rethrows {
        var random = Xoshiro(seed: (seed, 0x2545_F491_4F6C_DD1D, 0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9))
        for _ in 0..<cases { try body(generator.run(using: &random)) }
    }

    static func pick<Value: Sendable>(_ values: [Value]) -> Generator<Value, Shrink.None<Value?>> {
        Gen<Value?>.element(of: values).compactMap { $0 }
    }

    typealias Choice<Value> = Generator<Value, AnySequence<(index: Int, value: Any)>>

    /// What a careless or hostile sender puts where a number or a time belongs.
    static let hostileTexts: Choice<String> = Gen.oneOf(
        Gen<Int64>.value(in: Int64.min...Int64.max).map { String($0) }.eraseToAny(),
        Gen<Int64>.value(in: -20_000_000_000_000...20_000_000_000_000).map { String($0) }.eraseToAny(),
        Gen<Double>.value(in: -1e300...1e300).map { "\($0)" }.eraseToAny(),
        pick([
            "-9223372036854775808", "9223372036854775807", "99999999999999999999", "1e19", "-1e19", "1e308", "1E+400",
            "12.5", "-0", "", " ", "NaN", "inf", "0x10", "garbage", "-0001-01-01T00:00:00Z", "99999-01-01T00:00:00Z",
            "0000-01-01", "2201-01-01", "1969-12-31T23:59:59Z", "2026-02-30", "2024-01-15 10:00:00", "2024-01-15T10:00:00+99:00",
            "+15551234567", "1,000,000,000.00", "$999999999.99", "31622400", "31622399", "1️⃣", "١٢",
        ]).eraseToAny()
    )

    /// A few named parameters with hostile values.
    static func parameters(_ names: [String]) -> Generator<[(String, String)], some SendableSequenceType> {
        zip(pick(names), hostileTexts).array(of: 1...8)
    }

    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
    }

    /// As a JSON object; a value that is a valid JSON number is sent as one.
    static func json(_ pairs: [(String, String)]) -> String {
        let members = pairs.map { name, value in
            let number = JSONValue.parse(value).map { if case .number = $0 { true } else { false } } ?? false
            return "\(JSONText.string(name)): \(number ? value : JSONText.string(value))"
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    static func delivery(_ body: String, json: Bool, query: String = "") -> VendorDelivery {
        VendorDelivery(method: "POST", query: FlatFields.form(query).values,
                       contentType: json ? "application/json" : "application/x-www-form-urlencoded",
                       body: Array(body.utf8), receivedAt: Fixture.receivedAt)
    }

    /// Reading never traps, and whatever is read is inside the domain's limits. Returns
    /// whether the delivery was read, so a test can show that both outcomes were reached.
    @discardableResult
    static func decode(_ vendor: some VendorAdapter, _ delivery: VendorDelivery) -> Bool {
        do {
            for read in try vendor.decode(delivery, integration: integration) {
                let fields = read.event.fields
                if let duration = fields.durationSeconds { #expect(CallDuration.acceptedRange.contains(duration)) }
                for money in [fields.revenue, fields.payout].compactMap({ $0 }) { #expect(money.cents.magnitude <= Money.maximumCents.magnitude) }
                for time in [fields.callStartedAt, fields.callAnsweredAt] .compactMap({ $0 }) {
                    #expect(Timestamp.acceptedRange.contains(time), "\(vendor) \(time)")
                }
                _ = read.event.occurredAt.iso8601
                _ = fields.callEndedAt?.iso8601
            }
            return true
        } catch {
            #expect(!error.message.isEmpty)
            return false
        }
    }

    /// Runs `cases` deliveries and checks that some were read and some refused.
    static func fuzz<Value>(_ generator: Generator<Value, some Sequence>, seed: UInt64, _ body: (Value) -> Bool) {
        var read = 0
        run(generator, seed: seed) { if body($0) { read += 1 } }
        #expect(read > 0)
        #expect(read < cases)
    }

    @Test func ringba() {
        let names = RingbaWebhook.Parameter.allCases.map(\.rawValue) + ["sale_sucesful"]
        Self.fuzz(zip(Self.parameters(names), Gen.bool), seed: 11) { pairs, json in
            let all = [("call_id", "R1")] + pairs
            return Self.decode(.ringba, Self.delivery(json ? Self.json(all) : Self.form(all), json: json))
        }
    }

    @Test func retreaver() {
        let names = RetreaverWebhook.Field.allCases.map(\.rawValue).filter { $0 != "stage" }
        Self.fuzz(zip(Self.parameters(names), Gen.bool, Self.pick(RetreaverWebhook.Stage.allCases.map(\.rawValue))), seed: 12) { input in
            let (pairs, json, stage) = input
            let all = [("id", "T1")] + pairs
            return Self.decode(.retreaver, Self.delivery(json ? Self.json(all) : Self.form(all), json: json, query: "stage=\(stage)"))
        }
    }

    @Test func exotel() {
        let names = ExotelStatusCallback.Field.allCases.map(\.rawValue)
        Self.fuzz(zip(Self.parameters(names), Gen.bool), seed: 13) { pairs, json in
            let all = [("CallSid", "E1"), ("Status", "completed")] + pairs
            return Self.decode(.exotel, Self.delivery(json ? Self.json(all) : Self.form(all), json: json))
        }
    }

    @Test func invoca() {
        let names = InvocaTransaction.Field.allCases.map(\.rawValue)
        Self.fuzz(zip(Self.parameters(names), Self.parameters(names)), seed: 14) { first, second in
            let rows = [[("transaction_id", "I1")] + first, [("transaction_id", "I2"), ("corrects_transaction_id", "I1")] + second]
            return Self.decode(.invoca, Self.delivery("[" + rows.map(Self.json).joined(separator: ", ") + "]", json: true))
        }
    }

    @Test func ringCentral() {
        // Each member is absent (null) half of the time, so that some deliveries are read.
        Self.fuzz(Self.hostileTexts.optional(valueRate: 0.5).array(of: 6), seed: 15) { values in
            func value(_ index: Int) -> String {
                guard let text = values[index] else { return "null" }
                let number = JSONValue.parse(text).map { if case .number = $0 { true } else { false } } ?? false
                return number && index == 2 ? text : JSONText.string(text)
            }
            let session = #"{"timestamp": \#(value(0)), "body": {"sessionId": "S1", "eventTime": \#(value(1)), "sequence": \#(value(2)), "parties": [{"from": {"phoneNumber": \#(value(3))}, "status": {"code": "Disconnected"}}]}}"#
            let presence = #"{"body": {"activeCalls": [{"sessionId": "S1", "telephonyStatus": "CallConnected", "startTime": \#(value(4)), "to": \#(value(5))}]}}"#
            let readSession = Self.decode(.ringcentral, Self.delivery(session, json: true))
            let readPresence = Self.decode(.ringcentral, Self.delivery(presence, json: true))
            return readSession || readPresence
        }
    }
}
