import DCEJSON
import DCEDomain
import Foundation

/// A delivery's parameters as name → text, read from a query string, a form body or the
/// top level of a JSON object, with typed readers that name the parameter they refuse.
public struct FlatFields: Sendable, Hashable {
    public private(set) var values: [String: String]
    /// Nested `tags` (JSON object, `tags[key]=value` form fields, or `key:value,…` text).
    public private(set) var tags: [String: String]
    /// How many tags the delivery carried, before duplicates collapsed.
    public private(set) var tagCount: Int

    public init(_ values: [String: String] = [:], tags: [String: String] = [:], tagCount: Int? = nil) {
        self.values = values
        self.tags = tags
        self.tagCount = tagCount ?? tags.count
    }

    /// Parses `a=1&b=two+words&tags[x]=y`. Later occurrences do not override earlier ones.
    public static func form(_ text: String) -> FlatFields {
        var values: [String: String] = [:]
        var tags: [String: String] = [:]
        var tagCount = 0
        // Split on bytes: `&` and `=` are ASCII, and splitting a String by Character
        // would look for grapheme boundaries in every byte.
        for pair in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: String
            let value: String
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                name = decode(Substring(pair[..<equals]))
                value = decode(Substring(pair[pair.index(after: equals)...]))
            } else {
                name = decode(Substring(pair))
                value = ""
            }
            if name.hasPrefix("tags["), name.hasSuffix("]") {
                tags[String(name.dropFirst(5).dropLast())] = value
                tagCount += 1
            } else if values[name] == nil {
                values[name] = value
            }
        }
        var fields = FlatFields(values, tags: tags, tagCount: tagCount)
        if tags.isEmpty, let text = values["tags"] { fields.readTagText(text) }
        return fields
    }

    /// Reads the scalar members of a JSON object as text (numbers as `scalarText` writes
    /// them, booleans as `true`/`false`); a `tags` object becomes the tags.
    public static func json(_ object: [String: JSONValue], tagsKey: String = "tags") -> FlatFields {
        var values: [String: String] = [:]
        var tags: [String: String] = [:]
        var tagCount = 0
        for (key, value) in object {
            if key == tagsKey, case .object(let nested) = value {
                for (tag, tagValue) in nested {
                    if let text = scalarText(tagValue) { tags[tag] = text }
                }
                tagCount = nested.count
            } else if let text = scalarText(value) {
                values[key] = text
            }
        }
        var fields = FlatFields(values, tags: tags, tagCount: tagCount)
        if tags.isEmpty, case .string(let text)? = object[tagsKey] { fields.readTagText(text) }
        return fields
    }

    /// Retreaver writes tags as `key:value,key2:value2` in text form.
    private mutating func readTagText(_ text: String) {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for item in items {
            let parts = item.split(separator: ":", maxSplits: 1)
            tags[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        tagCount = items.count
        values["tags"] = nil
    }

    /// A string, number or boolean as text. A whole number is written as an integer
    /// whatever its notation (`95.0`, `1e3`), a number with an exponent in plain decimals;
    /// other numbers as the sender wrote them (`1.50`).
    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text):
            guard text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
                  let number = Double(text), number.isFinite
            else { return text }
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) ? "\(number)" : text
        default: return nil
        }
    }

    /// Form decoding of one name or value: `+` is a space, `%XX` a byte. A malformed
    /// escape or bytes that are not UTF-8 leave the text as sent (with its spaces).
    static func decode(_ part: Substring) -> String {
        if !part.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(part) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count)
        var input = part.utf8.makeIterator()
        var malformed = false
        while let byte = input.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if let high = input.next().flatMap(hexValue), let low = input.next().flatMap(hexValue) {
                    bytes.append(high << 4 | low)
                } else {
                    malformed = true
                }
            default: bytes.append(byte)
            }
            if malformed { break }
        }
        if !malformed, let text = String(validating: bytes, as: UTF8.self) { return text }
        return part.replacingOccurrences(of: "+", with: " ")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: - Reading

    /// The non-empty text of the first of `names` present.
    public func text(_ names: String...) -> String? { text(names) }

    public func text(_ names: [String]) -> String? {
        for name in names {
            if let value = values[name]?.trimmingWhitespace(), !value.isEmpty { return value }
        }
        return nil
    }

    public func required(_ name: String) throws(VendorError) -> String {
        guard let value = text(name) else { throw .missing(name) }
        return value
    }

    public func phone(_ name: String) throws(VendorError) -> PhoneNumber? {
        guard let value = text(name) else { return nil }
        do { return try PhoneNumber(parsing: value) } catch { throw .invalid(name, error.description) }
    }

    /// A caller id: a phone number, or text that is none (a withheld caller's `anonymous`
    /// or `Restricted`, a SIP address), which the decoder keeps as the tag `caller_id`.
    /// Who called is never a reason to refuse a call's delivery.
    /// `normalizing` turns a vendor's national form into one `PhoneNumber` reads.
    public func callerID(_ name: String, normalizing: (String) -> String = { $0 }) -> (phone: PhoneNumber?, kept: [String: String?]) {
        guard let value = text(name) else { return (nil, [:]) }
        if let phone = try? PhoneNumber(parsing: normalizing(value)) { return (phone, [:]) }
        return (nil, ["caller_id": String(value.prefix(Tags.maximumValueLength))])
    }

    public func money(_ name: String) throws(VendorError) -> Money? {
        guard let value = text(name) else { return nil }
        do { return try Money(parsing: value) } catch { throw .invalid(name, error.description) }
    }

    /// A call's length in whole seconds (`12.0` is 12), under 366 days.
    public func seconds(_ name: String) throws(VendorError) -> Int? {
        guard let value = text(name) else { return nil }
        do { return try CallDuration.seconds(parsing: value) } catch { throw .invalid(name, error.description) }
    }

    /// An ISO 8601 date-time, or seconds or milliseconds since 1970, in the years 1970
    /// through 2200.
    public func timestamp(_ name: String) throws(VendorError) -> Timestamp? {
        guard let value = text(name) else { return nil }
        do throws(Timestamp.ParseError) {
            if let epoch = Int64(value) { return try Timestamp.epoch(epoch, text: value) }
            // Digits past what an Int64 holds are an epoch time, far out of range.
            if value.utf8.dropFirst(value.hasPrefix("-") ? 1 : 0).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                throw .outOfRange(value)
            }
            return try Timestamp.parse(value)
        } catch {
            guard case .outOfRange = error else {
                throw .invalid(name, "'\(value.prefix(64))' is not an ISO 8601 date-time or epoch time")
            }
            throw .invalid(name, error.description)
        }
    }

    /// `yes`/`no`, `true`/`false`, `1`/`0`.
    public func flag(_ name: String) throws(VendorError) -> Bool? {
        guard let value = text(name) else { return nil }
        switch value.lowercased() {
        case "yes", "true", "1", "y": return true
        case "no", "false", "0", "n": return false
        default: throw .invalid(name, "'\(value)' is not yes or no")
        }
    }

    /// The tags, refused when one delivery carries more than Retreaver's 100.
    public func validatedTags(field: String = "tags") throws(VendorError) -> Tags {
        try requireTagLimit(field: field)
        do { return try Tags(validating: tags) } catch { throw .invalid(field, error.description) }
    }

    /// Refuses a delivery with more tags than one write may carry, even when its tags are
    /// only kept with the event (Invoca's `custom_data`).
    public func requireTagLimit(field: String = "tags") throws(VendorError) {
        guard tagCount <= Tags.maximumPerWrite else {
            throw VendorError(field: field, message: Tags.ValidationError.tooMany(count: tagCount).description, code: "too_many_tags")
        }
    }
}

