import DCEDomain
import Foundation
import SQLKit

/// An account's campaigns, publishers, buyers and targets. Each change is one transaction
/// that checks the ids a spec names and claims its numbers, pools and vendor ids, so two
/// campaigns never answer the same number and a buyer that targets use is never deleted.
public struct ExchangeDirectory: Sendable {
    let database: any Database
    /// Campaigns and snapshots read for routing moments ago (`ExchangeCache`).
    let cache = ExchangeCache()

    public init(database: any Database) { self.database = database }

    /// Stores a new entity under a new random id (`cmp_…`).
    public func create<Spec: ExchangeSpecValue>(_ spec: Spec, accountID: AccountID, now: Timestamp = .now()) async throws -> ExchangeEntity<Spec> {
        try Self.validate(spec)
        let entity = ExchangeEntity(id: Spec.kind.idPrefix + Token.random(length: 20), spec: spec, createdAt: now, updatedAt: now)
        let json = try Self.json(spec)
        defer { ExchangeCache.changed() }
        return try await database.write { sql in
            try await Self.checkReferences(of: spec, accountID: accountID, engine: database.engine, on: sql)
            try await sql.raw("""
                INSERT INTO exchange_entities (account_id, id, kind, name, spec, created_at, updated_at)
                VALUES (\(bind: accountID.rawValue), \(bind: entity.id), \(bind: Spec.kind.rawValue), \(bind: spec.name), \(bind: json),
                        \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
                """).run()
            try await Self.keepRevision(spec, json: json, id: entity.id, accountID: accountID, now: now, on: sql)
            try await Self.claim(spec, id: entity.id, accountID: accountID, on: sql)
            return entity
        }
    }

