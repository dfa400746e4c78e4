import DCEDomain

/// The TwiML documents dce answers a voice webhook with. Twilio, SignalWire and Telnyx
/// TeXML read the same verbs. Every attribute and text is escaped; URLs are dce's own.
public enum TwiML {
    public static let contentType = "text/xml; charset=utf-8"
    /// Twilio's events for a dialled number's status callback.
    public static let dialEvents = "initiated ringing answered completed"
    /// Twilio dials at most ten numbers at once, the most a campaign or ring group rings.
    public static let maximumSimultaneous = CampaignSpec.simultaneousRings.upperBound

    /// One destination of a `<Dial>` and the URL its leg's status callbacks go to.
    public struct Leg: Hashable, Sendable {
        public let destination: RouteDestination
        public let statusCallback: String
        public init(_ destination: RouteDestination, statusCallback: String) {
            self.destination = destination
            self.statusCallback = statusCallback
        }
    }

    /// Rings `legs` (the first ten) at once; the first to answer takes the call. `action`
    /// learns how the dial ended.
    public static func dial(_ legs: [Leg], timeoutSeconds: Int, action: String) -> String {
        var dial = Element("Dial", ["timeout": String(timeoutSeconds), "action": action, "method": "POST"])
        for leg in legs.prefix(maximumSimultaneous) {
            dial.children.append(noun(leg.destination, statusCallback: leg.statusCallback))
        }
        return document([dial])
    }

    /// What a call gets when no target takes it: another number, voicemail, or hang-up.
    /// `action` receives the end of the fallback dial or the recording; `recordingCallback`
    /// receives the recording once it is stored.
    public static func fallback(_ fallback: RoutingFallback, action: String, statusCallback: String, recordingCallback: String) -> String {
        switch fallback {
        case .number(let number):
            return dial([Leg(.number(number), statusCallback: statusCallback)], timeoutSeconds: RoutingTarget.defaultRingTimeoutSeconds, action: action)
        case .voicemail:
            var say = Element("Say")
            say.text = "No one can take your call right now. Please leave a message after the tone."
            let record = Element("Record", [
                "action": action, "method": "POST", "maxLength": "120", "playBeep": "true",
                "recordingStatusCallback": recordingCallback, "recordingStatusCallbackEvent": "completed",
            ])
            return document([say, record])
        case .hangUp:
            return hangUp()
        }
    }

    public static func hangUp() -> String { document([Element("Hangup")]) }

    static func noun(_ destination: RouteDestination, statusCallback: String) -> Element {
        let attributes = ["statusCallback": statusCallback, "statusCallbackEvent": dialEvents, "statusCallbackMethod": "POST"]
        var element: Element
        switch destination {
        case .number(let number): element = Element("Number", attributes); element.text = number.e164
        case .sip(let uri): element = Element("Sip", attributes); element.text = uri
        }
        return element
    }

    static func document(_ children: [Element]) -> String {
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"#
        out += "<Response>"
        for child in children { child.write(to: &out) }
        out += "</Response>"
        return out
    }

    /// One element: attributes in a fixed order (by name), text or children.
    struct Element {
        let name: String
        let attributes: [(String, String)]
        var text: String?
        var children: [Element] = []

        init(_ name: String, _ attributes: [String: String] = [:]) {
            self.name = name
            self.attributes = attributes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }

        func write(to out: inout String) {
            out += "<" + name
            for (key, value) in attributes { out += " \(key)=\"\(TwiML.escape(value))\"" }
            if text == nil, children.isEmpty { out += "/>"; return }
            out += ">"
            if let text { out += TwiML.escape(text) }
            for child in children { child.write(to: &out) }
            out += "</" + name + ">"
        }
    }

    /// XML-escapes text and attribute values; control characters XML 1.0 cannot carry are
    /// dropped rather than written.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
