import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Whether a voice webhook request comes from one of the account's carriers: Twilio's
/// `X-Twilio-Signature` or SignalWire's `X-SignalWire-Signature` (the same scheme; SignalWire
/// also sends the Twilio name as a legacy alias), Telnyx's `telnyx-signature-ed25519`, or the
/// carrier's `?token=`. Every candidate is checked, so the time does not tell which one matched.
enum VoiceAuthentication {
    struct Failure: Error {
        /// Safe to log: names what was missing or wrong, never a secret.
        let reason: String
    }

    static let twilioSignature = HTTPField.Name("X-Twilio-Signature")!
    static let signalWireSignature = HTTPField.Name("X-SignalWire-Signature")!
    static let telnyxSignature = HTTPField.Name(TelnyxSignature.signatureHeader)!
    static let telnyxTimestamp = HTTPField.Name(TelnyxSignature.timestampHeader)!

    static func verify(
        _ carriers: [Carrier], request: Request, signedURL: String, shownURL: String, callback: CarrierCallback,
        body: [UInt8], token: String?, now: Timestamp
    ) throws(Failure) -> Carrier {
        guard !carriers.isEmpty else { throw Failure(reason: "the account has no carriers (POST /v1/carriers)") }
        var matched: Carrier?
        var reasons: [String] = []
        if let token {
            let presented = Carrier.hash(urlToken: token)
            for carrier in carriers where ConstantTime.equals(presented, carrier.urlTokenHash) { matched = matched ?? carrier }
            if matched == nil { reasons.append("the URL token matches no carrier") }
        }
        for header in [signalWireSignature, twilioSignature] {
            guard let signature = request.headers[header] else { continue }
            for carrier in carriers where !carrier.kind.usesPublicKey {
                if TwilioSignature.isValid(signature, authToken: carrier.authToken, url: signedURL, parameters: callback.parameters) {
                    matched = matched ?? carrier
                }
            }
            if matched == nil { reasons.append("\(header.rawName) does not verify with any twilio or signalwire carrier for \(shownURL)") }
        }
        if let signature = request.headers[telnyxSignature] {
            var lastFailure: String?
            for carrier in carriers where carrier.kind.usesPublicKey {
                guard let key = TelnyxSignature.publicKey(base64: carrier.authToken) else { continue }
                do {
                    try TelnyxSignature.verify(signature: signature, timestamp: request.headers[telnyxTimestamp], body: body, publicKey: key, now: now)
                    matched = matched ?? carrier
                } catch {
                    lastFailure = error.reason
                }
            }
            if matched == nil { reasons.append(lastFailure ?? "the account has no telnyx carrier") }
        }
        if let matched { return matched }
        if reasons.isEmpty { throw Failure(reason: "no X-SignalWire-Signature, X-Twilio-Signature, telnyx-signature-ed25519 or token") }
        throw Failure(reason: reasons.joined(separator: "; "))
    }
}

/// Carriers change rarely and every voice request needs its account's: a short-lived copy
/// spares a read per request. A deleted carrier stops verifying within `lifetime`.
actor CarrierCache {
    let store: CarrierStore
    let lifetime: Duration
    private var entries: [AccountID: (carriers: [Carrier], fetched: ContinuousClock.Instant)] = [:]

    init(store: CarrierStore, lifetime: Duration = .seconds(5)) {
        self.store = store
        self.lifetime = lifetime
    }

    func carriers(of accountID: AccountID) async throws -> [Carrier] {
        let now = ContinuousClock.now
        if let entry = entries[accountID], now - entry.fetched < lifetime { return entry.carriers }
        let carriers = try await store.list(accountID: accountID)
        if entries.count > 10_000 { entries.removeAll() }
        entries[accountID] = (carriers, now)
        return carriers
    }
}

/// The outcome of work raced against a deadline: a carrier hangs up on a silent webhook, so
/// dce answers when the deadline passes whether or not the work is done.
enum Raced<Value: Sendable>: Sendable {
    case done(Value)
    case failed(String)
    case late

    /// Runs `work` and returns its result, or `.late` once `limit` has passed; late work
    /// still runs to its end (its writes stay consistent), and its result is dropped.
    static func run(within limit: Duration, _ work: @escaping @Sendable () async throws -> Value) async -> Raced<Value> {
        let slot = Mutex<CheckedContinuation<Raced<Value>, Never>?>(nil)
        let resume: @Sendable (Raced<Value>) -> Void = { outcome in
            slot.withLock { continuation in
                continuation?.resume(returning: outcome)
                continuation = nil
            }
        }
        return await withCheckedContinuation { continuation in
            slot.withLock { $0 = continuation }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { resume(.late) }
            }
            Task {
                let outcome: Raced<Value>
                do { outcome = .done(try await work()) } catch { outcome = .failed(String(describing: error)) }
                timer.cancel()
                resume(outcome)
            }
        }
    }
}