    public func get<Spec: ExchangeSpecValue>(_ type: Spec.Type, id: String, accountID: AccountID) async throws -> ExchangeEntity<Spec>? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT id, spec, created_at, updated_at FROM exchange_entities
                WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: id) AND kind = \(bind: Spec.kind.rawValue)
                """).first().map { try Self.entity($0, as: Spec.self) }
        }
    }

    /// Every entity of one kind, by name, then id.
    public func list<Spec: ExchangeSpecValue>(_ type: Spec.Type, accountID: AccountID) async throws -> [ExchangeEntity<Spec>] {
        let entities = try await database.read { sql in
            try await sql.raw("""
                SELECT id, spec, created_at, updated_at FROM exchange_entities
                WHERE account_id = \(bind: accountID.rawValue) AND kind = \(bind: Spec.kind.rawValue)
                """).all().map { try Self.entity($0, as: Spec.self) }
        }
        // Sorted here rather than by the engine, whose collations differ.
        return entities.sorted { ($0.spec.name, $0.id) < ($1.spec.name, $1.id) }
    }

    /// Replaces an entity's spec; the next call routed sees the new one.
    public func replace<Spec: ExchangeSpecValue>(_ spec: Spec, id: String, accountID: AccountID, now: Timestamp = .now()) async throws -> ExchangeEntity<Spec> {
        try Self.validate(spec)
        let json = try Self.json(spec)
        defer { ExchangeCache.changed() }
        return try await database.write { sql in
            guard let row = try await sql.raw("""
                SELECT created_at FROM exchange_entities
                WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: id) AND kind = \(bind: Spec.kind.rawValue)
                """).first()
            else { throw ExchangeError.notFound }
            let createdAt = Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
            let updatedAt = max(now, createdAt)
            try await sql.raw("""
                UPDATE exchange_entities SET name = \(bind: spec.name), spec = \(bind: json), updated_at = \(bind: updatedAt.millisecondsSince1970)
                WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: id)
                """).run()
            try await Self.keepRevision(spec, json: json, id: id, accountID: accountID, now: updatedAt, on: sql)
            try await Self.checkReferences(of: spec, accountID: accountID, engine: database.engine, on: sql)
            for table in ["exchange_references", "exchange_external_ids", "campaign_numbers", "campaign_pools"] {
                let owner = table == "exchange_references" ? "from_id" : table == "exchange_external_ids" ? "entity_id" : "campaign_id"
                try await sql.raw("DELETE FROM \(ident: table) WHERE account_id = \(bind: accountID.rawValue) AND \(ident: owner) = \(bind: id)").run()
            }
            try await Self.claim(spec, id: id, accountID: accountID, on: sql)
            return ExchangeEntity(id: id, spec: spec, createdAt: createdAt, updatedAt: updatedAt)
        }
    }

    /// Deletes an entity no other one names.
    public func delete<Spec: ExchangeSpecValue>(_ type: Spec.Type, id: String, accountID: AccountID) async throws {
        // The row lock waits for a write that is naming this entity (see checkReferences).
        let lock = database.engine == .postgres ? " FOR UPDATE" : ""
        defer { ExchangeCache.changed() }
        try await database.write { sql in
            guard try await sql.raw("""
                SELECT id FROM exchange_entities
                WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: id) AND kind = \(bind: Spec.kind.rawValue)\(unsafeRaw: lock)
                """).first() != nil
            else { throw ExchangeError.notFound }
            let users = try await sql.raw("""
                SELECT from_id, field FROM exchange_references WHERE account_id = \(bind: accountID.rawValue) AND to_id = \(bind: id)
                ORDER BY from_id, field
                """).all().map { (from: try $0.decode(column: "from_id", as: String.self), field: try $0.decode(column: "field", as: String.self)) }
            if let first = users.first {
                var seen: Set<String> = []
                throw ExchangeError.inUse(field: first.field, by: users.map(\.from).filter { seen.insert($0).inserted })
            }
            try await sql.raw("DELETE FROM exchange_entities WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: id)").run()
        }
    }
}

// MARK: - Writing

extension ExchangeDirectory {
    static func validate<Spec: ExchangeSpecValue>(_ spec: Spec) throws(ExchangeError) {
        do { try spec.validate() } catch { throw .invalid(error) }
        if let campaign = spec as? CampaignSpec {
            var pools: Set<String> = []
            for (index, pool) in campaign.pools.enumerated() where !pools.insert(pool).inserted {
                throw .invalid(RoutingPlanError(field: "pools[\(index)]", problem: .duplicateID(pool)))
            }
        }
    }

    static func json<Spec: ExchangeSpecValue>(_ spec: Spec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(spec), as: UTF8.self)
    }

    /// Refuses a spec naming an id the account has no entity of that kind for, by the
    /// first field (in request order) that names one. On PostgreSQL the named rows stay
    /// locked against a concurrent delete until the transaction ends, so that the delete
    /// then sees the reference and is refused by name rather than by the foreign key.
    static func checkReferences<Spec: ExchangeSpecValue>(
        of spec: Spec, accountID: AccountID, engine: DatabaseEngine, on sql: any SQLDatabase
    ) async throws {
        let references = spec.references
        guard !references.isEmpty else { return }
        var kinds: [String: String] = [:]
        for chunk in Set(references.map(\.id)).sorted().chunks(of: 500) {
            for row in try await sql.raw("""
                SELECT id, kind FROM exchange_entities WHERE account_id = \(bind: accountID.rawValue) AND id IN (\(binds: Array(chunk)))\(unsafeRaw: engine == .postgres ? " FOR KEY SHARE" : "")
                """).all() {
                kinds[try row.decode(column: "id", as: String.self)] = try row.decode(column: "kind", as: String.self)
            }
        }
        if let missing = references.first(where: { kinds[$0.id] != $0.kind.rawValue }) {
            throw ExchangeError.invalid(RoutingPlanError(field: missing.field, problem: .unknownID(missing.id)))
        }
    }

    /// Records what the spec names and claims: its references, vendor ids, and a campaign's
    /// numbers and pools. A claim another entity holds is refused by the schema's unique
    /// keys and reported by the field that asked for it.
    static func claim<Spec: ExchangeSpecValue>(_ spec: Spec, id: String, accountID: AccountID, on sql: any SQLDatabase) async throws {
        let account = accountID.rawValue
        var seenReferences: Set<[String]> = []
        let references = spec.references.map { [$0.id, $0.field] }.filter { seenReferences.insert($0).inserted }
        try await ClaimInsert(table: "exchange_references", columns: ["account_id", "from_id", "to_id", "field"])
            .run(references.map { [account, id] + $0 }, on: sql)

        let kind = Spec.kind.rawValue
        let pairs = spec.externalIDs.pairs
        let takenIDs = try await ClaimInsert(
            table: "exchange_external_ids", columns: ["account_id", "vendor", "kind", "external_id", "entity_id"], key: ["vendor", "external_id"]
        ).run(pairs.map { [account, $0.vendor, kind, $0.id, id] }, on: sql)
        if let taken = pairs.first(where: { takenIDs.contains([$0.vendor, $0.id]) }) {
            let owner = try await sql.raw("""
                SELECT entity_id FROM exchange_external_ids
                WHERE account_id = \(bind: account) AND vendor = \(bind: taken.vendor) AND kind = \(bind: kind) AND external_id = \(bind: taken.id)
                """).first()?.decode(column: "entity_id", as: String.self) ?? "another \(kind)"
            let index = spec.externalIDs.byVendor[taken.vendor]?.firstIndex(of: taken.id) ?? 0
            throw ExchangeError.conflict(field: "external_ids.\(taken.vendor)[\(index)]", message: "'\(taken.id.prefix(64))' is already an id of \(owner)")
        }

        guard let campaign = spec as? CampaignSpec else { return }
        let takenNumbers = try await ClaimInsert(
            table: "campaign_numbers", columns: ["account_id", "number", "campaign_id", "publisher_id"], key: ["number"]
        ).run(campaign.numbers.map { [account, $0.number.e164, id, $0.publisherID?.rawValue] }, on: sql)
        if let index = campaign.numbers.firstIndex(where: { takenNumbers.contains([$0.number.e164]) }) {
            let number = campaign.numbers[index].number.e164
            let owner = try await sql.raw("""
                SELECT campaign_id FROM campaign_numbers WHERE account_id = \(bind: account) AND number = \(bind: number)
                """).first()?.decode(column: "campaign_id", as: String.self) ?? "another campaign"
            throw ExchangeError.conflict(field: "numbers[\(index)].number", message: "\(number) is already a number of campaign \(owner)")
        }
        let takenPools = try await ClaimInsert(table: "campaign_pools", columns: ["account_id", "pool_id", "campaign_id"], key: ["pool_id"])
            .run(campaign.pools.map { [account, $0, id] }, on: sql)
        if let index = campaign.pools.firstIndex(where: { takenPools.contains([$0]) }) {
            let pool = campaign.pools[index]
            let owner = try await sql.raw("""
                SELECT campaign_id FROM campaign_pools WHERE account_id = \(bind: account) AND pool_id = \(bind: pool)
                """).first()?.decode(column: "campaign_id", as: String.self) ?? "another campaign"
            throw ExchangeError.conflict(field: "pools[\(index)]", message: "'\(pool.prefix(64))' is already a pool of campaign \(owner)")
        }
    }

    static func entity<Spec: ExchangeSpecValue>(_ row: any SQLRow, as type: Spec.Type) throws -> ExchangeEntity<Spec> {
        let spec = try JSONDecoder().decode(Spec.self, from: Data(try row.decode(column: "spec", as: String.self).utf8))
        return ExchangeEntity(
            id: try row.decode(column: "id", as: String.self),
            spec: spec,
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}

/// A many-row insert in chunks. With a `key`, rows whose unique key is already held are
/// skipped instead of failing the transaction, and the keys of the skipped rows are returned.
struct ClaimInsert {
    static let rowsPerStatement = 200

    let table: String
    let columns: [String]
    var key: [String] = []

    func run(_ rows: [[String?]], on sql: any SQLDatabase) async throws -> Set<[String]> {
        var taken: Set<[String]> = []
        let keyIndexes = key.compactMap { columns.firstIndex(of: $0) }
        for chunk in rows.chunks(of: Self.rowsPerStatement) {
            let values = chunk.map { row -> SQLQueryString in "(\(binds: row.map { $0 as any Encodable & Sendable }))" }.joined(separator: ", ")
            if key.isEmpty {
                try await sql.raw("INSERT INTO \(ident: table) (\(idents: columns, joinedBy: ", ")) VALUES \(values)").run()
                continue
            }
            let inserted = Set(try await sql.raw("""
                INSERT INTO \(ident: table) (\(idents: columns, joinedBy: ", ")) VALUES \(values)
                ON CONFLICT DO NOTHING RETURNING \(idents: key, joinedBy: ", ")
                """).all().map { row in try key.map { try row.decode(column: $0, as: String.self) } })
            for row in chunk {
                let rowKey = keyIndexes.map { row[$0] ?? "" }
                if !inserted.contains(rowKey) { taken.insert(rowKey) }
            }
        }
        return taken
    }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
