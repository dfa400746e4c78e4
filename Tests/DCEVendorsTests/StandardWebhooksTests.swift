import DCEVendors
import Foundation
import Testing

/// The Standard Webhooks signing scheme (standardwebhooks.com): HMAC-SHA256 over
/// `id.timestamp.body`, base64, `v1,` prefix, 5-minute tolerance.
@Suite struct StandardWebhooksTests {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test func theSpecificationsExampleVerifies() throws {
        // The example of the Standard Webhooks specification.
        let signature = StandardWebhooks.signature(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        try StandardWebhooks.verify(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                    signatures: "v1,bm9ldHUM= " + signature, body: body, now: Date(timeIntervalSince1970: 1614265400))
    }

    @Test func eachFailureIsNamed() {
        let now = Date(timeIntervalSince1970: 1614265330)
        let good = StandardWebhooks.signature(secret: secret, id: "m1", timestamp: 1614265330, body: body)
        #expect(throws: StandardWebhooks.Failure.missingHeader("webhook-id")) {
            try StandardWebhooks.verify(secret: secret, id: nil, timestamp: "1614265330", signatures: good, body: body, now: now)
        }
        #expect(throws: StandardWebhooks.Failure.timestampOutOfTolerance) {
            try StandardWebhooks.verify(secret: secret, id: "m1", timestamp: "1614265330", signatures: good, body: body, now: now.addingTimeInterval(301))
        }
        #expect(throws: StandardWebhooks.Failure.noValidSignature) {
            try StandardWebhooks.verify(secret: secret, id: "m1", timestamp: "1614265330", signatures: good, body: body + [0x20], now: now)
        }
        #expect(throws: StandardWebhooks.Failure.noValidSignature) {
            try StandardWebhooks.verify(secret: "whsec_b3RoZXJzZWNyZXQ=", id: "m1", timestamp: "1614265330", signatures: good, body: body, now: now)
        }
        #expect(throws: StandardWebhooks.Failure.malformedTimestamp) {
            try StandardWebhooks.verify(secret: secret, id: "m1", timestamp: "soon", signatures: good, body: body, now: now)
        }
    }

    @Test func tokensCompareByValue() {
        #expect(ConstantTime.equals("abcdef0123456789", "abcdef0123456789"))
        #expect(!ConstantTime.equals("abcdef0123456789", "abcdef012345678"))
        #expect(!ConstantTime.equals("", "x"))
    }
}
