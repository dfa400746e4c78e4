import Foundation

/// How long a number stays with a visitor: `lifetime_seconds` after the last keep-alive.
/// Afterwards it returns to the pool; calls that arrive within `attributionGrace` of the
/// end are still the visitor's (someone who read the number may dial a minute later).
public struct LeasePolicy: Hashable, Sendable {
    public static let defaultLifetimeSeconds = 1800
    public static let lifetimeRange = 15...86_400
    public static let defaultMaxPoolSize = 2
    /// Picking a number reads one index entry, so a pool's size costs its leases nothing.
    public static let maxPoolSizeRange = 1...100_000
    public static let attributionGraceSeconds: Int64 = 120

    public let lifetimeSeconds: Int

    public init(lifetimeSeconds: Int) { self.lifetimeSeconds = lifetimeSeconds }

    /// When a lease seen at `lastSeen` ends.
    public func expiry(after lastSeen: Timestamp) -> Timestamp {
        lastSeen.adding(seconds: Int64(lifetimeSeconds))
    }

    /// Whether a call at `callTime` belongs to a lease that ran from `leasedAt` and ended
    /// (or will end) at `endsAt`.
    public static func attributes(callTime: Timestamp, leasedAt: Timestamp, endsAt: Timestamp) -> Bool {
        leasedAt <= callTime && callTime <= endsAt.adding(seconds: attributionGraceSeconds)
    }
}

/// What a web page tells about its visitor when it asks for a number: the page, the
/// first page of the visit, its own tags and the visitor id. These become the session's
/// tags, and so the tags of any call the visitor places.
public struct VisitorSession: Hashable, Sendable {
    public var pageURL: String?
    public var originalURL: String?
    public var visitorID: String?
    public var tags: [String: String]

    public init(pageURL: String? = nil, originalURL: String? = nil, visitorID: String? = nil, tags: [String: String] = [:]) {
        self.pageURL = pageURL
        self.originalURL = originalURL
        self.visitorID = visitorID
        self.tags = tags
    }

    /// Query parameters of the landing page that say where the visitor came from.
    public static let attributionParameters: Set<String> = [
        "gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "dclid", "li_fat_id",
    ]

    /// The tags a call to this session's number carries: `page_url`, `landing_page_url`,
    /// `visitor_id`, every `utm_*` and click id of the landing and current pages (the
    /// current page wins), and the page's own tags over all of those.
    public var callTags: [String: String] {
        var result: [String: String] = [:]
        for url in [originalURL, pageURL].compactMap({ $0 }) {
            for (key, value) in Self.queryItems(of: url) {
                let lowered = key.lowercased()
                if lowered.hasPrefix("utm_") || Self.attributionParameters.contains(lowered) { result[lowered] = value }
            }
        }
        if let pageURL { result["page_url"] = pageURL }
        if let originalURL { result["landing_page_url"] = originalURL }
        if let visitorID { result["visitor_id"] = visitorID }
        for (key, value) in tags { result[key] = value }
        return result
    }

    /// Reads `&k=v&k2=v2` (retreaver-js's `st`, and query strings), percent-decoding each part.
    public static func pairs(_ text: String) -> [(String, String)] {
        let trimmed = text.hasPrefix("?") ? String(text.dropFirst()) : text
        return trimmed.split(separator: "&").compactMap { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(pieces[0])
            guard !key.isEmpty else { return nil }
            return (key, pieces.count > 1 ? decode(pieces[1]) : "")
        }
    }

    static func queryItems(of url: String) -> [(String, String)] {
        guard let question = url.firstIndex(of: "?") else { return [] }
        let query = url[url.index(after: question)...].prefix { $0 != "#" }
        return pairs(String(query))
    }

    static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
