/// Free key/value attributes on a call (`utm_source`, `lead_score`, …), as in Retreaver's
/// tag model. One write carries at most 100 of them, as Retreaver allows.
public struct Tags: Hashable, Sendable, Codable, Sequence {
    public static let maximumPerWrite = 100
    public static let maximumKeyLength = 128
    public static let maximumValueLength = 4096

    public private(set) var values: [String: String]

    public enum ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
        case tooMany(count: Int)
        case emptyKey
        case keyTooLong(String)
        case valueTooLong(key: String)

        public var description: String {
            switch self {
            case .tooMany(let n): "\(n) tags in one write; at most \(Tags.maximumPerWrite) are allowed"
            case .emptyKey: "a tag key cannot be empty"
            case .keyTooLong(let k): "tag key '\(k.prefix(20))…' is longer than \(Tags.maximumKeyLength) characters"
            case .valueTooLong(let k): "the value of tag '\(k)' is longer than \(Tags.maximumValueLength) characters"
            }
        }
    }

    public init() { values = [:] }

    public init(validating values: [String: String]) throws(ValidationError) {
        guard values.count <= Self.maximumPerWrite else { throw .tooMany(count: values.count) }
        for (key, value) in values {
            guard !key.isEmpty else { throw .emptyKey }
            guard key.count <= Self.maximumKeyLength else { throw .keyTooLong(key) }
            guard value.count <= Self.maximumValueLength else { throw .valueTooLong(key: key) }
        }
        self.values = values
    }

    /// Stored tags are not limited in total, only per write.
    init(unchecked values: [String: String]) { self.values = values }

    public subscript(key: String) -> String? { values[key] }
    public var isEmpty: Bool { values.isEmpty }
    public var count: Int { values.count }

    /// Later tags override earlier ones key by key; nothing is removed.
    public func merging(_ later: Tags) -> Tags {
        Tags(unchecked: values.merging(later.values) { _, new in new })
    }

    public func makeIterator() -> Dictionary<String, String>.Iterator { values.makeIterator() }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: String].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
