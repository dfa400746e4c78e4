import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

extension RibbonController {
    /// `POST /api/ribbon/customer`: create, or update by merging into what is stored.
    @Sendable func saveCustomer(request: Request, context: AppRequestContext) async throws -> Response {
        let admitted = try await gate.admitPOST(request)
        let update = try Self.customerUpdate(admitted.object["customerData"])
        let saved = try await customers.save(update, accountID: admitted.client.accountID)
        return try respond(.object([
            "success": .bool(true),
            "customerId": .string(saved.customerID),
            "message": .string("Customer information saved"),
        ]), request, context)
    }

    /// `GET /api/ribbon/customer/{customerId}`
    @Sendable func customer(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let customerID = try context.parameters.require("customerId")
        guard let customer = try await customers.customer(customerID, accountID: client.accountID) else {
            throw APIError(status: .notFound, code: "customer_not_found", message: "Customer not found: '\(customerID)'", field: "customerId")
        }
        let filter = RibbonFilter(customerID: customerID)
        let history = try await reports.sessions(filter, accountID: client.accountID, limit: 50)
        let summary = try await reports.summary(filter, accountID: client.accountID)
        return try respond(.object([
            "customer": .object([
                "customerId": .string(customer.customerID),
                "clientId": .string(client.clientID),
                "name": RibbonFormat.text(customer.name),
                "email": RibbonFormat.text(customer.email),
                "phone": RibbonFormat.text(customer.phone),
                "company": RibbonFormat.text(customer.company),
                "tags": .array(customer.tags.map(JSONValue.string)),
                "customFields": .object(customer.customFields),
                "createdAt": RibbonFormat.time(customer.createdAt),
                "lastUpdated": RibbonFormat.time(customer.lastUpdated),
            ]),
            "callHistory": .array(history.map { session in
                .object([
                    "sessionId": .string(session.sessionID),
                    "startTime": RibbonFormat.time(session.startTime),
                    "duration": RibbonFormat.int(session.durationSeconds),
                    "callDirection": RibbonFormat.text(session.callDirection),
                ])
            }),
            "totalCalls": RibbonFormat.int(summary.totalCalls),
            "totalDuration": RibbonFormat.int(summary.totalDuration),
        ]), request, context)
    }

    /// `GET /api/ribbon/customer/{customerId}/calls`: the calls and their events.
    @Sendable func customerCalls(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let customerID = try context.parameters.require("customerId")
        let limit = try RibbonQuery(request).positive("limit", fallback: 50, maximum: Self.maximumPageSize)
        let filter = RibbonFilter(customerID: customerID)
        let calls = try await reports.sessions(filter, accountID: client.accountID, limit: limit)
        let events = try await reports.logs(ofSessions: calls.map(\.sessionID), accountID: client.accountID)
        let summary = try await reports.summary(filter, accountID: client.accountID)
        return try respond(.object([
            "customerId": .string(customerID),
            "calls": .array(calls.map { RibbonFormat.call($0, clientID: client.clientID) }),
            "events": .array(events.map { entry in
                .object([
                    "logId": .string(entry.logID),
                    "event": .string(entry.event),
                    "timestamp": RibbonFormat.time(entry.occurredAt),
                ])
            }),
            "totalCalls": RibbonFormat.int(summary.totalCalls),
            "totalDuration": RibbonFormat.int(summary.totalDuration),
        ]), request, context)
    }

    /// Reads `customerData`, naming the member that is wrong.
    static func customerUpdate(_ value: JSONValue?) throws -> RibbonCustomerUpdate {
        guard case .object(let data)? = value else {
            throw APIError.badRequest("customerData is required: an object with customerId", field: "customerData",
                                      code: value == nil ? "missing_field" : "invalid_field")
        }
        guard case .string(let id)? = data["customerId"], (1...255).contains(id.count) else {
            throw APIError.badRequest("customerData.customerId is required: a string of 1 to 255 characters", field: "customerData.customerId",
                                      code: data["customerId"] == nil ? "missing_field" : "invalid_field")
        }
        func text(_ key: String) throws -> String? {
            switch data[key] {
            case nil, .null?: return nil
            case .string(let text)? where text.count <= 1024: return text
            default: throw APIError.badRequest("customerData.\(key) must be a string of at most 1024 characters",
                                               field: "customerData.\(key)", code: "invalid_field")
            }
        }
        var update = RibbonCustomerUpdate(customerID: id, name: try text("name"), email: try text("email"),
                                          phone: try text("phone"), company: try text("company"))
        switch data["tags"] {
        case nil, .null?: break
        case .array(let items)? where items.count <= 100:
            update.tags = try items.map { item in
                guard case .string(let tag) = item, (1...128).contains(tag.count) else {
                    throw APIError.badRequest("customerData.tags must hold strings of 1 to 128 characters", field: "customerData.tags", code: "invalid_field")
                }
                return tag
            }
        default:
            throw APIError.badRequest("customerData.tags must be an array of at most 100 strings", field: "customerData.tags", code: "invalid_field")
        }
        switch data["customFields"] {
        case nil, .null?: break
        case .object(let fields)? where fields.count <= 200: update.customFields = fields
        default:
            throw APIError.badRequest("customerData.customFields must be an object with at most 200 members", field: "customerData.customFields", code: "invalid_field")
        }
        return update
    }
}
