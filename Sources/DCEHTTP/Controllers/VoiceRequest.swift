import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird

/// A voice webhook request once a carrier of `accountID` is known to have sent it.
struct VoiceRequest: Sendable {
    let accountID: AccountID
    let carrier: Carrier
    let callback: CarrierCallback
    /// The request as the ledger keeps it (the URL token redacted).
    let inbound: InboundRequest
    /// Where carriers reach dce, for the callback URLs dce gives them.
    let base: String
    /// The URL token the request carried, carried on into the callback URLs.
    let token: String?
}

/// The URLs a call's TwiML sends the carrier back to, all under `/voice/{campaign}`.
struct CallbackURLs: Sendable {
    let base: String
    let campaignID: CampaignID
    var routeID: String?
    let token: String?

    func with(routeID: String) -> CallbackURLs {
        var copy = self
        copy.routeID = routeID
        return copy
    }

    func status(target: String?) -> String { url("status", [("route", routeID), ("target", target)]) }
    func dial(attempt: Int) -> String { url("dial", [("route", routeID), ("attempt", String(attempt))]) }
    /// After a fallback dial or voicemail the call ends, whatever the carrier reports.
    var afterFallback: String { url("dial", [("route", routeID), ("stage", "fallback")]) }

    func url(_ leaf: String, _ pairs: [(String, String?)]) -> String {
        let query = (pairs + [("token", token)]).compactMap { name, value in
            value.map { "\(name)=\(Self.encode($0))" }
        }.joined(separator: "&")
        return "\(base)/voice/\(Self.encode(campaignID.rawValue))/\(leaf)" + (query.isEmpty ? "" : "?" + query)
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}

extension VoiceController {
    static let maximumBody = 64 * 1024

    static func collect(_ request: Request) async throws -> [UInt8] {
        let body = try await CollectedBody.collect(request, limit: maximumBody)
        if body.truncated { throw APIError.tooLarge("the body is larger than \(maximumBody) bytes") }
        return body.bytes
    }

    static func read(_ body: [UInt8], request: Request) throws -> CarrierCallback {
        do {
            return try CarrierCallback.read(body: body, contentType: request.headers[.contentType])
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
    }

    /// `scheme://host` carriers reached dce at: the configured public URL, else the
    /// forwarded scheme and the Host header.
    func base(_ request: Request) -> String {
        if let configured = services.publicURL {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "http"
        return "\(scheme)://\(request.head.authority ?? "")"
    }

    /// Checks the request against the carriers of each account it may belong to; 403
    /// (logged, without secrets) when none verifies it.
    func authenticate(
        _ request: Request, context: AppRequestContext, accountIDs: [AccountID],
        body: [UInt8]? = nil, callback: CarrierCallback? = nil
    ) async throws -> VoiceRequest {
        let bytes: [UInt8]
        if let body { bytes = body } else { bytes = try await Self.collect(request) }
        let read: CarrierCallback
        if let callback { read = callback } else { read = try Self.read(bytes, request: request) }
        let base = base(request)
        let signedURL = base + request.uri.description
        let token = FlatFields.form(request.uri.query ?? "").values["token"]
        var reason = "no account"
        for accountID in accountIDs {
            let accountCarriers = try await carriers.carriers(of: accountID)
            do throws(VoiceAuthentication.Failure) {
                let carrier = try VoiceAuthentication.verify(
                    accountCarriers, request: request, signedURL: signedURL, shownURL: base + StoredRequest.path(request),
                    callback: read, body: bytes, token: token, now: .now()
                )
                let inbound = InboundRequest(
                    source: CarrierCallback.source, method: request.method.rawValue, path: StoredRequest.path(request),
                    contentType: request.headers[.contentType], headers: StoredRequest.headers(request), body: bytes
                )
                return VoiceRequest(accountID: accountID, carrier: carrier, callback: read, inbound: inbound, base: base, token: token)
            } catch {
                reason = error.reason
            }
        }
        context.logger.notice("voice webhook authentication failed", metadata: ["path": "\(request.uri.path)", "reason": "\(reason)"])
        services.metrics.webhook(vendor: CarrierCallback.source.rawValue, outcome: "unauthorized")
        throw APIError(status: .forbidden, code: "forbidden", message: reason)
    }

    /// Stores the request and appends its events to the ledger in one commit through the
    /// ingest every webhook goes through; an unreadable one is kept as a dead letter and
    /// answered 400.
    func record(_ voice: VoiceRequest, events make: (CarrierCallback, Timestamp) throws -> [IncomingEvent]) async throws {
        let ingest = Ingest(services: services)
        _ = try await ingest.accept(ingest.begin(voice.inbound, accountID: voice.accountID, label: CarrierCallback.source.rawValue)) {
            try IngestChecks.requireUTF8(voice.inbound.body)
            let events: [IncomingEvent]
            do { events = try make(voice.callback, voice.inbound.receivedAt) } catch let error as VendorError {
                throw APIError.badRequest(error.message, field: error.field, code: error.code)
            }
            try IngestChecks.requireStorableText(events, batched: false)
            return events
        }
    }

    /// Keeps the request as a dead letter with `error`'s reason, then throws it.
    func deadLetter(_ voice: VoiceRequest, error: APIError) async throws -> Never {
        let ingest = Ingest(services: services)
        try await ingest.refusingInto(ingest.begin(voice.inbound, accountID: voice.accountID, label: CarrierCallback.source.rawValue)) {
            throw error
        }
        // `refusingInto` rethrows the refusal it keeps.
        throw error
    }
}
