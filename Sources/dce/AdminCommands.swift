import ArgumentParser
import DCEDomain
import DCEStorage
import Foundation

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply every pending schema migration.")
    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let settings = try Settings.resolve(options)
        try await withDatabase(settings) { database, _ in
            let versions = try await Migrations.appliedVersions(database)
            print("database \(settings.database) is at schema version \(versions.last ?? 0) (\(versions.count) migrations applied)")
        }
    }
}

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Create and list accounts.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @Argument(help: "The account's name (letters, digits, '-', '_', '.').") var name: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let account = try await AccountDirectory(database: database).create(name: name)
                print("created account \(account.name) (\(account.id))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                for account in try await AccountDirectory(database: database).all() {
                    print("\(account.name)\t\(account.id)\t\(account.createdAt)")
                }
            }
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Issue, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a key for an account. The key is printed once and never again.")
        @Option(help: "The account's name.") var account: String
        @Option(help: "A note to recognise the key by.") var label: String?
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let directory = AccountDirectory(database: database)
                let owner = try await directory.requireAccount(named: account)
                let issued = try await directory.issueKey(for: owner.id, label: label)
                print(issued.plaintext)
                FileHandle.standardError.write(Data("key \(issued.record.prefix) issued for \(owner.name); store it now, it is not shown again\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's keys (prefixes only).")
        @Option(help: "The account's name.") var account: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let directory = AccountDirectory(database: database)
                let owner = try await directory.requireAccount(named: account)
                for key in try await directory.keys(for: owner.id) {
                    print("\(key.id)\t\(key.prefix)…\t\(key.label ?? "")\t\(key.revokedAt.map { "revoked \($0)" } ?? "active")")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id or prefix.")
        @Argument(help: "The key's id (key_…) or prefix (dce_…).") var key: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let record = try await AccountDirectory(database: database).revokeKey(key)
                print("revoked \(record.prefix) (\(record.id))")
            }
        }
    }
}
