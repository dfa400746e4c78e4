import ArgumentParser
import DCEDomain
import DCEStorage
import Foundation

/// `dce campaigns|publishers|buyers|targets`: the exchange's entities from the command
/// line, the same rows and checks as `/v1/campaigns` and its siblings.
struct CampaignsCommand: AsyncParsableCommand {
    static let configuration = ExchangeCommands<CampaignSpec>.configuration(abstract: "List, show, create, update and delete campaigns.")
}

struct PublishersCommand: AsyncParsableCommand {
    static let configuration = ExchangeCommands<PublisherSpec>.configuration(abstract: "List, show, create, update and delete publishers (affiliates).")
}

struct BuyersCommand: AsyncParsableCommand {
    static let configuration = ExchangeCommands<BuyerSpec>.configuration(abstract: "List, show, create, update and delete buyers (advertisers).")
}

struct TargetsCommand: AsyncParsableCommand {
    static let configuration = ExchangeCommands<TargetSpec>.configuration(abstract: "List, show, create, update and delete buyers' targets.")
}

/// What `list` shows of an entity besides its id and name.
protocol ExchangeListing: ExchangeSpecValue {
    var summary: String { get }
}

extension CampaignSpec: ExchangeListing {
    var summary: String { "\(numbers.count) numbers, \(pools.count) pools, \(routing.count) targets" }
}

extension PublisherSpec: ExchangeListing {
    var summary: String {
        switch payout.amount {
        case .fixed(let money): "pays \(money) after \(payout.minimumSeconds) s"
        case .revenueShare(let percent): "pays \(percent)% of revenue after \(payout.minimumSeconds) s"
        }
    }
}

extension BuyerSpec: ExchangeListing {
    var summary: String { "\(conversion.revenue) after \(conversion.minimumSeconds) s, \(timeZone)" }
}

extension TargetSpec: ExchangeListing {
    var summary: String { "\(destination) for \(buyerID)" }
}

/// The five subcommands, written once for every kind.
enum ExchangeCommands<Spec: ExchangeListing> {
    static func configuration(abstract: String) -> CommandConfiguration {
        CommandConfiguration(commandName: Spec.kind.plural, abstract: abstract,
                             subcommands: [List.self, Show.self, Create.self, Update.self, Delete.self])
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct List: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "list", abstract: "List the account's \(Spec.kind.plural) by name: id, name, summary, last change.")
        }
        @Option(help: "The account's name.") var account: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let entities = try await ExchangeDirectory(database: database).list(Spec.self, accountID: owner.id)
                let rows = entities.map { [$0.id, $0.spec.name, $0.spec.summary, $0.updatedAt.iso8601] }
                print(ExchangeCommands.table(header: ["ID", "NAME", "SUMMARY", "UPDATED"], rows: rows), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "show", abstract: "Print one \(Spec.kind.rawValue) as JSON.")
        }
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The \(Spec.kind.rawValue)'s id (\(Spec.kind.idPrefix)…).") var id: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                guard let entity = try await ExchangeDirectory(database: database).get(Spec.self, id: id, accountID: owner.id) else {
                    throw ExchangeCommands.notFound(id)
                }
                try ExchangeCommands.printJSON(entity)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "create", abstract: "Create a \(Spec.kind.rawValue) from a JSON file in the API's shape; prints it with its id.")
        }
        @Option(help: "The account's name.") var account: String
        @Option(help: "The JSON spec; - reads standard input.") var file: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let spec = try ExchangeCommands.spec(file: file)
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let created = try await ExchangeCommands.refusing(id: nil) {
                    try await ExchangeDirectory(database: database).create(spec, accountID: owner.id)
                }
                try ExchangeCommands.printJSON(created)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "update", abstract: "Replace a \(Spec.kind.rawValue)'s whole spec with a JSON file's; prints the result.")
        }
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The \(Spec.kind.rawValue)'s id.") var id: String
        @Option(help: "The JSON spec; - reads standard input.") var file: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let spec = try ExchangeCommands.spec(file: file)
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let replaced = try await ExchangeCommands.refusing(id: id) {
                    try await ExchangeDirectory(database: database).replace(spec, id: id, accountID: owner.id)
                }
                try ExchangeCommands.printJSON(replaced)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "delete", abstract: "Delete a \(Spec.kind.rawValue) that nothing uses any more.")
        }
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The \(Spec.kind.rawValue)'s id.") var id: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                try await ExchangeCommands.refusing(id: id) {
                    try await ExchangeDirectory(database: database).delete(Spec.self, id: id, accountID: owner.id)
                }
                print("deleted \(id)")
            }
        }
    }

    /// The file read and checked as the API checks a body, with the field named.
    static func spec(file: String) throws -> Spec {
        let source = file == "-" ? "standard input" : file
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw Failure(description: "cannot read \(source): \(error.localizedDescription)")
        }
        // The only way JSON spells a NUL, which no text column can hold.
        if String(decoding: data, as: UTF8.self).contains(#"\u0000"#) {
            throw Failure(description: "\(source): contains a NUL character (\\u0000)")
        }
        let spec: Spec
        do {
            spec = try JSONDecoder().decode(Spec.self, from: data)
        } catch let error as DecodingError {
            throw Failure(description: "\(source): \(describe(error))")
        }
        do { try spec.validate() } catch { throw Failure(description: "\(source): \(error.description)") }
        return spec
    }

    /// `routing[1].target_id: …`, the field as the file writes it.
    static func describe(_ error: DecodingError) -> String {
        let (path, message): ([any CodingKey], String) = switch error {
        case .keyNotFound(let key, let context): (context.codingPath + [key], "is required")
        case .typeMismatch(let type, let context): (context.codingPath, "expected a value of type \(type)")
        case .valueNotFound(let type, let context): (context.codingPath, "expected a value of type \(type), found null")
        case .dataCorrupted(let context): (context.codingPath, context.codingPath.isEmpty ? "is not valid JSON" : context.debugDescription)
        @unknown default: ([], "is not valid")
        }
        let field = path.reduce("") { text, key in
            if let index = key.intValue { return text + "[\(index)]" }
            return text.isEmpty ? key.stringValue : text + "." + key.stringValue
        }
        return field.isEmpty ? message : "\(field): \(message)"
    }

    static func notFound(_ id: String) -> Failure {
        Failure(description: "no \(Spec.kind.rawValue) '\(id)' in this account")
    }

    /// The directory's refusals, worded for a terminal.
    static func refusing<T>(id: String?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExchangeError {
            switch error {
            case .invalid(let problem): throw Failure(description: problem.description)
            case .notFound: throw notFound(id ?? "")
            case .inUse(let field, let users):
                throw Failure(description: "\(Spec.kind.rawValue) '\(id ?? "")' is used by \(users.joined(separator: ", ")) (\(field))")
            case .conflict(let field, let message): throw Failure(description: "\(field): \(message)")
            }
        }
    }

    static func printJSON(_ entity: ExchangeEntity<Spec>) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(entity), as: UTF8.self))
    }

    /// Columns padded to their widest cell, so the output reads as a table.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.map { $0 + "\n" }.joined()
    }
}