extension Tags {
    /// Adds dce's own tags (vendor ids and the like) to tags read from a delivery.
    func adding(_ extra: [String: String?]) -> Tags {
        let present = extra.compactMapValues { $0 }.filter { !$0.value.isEmpty }
        return merging((try? Tags(validating: present)) ?? Tags())
    }
}

/// Parses a JSON body (with `JSONValue.parse`), naming what is wrong with it.
enum JSONBody {
    static func parse(_ bytes: [UInt8]) throws(VendorError) -> JSONValue {
        guard let document = JSONValue.parse(bytes: bytes) else {
            throw VendorError(field: nil, message: "the body is not valid JSON", code: "malformed_json")
        }
        return document
    }

    static func object(_ bytes: [UInt8]) throws(VendorError) -> [String: JSONValue] {
        guard case .object(let object) = try parse(bytes) else {
            throw VendorError(field: nil, message: "the body must be a JSON object", code: "malformed_json")
        }
        return object
    }

    /// Flat fields (a form, a query string) as a JSON object, keys sorted, for storage
    /// next to their event.
    static func text(_ values: [String: String]) -> String { JSONText.object(values) }

    /// A part of a document as it was sent, keys sorted, for storage next to its event.
    static func text(_ value: JSONValue) -> String { value.text }

    /// Whether the body, past JSON's white space, opens an array: a page, told without parsing.
    static func isArray(_ bytes: [UInt8]) -> Bool {
        bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "[")
    }
}
