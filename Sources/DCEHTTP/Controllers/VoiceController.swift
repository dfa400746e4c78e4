import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The voice webhook of Twilio, SignalWire and Telnyx TeXML, which share TwiML:
/// `POST /voice/{campaign}` (or `POST /voice`, by the dialled `To`) answers where the call
/// rings; the `<Dial>`'s `action` (`/dial`) falls through to the next target; each dialled
/// leg's status callbacks (`/status`) fold into the call in the ledger as source `carrier`.
///
/// Carriers hang up on a slow webhook, so routing races a deadline: past it, or on any
/// routing error, the call gets the campaign's fallback instead of silence.
struct VoiceController {
    let services: AppServices
    let directory: ExchangeDirectory
    let desk: RouteDesk
    let carriers: CarrierCache
    /// How long routing may take before the fallback is answered instead.
    let deadline: Duration

    init(services: AppServices, deadline: Duration? = nil) {
        self.services = services
        self.directory = services.exchange
        self.desk = services.routes
        self.carriers = CarrierCache(store: CarrierStore(database: services.database))
        self.deadline = deadline ?? services.voiceDeadline
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("voice") { request, context in try await byNumber(request: request, context: context) }
        router.post("voice/{campaign}") { request, context in try await byCampaign(request: request, context: context) }
        router.post("voice/{campaign}/dial") { request, context in try await dial(request: request, context: context) }
        router.post("voice/{campaign}/status") { request, context in try await status(request: request, context: context) }
    }

    // MARK: - Routes

    func byCampaign(request: Request, context: AppRequestContext) async throws -> Response {
        let campaignID = CampaignID(rawValue: try context.parameters.require("campaign"))
        guard let found = try await directory.campaign(id: campaignID) else {
            throw APIError.notFound("no campaign '\(campaignID.rawValue)'")
        }
        let voice = try await authenticate(request, context: context, accountIDs: [found.accountID])
        return try await newCall(voice, campaign: found.campaign, publisherID: nil, request: request, context: context)
    }

