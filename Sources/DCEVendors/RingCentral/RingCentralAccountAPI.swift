import DCEJSON
import DCEDomain

/// RingCentral's account API besides the call log, as pure request builders and response
/// readers: the account's phone numbers and their labels (seed 001's "Create a Pool of
/// Labeled Numbers": each tracking number labelled with its destination number), and the
/// webhook subscription that delivers telephony events to dce.
public enum RingCentralAccountAPI {
    public static let phoneNumbersEndpoint = "phone-number"
    public static let subscriptionEndpoint = "subscription"

    /// The event filters dce subscribes to: the account's telephony sessions, and seed
    /// 001's presence with `detailedTelephonyState`.
    public static let eventFilters = [
        "/restapi/v1.0/account/~/telephony/sessions",
        "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true",
    ]
    /// A webhook subscription lives a week unless renewed.
    public static let subscriptionSeconds = 604_800
    /// Renewed when it has less than this left.
    public static let renewalMarginSeconds: Int64 = 86_400

    /// One of the account's numbers (`GET /restapi/v1.0/account/~/phone-number`).
    public struct PhoneNumber: Sendable, Hashable {
        public var id: String
        public var phoneNumber: DCEDomain.PhoneNumber
        public var label: String?
        public var paymentType: String?
        public var usageType: String?
    }

    public static func phoneNumbersRequest(_ credentials: PullCredentials) -> PullRequest {
        PullRequest(url: credentials.apiBaseURL + "restapi/v1.0/account/~/phone-number?"
            + RingCentralURL.query([("perPage", "1000"), ("page", "1")]), endpoint: phoneNumbersEndpoint)
    }

    /// A page of the account's numbers and the request for the next. A record that is not
    /// a phone number dce reads (a number in another form) is left out; a page that is
    /// not the documented shape throws.
    public static func readPhoneNumbers(_ response: PullResponse, of request: PullRequest, credentials: PullCredentials)
        throws(VendorError) -> (numbers: [PhoneNumber], next: PullRequest?) {
        let page = try JSONMembers(body: response.body)
        guard let records = try page.objects("records") else { throw .missing("records") }
        var numbers: [PhoneNumber] = []
        for record in records {
            guard let id = try record.members.text("id"), let text = try record.members.string("phoneNumber"),
                  let number = try? DCEDomain.PhoneNumber(parsing: text) else { continue }
            let label = try record.members.string("label").map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
            numbers.append(PhoneNumber(id: id, phoneNumber: number, label: label,
                                       paymentType: try record.members.string("paymentType"), usageType: try record.members.string("usageType")))
        }
        return (numbers, try next(page, after: request, credentials: credentials, endpoint: phoneNumbersEndpoint))
    }

    /// Sets a number's label (`PUT /restapi/v1.0/account/~/phone-number/{id}`).
    public static func labelRequest(numberID: String, label: String, credentials: PullCredentials) -> PullRequest {
        PullRequest(method: "PUT", url: credentials.apiBaseURL + "restapi/v1.0/account/~/phone-number/" + RingCentralURL.segment(numberID),
                    headers: ["Content-Type": "application/json"], body: Array(JSONText.object(["label": label]).utf8),
                    endpoint: phoneNumbersEndpoint)
    }

    /// A new webhook subscription delivering to `address`, proving itself with
    /// `verificationToken` (the integration's secret).
    public static func subscribeRequest(address: String, verificationToken: String, credentials: PullCredentials) -> PullRequest {
        let body = JSONValue.object([
            "eventFilters": .array(eventFilters.map(JSONValue.string)),
            "deliveryMode": .object([
                "transportType": .string("WebHook"), "address": .string(address), "verificationToken": .string(verificationToken),
            ]),
            "expiresIn": .integer(subscriptionSeconds),
        ])
        return PullRequest(method: "POST", url: credentials.apiBaseURL + "restapi/v1.0/subscription",
                           headers: ["Content-Type": "application/json"], body: Array(body.text.utf8), endpoint: subscriptionEndpoint)
    }

    public static func renewRequest(subscriptionID: String, credentials: PullCredentials) -> PullRequest {
        PullRequest(method: "POST", url: credentials.apiBaseURL + "restapi/v1.0/subscription/" + RingCentralURL.segment(subscriptionID) + "/renew",
                    endpoint: subscriptionEndpoint)
    }

    /// A subscription as RingCentral answers it: its id and when it expires
    /// (`expirationTime`, else `expiresIn` from `now`).
    public static func readSubscription(_ response: PullResponse, now: Timestamp) throws(VendorError) -> (id: String, expiresAt: Timestamp) {
        let json = try JSONMembers(body: response.body)
        guard let id = try json.text("id"), !id.isEmpty else { throw .missing("id") }
        if let expires = try RingCentralMapping.time(try json.string("expirationTime"), field: "expirationTime") { return (id, expires) }
        guard let seconds = try json.integer("expiresIn") else { throw .missing("expirationTime") }
        guard (0...315_360_000).contains(seconds) else { throw .invalid("expiresIn", "\(seconds) is not a number of seconds from 0 to 315360000") }
        return (id, now.adding(seconds: Int64(seconds)))
    }

    /// The request for the page after `request` (`navigation.nextPage`), on the
    /// integration's API root; a next page that is this page again would never end.
    static func next(_ page: JSONMembers, after request: PullRequest, credentials: PullCredentials, endpoint: String) throws(VendorError) -> PullRequest? {
        guard let uri = try page.object("navigation")?.object("nextPage")?.string("uri") else { return nil }
        guard let url = RingCentralURL.rebase(uri, onto: credentials.apiBaseURL) else {
            throw .invalid("navigation.nextPage.uri", "'\(uri.prefix(200))' is not a RingCentral API address")
        }
        guard url != request.url else { throw .invalid("navigation.nextPage.uri", "the next page is the page just read") }
        return PullRequest(url: url, endpoint: endpoint)
    }

    /// Whether dce may send the account's token to `uri` (a recording's `contentUri`): the
    /// integration's API root, or one of RingCentral's own https hosts (`media.ringcentral.com`).
    public static func mayAuthorize(_ uri: String, apiBaseURL: String) -> Bool {
        guard let target = RingCentralURL.origin(uri) else { return false }
        if let base = RingCentralURL.origin(apiBaseURL), base.scheme == target.scheme, base.host == target.host { return true }
        return target.scheme == "https" && (target.host == "ringcentral.com" || target.host.hasSuffix(".ringcentral.com"))
    }
}
