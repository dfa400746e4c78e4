import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `/v1/numbers`: the account's tracking-number inventory.
struct NumbersController {
    let services: AppServices
    var inventory: NumberInventory { NumberInventory(database: services.database) }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("numbers", use: list)
        routes.post("numbers", use: create)
        routes.post("numbers/import", use: importCSV)
        routes.get("numbers/{number}", use: show)
        routes.put("numbers/{number}", use: put)
        routes.delete("numbers/{number}", use: delete)
        return routes
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let parameters = request.uri.queryParameters
        var filter = NumberInventory.Filter()
        filter.campaignID = parameters.string("campaign_id")
        filter.poolID = parameters.string("pool_id")
        if let kind = parameters.string("kind") {
            guard let parsed = TrackingNumber.Kind(rawValue: kind) else {
                throw APIError.badRequest("kind must be local or toll_free", field: "kind")
            }
            filter.kind = parsed
        }
        if let use = parameters.string("use") {
            filter.use = try NumberInput.use(use)
        }
        filter.limit = try parameters.integer("limit", in: 1...1000) ?? 100
        if let cursor = parameters.string("cursor") {
            filter.after = try NumberInput.phone(cursor, field: "cursor")
        }
        let numbers = try await inventory.list(filter, accountID: accountID)
        let next = numbers.count == filter.limit ? numbers.last?.number.number.e164 : nil
        return try JSONResponse(NumberList(data: numbers.map(NumberJSON.init), next_cursor: next)).response(from: request, context: context)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let input: NumberInput = try await decodeJSON(request, context: context)
        guard let text = input.number else { throw APIError.badRequest("'number' is required", field: "number", code: "missing_field") }
        let number = try input.trackingNumber(NumberInput.phone(text, field: "number"))
        do {
            let stored = try await inventory.add(number, accountID: accountID)
            try await services.pools.inventoryChanged(accountID: accountID)
            return try JSONResponse(NumberJSON(stored), status: .created).response(from: request, context: context)
        } catch let error as NumberInventoryError {
            throw APIError(status: .conflict, code: "conflict", message: error.description, field: "number")
        }
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let number = try NumberInput.phone(try context.parameters.require("number"), field: "number")
        guard let stored = try await inventory.number(number, accountID: accountID) else {
            throw APIError.notFound("\(number) is not in the inventory")
        }
        return try JSONResponse(NumberJSON(stored)).response(from: request, context: context)
    }

    /// Creates or replaces the number at the path: `PUT /v1/numbers/+15551234567`.
    @Sendable func put(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let number = try NumberInput.phone(try context.parameters.require("number"), field: "number")
        let input: NumberInput = try await decodeJSON(request, context: context)
        if let bodyNumber = input.number, (try? PhoneNumber(parsing: bodyNumber)) != number {
            throw APIError.badRequest("the body's number differs from the path's", field: "number")
        }
        let (stored, created) = try await inventory.put(try input.trackingNumber(number), accountID: accountID)
        try await services.pools.inventoryChanged(accountID: accountID)
        return try JSONResponse(NumberJSON(stored), status: created ? .created : .ok).response(from: request, context: context)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let number = try NumberInput.phone(try context.parameters.require("number"), field: "number")
        guard try await inventory.remove(number, accountID: accountID) else {
            throw APIError.notFound("\(number) is not in the inventory")
        }
        return Response(status: .noContent)
    }

    /// `POST /v1/numbers/import` with a CSV body whose header names the columns:
    /// `number` (required), `label`, `campaign_id`, `pool_id`, `kind`, `use`, `area_code`, `state`.
    /// All rows or none: a bad row is a 400 naming its line and column.
    @Sendable func importCSV(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let body = try await CollectedBody.collect(request, limit: AppLimits.maximumBodyBytes)
        if body.truncated { throw APIError.tooLarge("the CSV is larger than \(AppLimits.maximumBodyBytes) bytes") }
        let rows = CSVReader.rows(String(decoding: body.bytes, as: UTF8.self))
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }), header.contains("number") else {
            throw APIError.badRequest("the first line must be a header naming at least the 'number' column", field: "number")
        }
        let known: Set<String> = ["number", "label", "campaign_id", "pool_id", "kind", "use", "area_code", "state"]
        if let unknown = header.first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown column '\(unknown)'; columns are \(known.sorted().joined(separator: ", "))", field: unknown)
        }
        var numbers: [TrackingNumber] = []
        for (offset, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            let line = offset + 2
            var values: [String: String] = [:]
            for (column, value) in zip(header, row) where !value.isEmpty { values[column] = value }
            do {
                let input = NumberInput(values)
                numbers.append(try input.trackingNumber(NumberInput.phone(values["number"] ?? "", field: "number")))
            } catch let error as APIError {
                throw APIError.badRequest("line \(line): \(error.message)", field: error.field.map { "line \(line): \($0)" })
            }
        }
        guard !numbers.isEmpty else { throw APIError.badRequest("the CSV has no rows", field: "number") }
        let result = try await inventory.importNumbers(numbers, accountID: accountID)
        try await services.pools.inventoryChanged(accountID: accountID)
        struct Summary: Encodable, Sendable { let created: Int; let updated: Int }
        return try JSONResponse(Summary(created: result.created, updated: result.updated)).response(from: request, context: context)
    }
}

