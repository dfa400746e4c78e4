import DCEJSON
import DCEDomain
import Foundation
import DCEStorage

/// Checks every ingestion route makes on what it read, before anything is appended.
enum IngestChecks {
    /// A body that is not UTF-8 is refused rather than read with replacement characters,
    /// which would make distinct vendor ids one and the same call.
    static func requireUTF8(_ bytes: [UInt8]) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("the body is not valid UTF-8", code: "invalid_encoding")
        }
    }

    /// A JSON body whose strings hold a NUL character (`\u0000`) is refused, naming where:
    /// the text columns it would be written to cannot hold one.
    static func requireStorableText(json bytes: [UInt8]) throws {
        guard containsEscapedNUL(bytes),
              let tree = JSONValue.parse(bytes: bytes),
              let path = tree.pathWithUnstorableText()
        else { return }
        throw APIError.badRequest("\(path): contains a NUL character", field: path, code: "invalid_field")
    }

    /// Whether the text holds `\u0000`, the only way valid JSON spells a NUL: a cheap scan
    /// before the document is read again to find where.
    static func containsEscapedNUL(_ bytes: [UInt8]) -> Bool {
        let escape = Array(#"\u0000"#.utf8)
        guard bytes.count >= escape.count else { return false }
        return (0...(bytes.count - escape.count)).contains { start in
            bytes[start] == escape[0] && bytes[start..<start + escape.count].elementsEqual(escape)
        }
    }

    /// A NUL character in a field that the ledger stores as text is refused, naming the
    /// field (`events[2].external_call_id` inside a batch).
    static func requireStorableText(_ events: [IncomingEvent], batched: Bool) throws {
        for (index, incoming) in events.enumerated() {
            guard let field = incoming.event.fieldWithUnstorableText else { continue }
            let path = batched ? "events[\(index)].\(field)" : field
            throw APIError.badRequest("\(path): contains a NUL character", field: path, code: "invalid_field")
        }
    }
}

extension JSONValue {
    /// Where in the document a string (or a member's name) holds a NUL character:
    /// `data.customerData.name`, `tags[2]`.
    func pathWithUnstorableText(prefix: String = "") -> String? {
        switch self {
        case .string(let text):
            return TextSafety.isStorable(text) ? nil : (prefix.isEmpty ? "body" : prefix)
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let path = item.pathWithUnstorableText(prefix: "\(prefix)[\(index)]") { return path }
            }
            return nil
        case .object(let members):
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                let path = prefix.isEmpty ? name : "\(prefix).\(name)"
                if !TextSafety.isStorable(name) { return prefix.isEmpty ? "body" : prefix }
                if let found = value.pathWithUnstorableText(prefix: path) { return found }
            }
            return nil
        case .null, .bool, .number:
            return nil
        }
    }
}