    func byNumber(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await Self.collect(request)
        let callback = try Self.read(body, request: request)
        let dialed: PhoneNumber
        do {
            guard let number = try callback.dialed() else { throw APIError.badRequest("'To' is required", field: "To", code: "missing_field") }
            dialed = number
        } catch let error as VendorError {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        let matches = try await directory.campaign(dialing: dialed)
        guard !matches.isEmpty else { throw APIError.notFound("no campaign has the number \(dialed.e164)") }
        let voice = try await authenticate(request, context: context, accountIDs: matches.map(\.accountID), body: body, callback: callback)
        guard let match = matches.first(where: { $0.accountID == voice.accountID }) else {
            throw APIError.notFound("no campaign has the number \(dialed.e164)")
        }
        return try await newCall(voice, campaign: match.campaign, publisherID: match.publisherID, request: request, context: context)
    }

    func dial(request: Request, context: AppRequestContext) async throws -> Response {
        let campaignID = CampaignID(rawValue: try context.parameters.require("campaign"))
        guard let found = try await directory.campaign(id: campaignID) else { throw APIError.notFound("no campaign '\(campaignID.rawValue)'") }
        let voice = try await authenticate(request, context: context, accountIDs: [found.accountID])
        let query = request.uri.queryParameters
        let routeID = query["route"].map(String.init)
        let attempt = query["attempt"].flatMap { Int($0) }.map { min(max($0, 1), 100) } ?? 1
        let afterFallback = query["stage"] == "fallback"
        try await record(voice) { callback, at in
            [.wholeBody(try callback.dialEvent(attempt: afterFallback ? 0 : attempt, receivedAt: at))]
        }
        let urls = CallbackURLs(base: voice.base, campaignID: campaignID, routeID: routeID, token: voice.token)
        // The caller hung up while it rang: the route ends here, nothing more rings.
        if let routeID, voice.callback.dialStatus == .canceled {
            do {
                try await desk.ended(routeID: routeID, accountID: voice.accountID, at: .now(), durationSeconds: nil)
            } catch ExchangeError.notFound {
                context.logger.notice("dial action for an unknown route", metadata: ["route": "\(routeID.prefix(64))"])
            }
            return Self.twiml(TwiML.hangUp())
        }
        // After the fallback, or once a target answered and hung up, the call is over.
        guard !afterFallback, let routeID, let outcome = voice.callback.dialStatus.flatMap(Self.attemptOutcome) else {
            return Self.twiml(TwiML.hangUp())
        }
        let accountID = voice.accountID
        let next = await Raced.run(within: deadline) { [desk] in
            try await desk.fallThrough(routeID: routeID, accountID: accountID, outcome: outcome, at: .now())
        }
        return Self.twiml(answer(next, campaign: found.campaign, urls: urls, attempt: attempt + 1, context: context))
    }

    func status(request: Request, context: AppRequestContext) async throws -> Response {
        let campaignID = CampaignID(rawValue: try context.parameters.require("campaign"))
        guard let found = try await directory.campaign(id: campaignID) else { throw APIError.notFound("no campaign '\(campaignID.rawValue)'") }
        let voice = try await authenticate(request, context: context, accountIDs: [found.accountID])
        let query = request.uri.queryParameters
        let targetID = query["target"].map(String.init)
        try await record(voice) { callback, at in
            [.wholeBody(try callback.statusEvent(targetID: targetID, receivedAt: at))]
        }
        if let routeID = query["route"].map(String.init) {
            let seconds = (try? voice.callback.fields.seconds("CallDuration")) ?? nil
            // The event is stored: a route dce no longer knows is logged, not refused.
            do {
                switch voice.callback.fields.text("CallStatus").flatMap(CallStatus.init(parsing:)) {
                case .inProgress?, .answered?:
                    try await desk.connected(routeID: routeID, accountID: voice.accountID, at: .now(), target: targetID.map(TargetID.init(rawValue:)))
                case .completed?:
                    try await desk.ended(routeID: routeID, accountID: voice.accountID, at: .now(), durationSeconds: seconds)
                default: break
                }
            } catch ExchangeError.notFound {
                context.logger.notice("status callback for an unknown route", metadata: ["route": "\(routeID.prefix(64))"])
            }
        }
        return Self.twiml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>")
    }

    // MARK: - A new call

    func newCall(_ voice: VoiceRequest, campaign: Campaign, publisherID: PublisherID?, request: Request, context: AppRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let callSid: String
        do { callSid = try voice.callback.callSid() } catch {
            try await deadLetter(voice, error: APIError.badRequest(error.message, field: error.field, code: error.code))
        }
        let campaignID = CampaignID(rawValue: campaign.id)
        let urls = CallbackURLs(base: voice.base, campaignID: campaignID, routeID: nil, token: voice.token)
        let routeRequest = RouteRequest(
            campaignID: campaignID, caller: voice.callback.caller, dialed: try? voice.callback.dialed(),
            tags: Self.tags(voice.callback, query: request.uri.query), publisherID: publisherID,
            source: CarrierCallback.source, externalCallID: callSid, time: voice.inbound.receivedAt
        )
        let accountID = voice.accountID
        let routed = await Raced.run(within: deadline) { [desk] in
            var random = SystemRandomNumberGenerator()
            return try await desk.route(routeRequest, accountID: accountID, random: &random)
        }
        let answered = answer(routed, campaign: campaign, urls: urls, attempt: 1, context: context)
        // The call's first event: who called, the number, where it was routed. It shares the
        // deadline with routing: when the ledger is slow the carrier is answered anyway and
        // the write goes on to its end, and a failure is logged, never the call's.
        let routedCall: RoutedCall? = if case .done(let call) = routed { call } else { nil }
        let ringing: @Sendable (CarrierCallback, Timestamp) throws -> [IncomingEvent] = { callback, at in
            let event = try callback.ringingEvent(
                campaignID: campaign.id, publisherID: routedCall?.publisherID?.rawValue ?? publisherID?.rawValue,
                targetID: routedCall?.ringing.first?.target.rawValue, tags: routeRequest.tags, receivedAt: at
            )
            return [.wholeBody(event)]
        }
        let left = max(deadline - (ContinuousClock.now - started), .zero)
        switch await Raced.run(within: left, { [self] in try await record(voice, events: ringing) }) {
        case .done: break
        case .failed(let reason):
            context.logger.error("voice call not recorded", metadata: ["campaign": "\(campaign.id)", "error": "\(reason)"])
        case .late:
            context.logger.warning("voice call answered before its first event was stored; the write goes on", metadata: ["campaign": "\(campaign.id)"])
        }
        return Self.twiml(answered)
    }

    /// The TwiML for a routing outcome: the targets to ring, or the fallback (also when
    /// routing failed or was late).
    func answer(_ outcome: Raced<RoutedCall>, campaign: Campaign, urls: CallbackURLs, attempt: Int, context: AppRequestContext) -> String {
        switch outcome {
        case .done(let call) where !call.ringing.isEmpty:
            let urls = urls.with(routeID: call.routeID)
            let legs = call.ringing.map { TwiML.Leg($0.destination, statusCallback: urls.status(target: $0.target.rawValue)) }
            let timeout = call.ringing.map(\.ringTimeoutSeconds).max() ?? RoutingTarget.defaultRingTimeoutSeconds
            return TwiML.dial(legs, timeoutSeconds: timeout, action: urls.dial(attempt: attempt))
        case .done(let call):
            let urls = urls.with(routeID: call.routeID)
            return TwiML.fallback(call.fallback?.action ?? campaign.spec.fallback, action: urls.afterFallback, statusCallback: urls.status(target: nil), recordingCallback: urls.status(target: nil))
        case .failed(let reason):
            context.logger.error("routing failed; answering the fallback", metadata: ["campaign": "\(campaign.id)", "error": "\(reason)"])
        case .late:
            context.logger.warning("routing was late; answering the fallback", metadata: ["campaign": "\(campaign.id)"])
        }
        return TwiML.fallback(campaign.spec.fallback, action: urls.afterFallback, statusCallback: urls.status(target: nil), recordingCallback: urls.status(target: nil))
    }

    static func attemptOutcome(_ status: CallStatus) -> AttemptOutcome? {
        switch status {
        case .noAnswer: .noAnswer
        case .busy: .busy
        case .failed: .failed
        default: nil
        }
    }

    /// Routing tags: the query string's parameters (a campaign's URL may carry its own) and
    /// what the carrier tells about the caller. Values a tag cannot hold are left out.
    static func tags(_ callback: CarrierCallback, query: String?) -> Tags {
        var values: [String: String] = [:]
        for (name, value) in FlatFields.form(query ?? "").values where !reservedQuery.contains(name) { values[name] = value }
        let callerFields = [
            ("caller_state", ["CallerState", "FromState"]), ("caller_zip", ["CallerZip", "FromZip"]),
            ("caller_city", ["CallerCity", "FromCity"]), ("caller_country", ["CallerCountry", "FromCountry"]),
            ("caller_name", ["CallerName"]), ("forwarded_from", ["ForwardedFrom"]),
        ]
        for (tag, names) in callerFields { if let value = callback.fields.text(names) { values[tag] = value } }
        let kept = values.filter { key, value in
            !key.isEmpty && key.count <= Tags.maximumKeyLength && value.count <= Tags.maximumValueLength
        }.sorted { $0.key < $1.key }.prefix(Tags.maximumPerWrite)
        return (try? Tags(validating: Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) }))) ?? Tags()
    }

    static let reservedQuery: Set<String> = ["token", "route", "target", "attempt", "stage"]

    static func twiml(_ document: String) -> Response {
        Response(status: .ok, headers: [.contentType: TwiML.contentType], body: .init(byteBuffer: ByteBuffer(string: document)))
    }
}
