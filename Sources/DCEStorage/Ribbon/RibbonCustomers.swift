import DCEJSON
import DCEDomain
import Foundation
import SQLKit

/// A client's record of one of its customers.
public struct RibbonCustomer: Sendable, Hashable {
    public let customerID: String
    public var name: String?
    public var email: String?
    public var phone: String?
    public var company: String?
    public var tags: [String]
    public var customFields: [String: JSONValue]
    public let createdAt: Timestamp
    public let lastUpdated: Timestamp
}

/// What a save says. A field left out keeps its stored value; tags are added to the stored
/// ones and custom fields are merged key by key, so an update never loses what it omits.
public struct RibbonCustomerUpdate: Sendable, Hashable {
    public var customerID: String
    public var name: String?
    public var email: String?
    public var phone: String?
    public var company: String?
    public var tags: [String]
    public var customFields: [String: JSONValue]

    public init(customerID: String, name: String? = nil, email: String? = nil, phone: String? = nil, company: String? = nil,
                tags: [String] = [], customFields: [String: JSONValue] = [:]) {
        self.customerID = customerID
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
        self.tags = tags
        self.customFields = customFields
    }
}

public struct RibbonCustomers: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    @discardableResult
    public func save(_ update: RibbonCustomerUpdate, accountID: AccountID, now: Timestamp = .now()) async throws -> RibbonCustomer {
        let engine = database.engine
        return try await database.write { sql in
            try await sql.raw("""
                INSERT INTO ribbon_customers (account_id, customer_id, tags, custom_fields, created_at, updated_at)
                VALUES (\(bind: accountID.rawValue), \(bind: update.customerID), '[]', '{}', \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
                ON CONFLICT (account_id, customer_id) DO NOTHING
                """).run()
            let lock: SQLQueryString = engine == .postgres ? " FOR UPDATE" : ""
            guard let row = try await sql.raw("""
                SELECT * FROM ribbon_customers WHERE account_id = \(bind: accountID.rawValue) AND customer_id = \(bind: update.customerID)\(lock)
                """).first() else { throw LedgerError.lostRace("customer \(update.customerID)") }
            var customer = try Self.decode(row)
            customer.name = update.name ?? customer.name
            customer.email = update.email ?? customer.email
            customer.phone = update.phone ?? customer.phone
            customer.company = update.company ?? customer.company
            for tag in update.tags where !customer.tags.contains(tag) { customer.tags.append(tag) }
            customer.customFields.merge(update.customFields) { _, new in new }
            try await sql.raw("""
                UPDATE ribbon_customers SET name = \(bind: customer.name), email = \(bind: customer.email), phone = \(bind: customer.phone),
                    company = \(bind: customer.company), tags = \(bind: JSONValue.array(customer.tags.map(JSONValue.string)).text),
                    custom_fields = \(bind: JSONValue.object(customer.customFields).text), updated_at = \(bind: now.millisecondsSince1970)
                WHERE account_id = \(bind: accountID.rawValue) AND customer_id = \(bind: update.customerID)
                """).run()
            return RibbonCustomer(
                customerID: customer.customerID, name: customer.name, email: customer.email, phone: customer.phone,
                company: customer.company, tags: customer.tags, customFields: customer.customFields,
                createdAt: customer.createdAt, lastUpdated: now
            )
        }
    }

    public func customer(_ customerID: String, accountID: AccountID) async throws -> RibbonCustomer? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM ribbon_customers WHERE account_id = \(bind: accountID.rawValue) AND customer_id = \(bind: customerID)
                """).first().map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> RibbonCustomer {
        let tags: [String] = switch try JSONValue(parsing: try row.decode(column: "tags", as: String.self)) {
        case .array(let items): items.compactMap(\.string)
        default: []
        }
        return RibbonCustomer(
            customerID: try row.decode(column: "customer_id", as: String.self),
            name: try row.decode(column: "name", as: String?.self),
            email: try row.decode(column: "email", as: String?.self),
            phone: try row.decode(column: "phone", as: String?.self),
            company: try row.decode(column: "company", as: String?.self),
            tags: tags,
            customFields: (try JSONValue(parsing: try row.decode(column: "custom_fields", as: String.self))).object ?? [:],
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            lastUpdated: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}
