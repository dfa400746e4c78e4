import Crypto
import Foundation

/// The `X-Twilio-Signature` scheme, which SignalWire uses too: base64 HMAC-SHA1, keyed
/// with the account's auth token, over the full request URL followed by every POST
/// parameter sorted by name, each written as name then value with no delimiter.
public enum TwilioSignature {
    /// One form parameter as it arrived; a name may repeat.
    public struct Parameter: Hashable, Sendable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The signature a carrier sends for this URL and these parameters.
    public static func signature(authToken: String, url: String, parameters: [Parameter]) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(signedContent(url: url, parameters: parameters).utf8),
            using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// True when `presented` signs the request, with the URL as given or with its default
    /// port added or removed: carriers sign whichever form they dialled, and a proxy in
    /// front of dce may add or drop `:443`. Each comparison takes constant time.
    public static func isValid(_ presented: String?, authToken: String, url: String, parameters: [Parameter]) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        var matched = false
        // Every variant is compared, so the time does not tell which one matched.
        for candidate in urlVariants(url) {
            let expected = signature(authToken: authToken, url: candidate, parameters: parameters)
            if ConstantTime.equals(presented, expected) { matched = true }
        }
        return matched
    }

    /// The URL followed by each parameter, sorted by name and then by value (a repeated
    /// name is sorted by its values, as Twilio's own libraries do). Names compare by their
    /// UTF-8 bytes, which is the code-unit order Twilio's libraries sort in.
    static func signedContent(url: String, parameters: [Parameter]) -> String {
        let sorted = parameters.sorted { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
            return lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
        }
        var content = url
        for parameter in sorted {
            content += parameter.name
            content += parameter.value
        }
        return content
    }

    /// The URL as given, then with its scheme's default port removed if it names it, or
    /// added if it names no port. Other ports, and URLs dce cannot split, stay as given.
    static func urlVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaultPort: String
        switch scheme {
        case "https": defaultPort = "443"
        case "http": defaultPort = "80"
        default: return [url]
        }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let rest = afterScheme[authorityEnd...]
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hostAndPort = authority[hostStart...]
        let prefix = url[..<schemeEnd.upperBound] + authority[..<hostStart]
        // A port follows the last colon, unless that colon is inside an IPv6 literal.
        if let colon = hostAndPort.lastIndex(of: ":"), !hostAndPort[colon...].contains("]") {
            let port = hostAndPort[hostAndPort.index(after: colon)...]
            guard port == defaultPort else { return [url] }
            return [url, String(prefix + hostAndPort[..<colon] + rest)]
        }
        guard !hostAndPort.isEmpty else { return [url] }
        return [url, String(prefix + hostAndPort + ":" + defaultPort + rest)]
    }
}