struct NumberList: Encodable, Sendable {
    let data: [NumberJSON]
    let next_cursor: String?
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(next_cursor, forKey: .next_cursor)
    }
    enum CodingKeys: String, CodingKey { case data, next_cursor }
}

struct NumberJSON: Encodable, Sendable {
    let stored: StoredTrackingNumber
    init(_ stored: StoredTrackingNumber) { self.stored = stored }

    enum CodingKeys: String, CodingKey { case number, label, campaign_id, pool_id, kind, use, area_code, state, created_at, updated_at }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let n = stored.number
        try c.encode(n.number, forKey: .number)
        try c.encode(n.label, forKey: .label)
        try c.encode(n.campaignID, forKey: .campaign_id)
        try c.encode(n.poolID, forKey: .pool_id)
        try c.encode(n.kind, forKey: .kind)
        try c.encode(n.use, forKey: .use)
        try c.encode(n.areaCode, forKey: .area_code)
        try c.encode(n.state, forKey: .state)
        try c.encode(stored.createdAt, forKey: .created_at)
        try c.encode(stored.updatedAt, forKey: .updated_at)
    }
}

/// A number as a client writes it, validated field by field.
struct NumberInput: Decodable {
    var number: String?
    var label: String?
    var campaignID: String?
    var poolID: String?
    var kind: String?
    var use: String?
    var areaCode: String?
    var state: String?

    enum CodingKeys: String, CodingKey {
        case number, label, campaignID = "campaign_id", poolID = "pool_id", kind, use, areaCode = "area_code", state
    }

    init(_ values: [String: String]) {
        number = values["number"]
        label = values["label"]
        campaignID = values["campaign_id"]
        poolID = values["pool_id"]
        kind = values["kind"]
        use = values["use"]
        areaCode = values["area_code"]
        state = values["state"]
    }

    static func phone(_ text: String, field: String) throws -> PhoneNumber {
        do { return try PhoneNumber(parsing: text.removingPercentEncoding ?? text) } catch {
            throw APIError.badRequest("\(field): \(error.description)", field: field)
        }
    }

    static func use(_ text: String) throws -> TrackingNumber.Use {
        guard let use = TrackingNumber.Use(rawValue: text) else {
            throw APIError.badRequest("use must be static (an ad's or a labelled number) or pool (leased to website visitors)", field: "use")
        }
        return use
    }

    func trackingNumber(_ number: PhoneNumber) throws -> TrackingNumber {
        for (field, text) in [("label", label), ("campaign_id", campaignID), ("pool_id", poolID)] {
            if let text, !TextSafety.isStorable(text) { throw APIError.badRequest("\(field): contains a NUL character", field: field) }
        }
        if let label, label.count > 64 { throw APIError.badRequest("label: at most 64 characters", field: "label") }
        if let campaignID, !(1...128).contains(campaignID.count) { throw APIError.badRequest("campaign_id: 1 to 128 characters", field: "campaign_id") }
        if let poolID, !(1...128).contains(poolID.count) { throw APIError.badRequest("pool_id: 1 to 128 characters", field: "pool_id") }
        var parsedKind: TrackingNumber.Kind?
        if let kind {
            guard let k = TrackingNumber.Kind(rawValue: kind) else { throw APIError.badRequest("kind must be local or toll_free", field: "kind") }
            parsedKind = k
        }
        if let areaCode, !(areaCode.count == 3 && areaCode.allSatisfy(\.isNumber)) {
            throw APIError.badRequest("area_code must be three digits", field: "area_code")
        }
        if let state, !(state.count == 2 && state.allSatisfy { $0.isLetter && $0.isUppercase }) {
            throw APIError.badRequest("state must be a two-letter code such as CA", field: "state")
        }
        let parsedUse = try use.map(Self.use)
        if parsedUse == .static, poolID != nil {
            throw APIError.badRequest("a static number cannot be in a pool: leave pool_id out or make the use pool", field: "use")
        }
        return TrackingNumber(number: number, label: label, campaignID: campaignID, poolID: poolID, kind: parsedKind, areaCode: areaCode, state: state,
                              use: parsedUse ?? (poolID != nil ? .pool : nil))
    }
}

/// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
enum CSVReader {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n", "\r":
                row.append(field); field = ""
                rows.append(row); row = []
            default: field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
