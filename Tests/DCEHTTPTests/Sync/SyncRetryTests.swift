import DCEDomain
import DCEHTTP
import DCEStorage
import DCEVendors
import Testing

/// The retry, Retry-After, breaker and rate-limit rules as plain values.
@Suite struct SyncRetryTests {
    let now = Timestamp(millisecondsSince1970: 1_767_657_600_000)  // 2026-01-06T00:00:00Z

    @Test func backoffDoublesFromHalfASecondUpToThirtySeconds() {
        let bounds = (1...8).map { SyncBackoff.bound(attempt: $0, base: .milliseconds(500), cap: .seconds(30)) }
        #expect(bounds == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        #expect(SyncBackoff.retryAfter("7", now: now) == .seconds(7))
        #expect(SyncBackoff.retryAfter("Tue, 06 Jan 2026 00:00:30 GMT", now: now) == .seconds(30))
        #expect(SyncBackoff.retryAfter("Mon, 05 Jan 2026 00:00:00 GMT", now: now) == .zero)
        #expect(SyncBackoff.retryAfter("soon", now: now) == nil)
        #expect(SyncBackoff.retryAfter("-3", now: now) == nil)
        #expect(SyncBackoff.retryAfter("99999999999999999999", now: now).map { $0 > .seconds(86400) } == true)
    }

    @Test func answersAreSortedIntoPagesRetriesRenewalsAndRefusals() {
        func answer(_ status: Int, _ headers: [String: String] = [:]) -> SyncAnswer {
            SyncAnswer.of(PullResponse(status: status, headers: headers, body: []), now: now)
        }
        #expect(answer(200) == .page)
        #expect(answer(503) == .retry(after: nil))
        #expect(answer(429, ["Retry-After": "12"]) == .retry(after: .seconds(12)))
        #expect(answer(401) == .renewToken)
        #expect(answer(403) == .renewToken)
        #expect(answer(404) == .refused)
    }

    @Test func theBreakerOpensAfterFiveFailuresForLongerEachTimeUpToAnHour() {
        var state = SyncState(integrationID: "int_1", accountID: AccountID(rawValue: "acc_1"))
        for _ in 1...4 { state = SyncBreaker.failed(state, now: now, policy: .standard) }
        #expect(state.breaker == .closed)
        #expect(SyncBreaker.admission(state, now: now) == .run)
        state = SyncBreaker.failed(state, now: now, policy: .standard)
        #expect(state.breaker == .open)
        #expect(SyncBreaker.admission(state, now: now) == .refused(until: now.adding(seconds: 60)))
        #expect(SyncBreaker.admission(state, now: now.adding(seconds: 60)) == .probe)
        for _ in 1...10 { state = SyncBreaker.failed(state, now: now, policy: .standard) }
        #expect(state.breakerUntil == now.adding(seconds: 3600))
        state = SyncBreaker.succeeded(state)
        #expect(state.breaker == .closed)
        #expect(state.failures == 0)
        #expect(state.breakerUntil == nil)
    }

    @Test func requestsAreSpacedWithinTheVendorsPublishedBudget() {
        let gate = SyncRateGate(PullRateLimit(count: 2, seconds: 1))
        let waits = (1...5).map { _ in gate.wait(now: now) }
        #expect(waits == [.zero, .zero, .seconds(1), .seconds(1), .seconds(2)])
        #expect(SyncRateGate(nil).wait(now: now) == .zero)
    }
}
