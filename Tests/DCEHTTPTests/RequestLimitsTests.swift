import DCEDomain
@testable import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// One caller cannot take a node for itself: keys and integrations are rate-limited, and
/// the bodies in flight share a bounded amount of memory.
@Suite struct RequestLimitsTests {
    static let tight = ServerLimits(requestsPerSecond: 0.01, burst: 3)

    @Test(arguments: TestEngine.all)
    func aKeyOverItsRateGets429WithRetryAfterAndOtherKeysAreNotSlowed(engine: TestEngine) async throws {
        try await TestApp.with(engine, limits: Self.tight) { client, services, account in
            // run: the burst, then one more
            for _ in 0..<3 {
                let response = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
                #expect(response.status == .ok)
            }
            let refused = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            // validate
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "rate_limited")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter >= 1)
            let other = try await AccountDirectory(database: services.database).issueKey(for: account.account.id, label: "other")
            let fresh = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(other.plaintext))
            #expect(fresh.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func anIntegrationOverItsRateGets429AndNothingIsStored(engine: TestEngine) async throws {
        try await TestApp.with(engine, limits: ServerLimits(requestsPerSecond: 0.01, burst: 4)) { client, _, account in
            // setup: creating the integration spends one of the key's tokens, not the integration's
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            // run
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<5 {
                let response = try await client.execute(uri: ringba.path("call_id=RATE-\(index)&caller_id=%2B15551234567"), method: .post)
                statuses.append(response.status)
            }
            // validate
            #expect(statuses == [.ok, .ok, .ok, .ok, .tooManyRequests])
            let letters = try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(account.key))
            #expect(letters.value["data"]?.array?.isEmpty == true)
        }
    }

    @Test func aRequestWhoseBodyDoesNotFitTheBudgetIsAnswered503BeforeItIsRead() async throws {
        try await TestApp.with(.sqlite, limits: ServerLimits(bodyMemoryBytes: 1024)) { client, services, account in
            let small = #"{"idempotency_key": "small-1", "external_call_id": "S1"}"#
            let accepted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(small))
            #expect(accepted.status == .ok)
            let large = #"{"idempotency_key": "large-1", "external_call_id": "L1", "type": "\#(String(repeating: "x", count: 2000))"}"#
            let refused = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(large))
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.errorCode == "busy")
            #expect(services.bodyBudget.inUse == 0)
        }
    }

    @Test func theBudgetGivesBackWhatEachRequestReserved() {
        let budget = BodyBudget(capacity: 100)
        #expect(budget.reserve(60))
        #expect(!budget.reserve(50))
        budget.release(60)
        #expect(budget.reserve(100))
        #expect(!budget.reserve(1))
    }

    @Test(arguments: TestEngine.all)
    func aSignedBodyTooLargeToCheckIs413NotUnauthorized(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let native = try await TestIntegration.create(client, key: account.key, vendor: "native")
            let body = #"{"idempotency_key": "big", "external_call_id": "B", "type": "\#(String(repeating: "y", count: 5 * 1024 * 1024))"}"#
            let headers = native.signed(body)
            let viaWebhook = try await client.execute(uri: native.path, method: .post, headers: headers, body: .json(body))
            #expect(viaWebhook.status == .contentTooLarge)
            let viaEvents = try await client.execute(uri: "/v1/events?integration=\(native.id)", method: .post, headers: headers, body: .json(body))
            #expect(viaEvents.status == .contentTooLarge)
        }
    }
}
