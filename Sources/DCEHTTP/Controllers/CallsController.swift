import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `GET /v1/calls` and `GET /v1/calls/{id}`, always within the caller's account.
struct CallsController {
    let services: AppServices

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("calls", use: list)
        routes.get("calls/{id}", use: show)
        routes.get("dead-letters", use: deadLetters)
        return routes
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        var query = try CallQuery(parameters: request.uri.queryParameters)
        // A campaign or publisher asked for by its dce id also finds the calls vendors
        // reported under their own ids for it.
        if let campaign = query.campaignID {
            query.campaignAliases = try await services.exchange.aliases(.campaign, id: campaign, accountID: accountID)
        }
        if let publisher = query.publisherID {
            query.publisherAliases = try await services.exchange.aliases(.publisher, id: publisher, accountID: accountID)
        }
        let page = try await services.ledger.calls(query, accountID: accountID)
        let body = CallListJSON(data: page.calls.map { CallJSON(call: $0) }, nextCursor: page.nextCursor?.token)
        return try JSONResponse(body).response(from: request, context: context)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = CallID(rawValue: try context.parameters.require("id"))
        // Another account's call is indistinguishable from a call that does not exist.
        guard let call = try await services.ledger.call(id, accountID: accountID) else {
            throw APIError.notFound("no call with id '\(id)'")
        }
        let events = try await services.ledger.events(of: id, accountID: accountID)
        let vendorIDs = try await services.ledger.vendorIDs(of: id, accountID: accountID)
        let exchange = try await CallExchange(directory: services.exchange, desk: services.routes, ledger: services.ledger)
            .describe(call, vendorIDs: vendorIDs.map { ($0.source, $0.externalCallID) }, accountID: accountID)
        let body = CallJSON(
            call: call,
            vendorIDs: vendorIDs.map { VendorIDJSON(source: $0.source.rawValue, externalCallID: $0.externalCallID) },
            events: events.map(EventJSON.init),
            exchange: exchange
        )
        return try JSONResponse(body).response(from: request, context: context)
    }

    @Sendable func deadLetters(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let limit = try request.uri.queryParameters.integer("limit", in: 1...500) ?? 100
        let letters = try await services.ledger.deadLetters(accountID: accountID, limit: limit)
        struct Item: Encodable, Sendable {
            let id: String, source: String, received_at: Timestamp, reason: String, field: String?, body: String
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id); try c.encode(source, forKey: .source)
                try c.encode(received_at, forKey: .received_at); try c.encode(reason, forKey: .reason)
                try c.encode(field, forKey: .field); try c.encode(body, forKey: .body)
            }
            enum CodingKeys: String, CodingKey { case id, source, received_at, reason, field, body }
        }
        struct Body: Encodable, Sendable { let data: [Item] }
        let body = Body(data: letters.map {
            Item(id: $0.id, source: $0.source.rawValue, received_at: $0.receivedAt, reason: $0.reason, field: $0.field, body: $0.body)
        })
        return try JSONResponse(body).response(from: request, context: context)
    }
}

extension CallQuery {
    /// Reads the list filters from a query string, naming the parameter that is wrong.
    init(parameters: Parameters) throws {
        self.init()
        from = try parameters.time("from")
        to = try parameters.time("to")
        if let status = parameters.string("status") {
            guard let parsed = CallStatus(parsing: status) else {
                throw APIError.badRequest("'\(status)' is not a call status; use one of \(CallStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            self.status = parsed
        }
        campaignID = parameters.string("campaign_id")
        publisherID = parameters.string("publisher_id")
        if let caller = parameters.string("caller") ?? parameters.string("caller_phone") {
            do { callerPhone = try PhoneNumber(parsing: String(caller)) } catch {
                throw APIError.badRequest("caller: \(error.description)", field: "caller")
            }
        }
        if let tracking = parameters.string("tracking_number") {
            do { trackingNumber = try PhoneNumber(parsing: String(tracking)) } catch {
                throw APIError.badRequest("tracking_number: \(error.description)", field: "tracking_number")
            }
        }
        limit = try parameters.integer("limit", in: 1...CallQuery.maximumLimit) ?? 50
        if let token = parameters.string("cursor") {
            guard let cursor = CallCursor(token: String(token)) else {
                throw APIError.badRequest("the cursor is not one this API issued", field: "cursor")
            }
            self.cursor = cursor
        }
    }
}

extension Parameters {
    func string(_ name: String) -> String? {
        self.get(name).map { String($0) }
    }

    /// An ISO 8601 date or date-time in the years 1970 to 2200, refused naming `name`.
    func time(_ name: String) throws -> Timestamp? {
        guard let text = string(name) else { return nil }
        do { return try Timestamp.parse(text) } catch {
            throw APIError.badRequest("\(name): \(error.description)", field: name)
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return value
    }
}
