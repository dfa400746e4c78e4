/// Where a call stands. Every vendor's statuses map onto these (see each vendor folder).
public enum CallStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case completed
    case answered
    case inProgress = "in_progress"
    case ringing
    case noAnswer = "no_answer"
    case busy
    case failed
    case canceled
    case unknown

    /// Accepts dce's own names and the common spellings vendors use for them
    /// (`no-answer`, `in-progress`, `cancelled`).
    public init?(parsing text: String) {
        let normalized = text.trimmingWhitespace().lowercased()
            .replacingAll("-", with: "_").replacingAll(" ", with: "_")
        switch normalized {
        case "cancelled": self = .canceled
        case "noanswer": self = .noAnswer
        case "inprogress": self = .inProgress
        default:
            guard let status = CallStatus(rawValue: normalized) else { return nil }
            self = status
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let status = CallStatus(parsing: text) else {
            let allowed = CallStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a call status; use one of \(allowed)")
        }
        self = status
    }

    /// A finished call: no later event may turn it back into a live one.
    public var isFinal: Bool {
        switch self {
        case .completed, .noAnswer, .busy, .failed, .canceled: true
        case .answered, .inProgress, .ringing, .unknown: false
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
