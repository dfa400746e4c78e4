import DCEJSON
import DCEDomain

/// The members of one object of a vendor's JSON document, with the object's path
/// (`body.parties[0]`) for errors. An absent member and `null` read as `nil`; a member of
/// another type than asked is refused, naming it.
struct JSONMembers {
    let members: [String: JSONValue]
    let path: String

    init(_ members: [String: JSONValue], path: String = "") {
        self.members = members
        self.path = path
    }

    /// A body that must be one JSON object.
    init(body: [UInt8]) throws(VendorError) {
        self.init(try JSONBody.object(body))
    }

    func string(_ key: String) throws(VendorError) -> String? {
        switch members[key] {
        case nil, .null?: nil
        case .string(let text)?: text
        default: throw mismatch(key, "a string")
        }
    }

    /// A string, or a number as written: some vendors send ids either way.
    func text(_ key: String) throws(VendorError) -> String? {
        switch members[key] {
        case nil, .null?: nil
        case .string(let text)?, .number(let text)?: text
        default: throw mismatch(key, "a string or a number")
        }
    }

    /// `true`/`false`, or the same as text (RingCentral's `"missedCall": "true"`).
    func flag(_ key: String) throws(VendorError) -> Bool? {
        switch members[key] {
        case nil, .null?: nil
        case .bool(let flag)?: flag
        case .string(let text)?: text.lowercased() == "true"
        default: throw mismatch(key, "true or false")
        }
    }

    func integer(_ key: String) throws(VendorError) -> Int? {
        switch members[key] {
        case nil, .null?: return nil
        case .number(let text)?:
            if let integer = Int(text) { return integer }
            if let number = Double(text), let integer = Int(exactly: number) { return integer }
            throw mismatch(key, "a whole number")
        default: throw mismatch(key, "a whole number")
        }
    }

    func object(_ key: String) throws(VendorError) -> JSONMembers? {
        switch members[key] {
        case nil, .null?: nil
        case .object(let object)?: JSONMembers(object, path: member(key))
        default: throw mismatch(key, "an object")
        }
    }

    /// An array of objects, and each one's raw value (to store beside its event).
    func objects(_ key: String) throws(VendorError) -> [(members: JSONMembers, value: JSONValue)]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let elements)?:
            var objects: [(members: JSONMembers, value: JSONValue)] = []
            for (index, element) in elements.enumerated() {
                guard case .object(let object) = element else {
                    throw VendorError(field: "\(member(key))[\(index)]", message: "\(member(key))[\(index)] must be an object")
                }
                objects.append((JSONMembers(object, path: "\(member(key))[\(index)]"), element))
            }
            return objects
        default: throw mismatch(key, "an array")
        }
    }

    private func member(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func mismatch(_ key: String, _ type: String) -> VendorError {
        VendorError(field: member(key), message: "\(member(key)) must be \(type)")
    }
}
