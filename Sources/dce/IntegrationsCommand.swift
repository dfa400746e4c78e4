import ArgumentParser
import DCEHTTP
import DCEStorage
import DCEVendors
import Foundation

struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Connect an account to a vendor's webhooks.",
        subcommands: [Add.self, List.self, SetSecret.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an integration and print its webhook URL and secret (shown once)."
        )
        @Option(help: "The account's name.") var account: String
        @Option(help: ArgumentHelp("One of: \(VendorRegistry.standard.names.joined(separator: ", ")).")) var vendor: String
        @Option(help: "A name for the integration, unique in the account.") var name: String
        @Option(name: .customLong("map"), help: "Rename a parameter: dce-name=vendor-name (repeatable), e.g. call_id=callUUID.")
        var mappings: [String] = []
        @Option(help: "The secret to use (RingCentral: give it to the subscription as its verificationToken). Default: a generated one.")
        var secret: String?
        @Option(help: "The address vendors reach dce at, for the printed URL.") var baseURL = "http://127.0.0.1:8080"
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            var mapping: [String: String] = [:]
            for item in mappings {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw ValidationError("--map takes dce-name=vendor-name, not '\(item)'")
                }
                mapping[parts[0]] = parts[1]
            }
            let spec: IntegrationSpec
            do {
                spec = try IntegrationSpec(vendor: vendor, name: name, fieldMapping: mapping, secret: secret)
            } catch {
                throw ValidationError(error.message)
            }
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let integration = try await IntegrationStore(database: database).create(
                    accountID: owner.id, vendor: spec.vendor.name, name: spec.name, fieldMapping: spec.fieldMapping, secret: spec.secret
                )
                let url = baseURL + integration.webhookPath
                print("id\t\(integration.id)")
                print("webhook_url\t\(url)")
                SetSecret.printSecret(spec.secret, vendor: spec.vendor, url: url)
                FileHandle.standardError.write(Data("integration \(integration.name) created; the secret is not shown again\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's integrations (no secrets).")
        @Option(help: "The account's name.") var account: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                for integration in try await IntegrationStore(database: database).list(accountID: owner.id) {
                    print("\(integration.id)\t\(integration.vendor)\t\(integration.name)\t\(integration.webhookPath)")
                }
            }
        }
    }

    struct SetSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-secret",
            abstract: "Give an integration a new secret (shown once); the old one stops working. An integration made without a secret accepts deliveries only once it has one."
        )
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The integration's id (int_…).") var id: String
        @Option(help: "The secret to use (RingCentral: give it to the subscription as its verificationToken). Default: a generated one.")
        var secret: String?
        @Option(help: "The address vendors reach dce at, for the printed URL.") var baseURL = "http://127.0.0.1:8080"
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            if let secret {
                do { try IntegrationSpec.validate(secret: secret) } catch { throw ValidationError(error.message) }
            }
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let store = IntegrationStore(database: database)
                guard let existing = try await store.integration(id: id), existing.accountID == owner.id,
                      let vendor = VendorRegistry.standard.adapter(named: existing.vendor)
                else { throw ValidationError("no integration '\(id)' in account \(account)") }
                let chosen = secret ?? vendor.makeSecret()
                guard try await store.setSecret(chosen, id: id, accountID: owner.id) != nil else {
                    throw ValidationError("no integration '\(id)' in account \(account)")
                }
                Self.printSecret(chosen, vendor: vendor, url: baseURL + existing.webhookPath)
                FileHandle.standardError.write(Data("integration \(existing.name) has a new secret; it is not shown again\n".utf8))
            }
        }

        static func printSecret(_ secret: String, vendor: any VendorAdapter, url: String) {
            print("secret\t\(secret)")
            if vendor.credential.usesURLToken {
                print("url_with_token\t\(url)?token=\(IntegrationSpec.percentEncoded(secret))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an integration; its URL stops accepting deliveries.")
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The integration's id (int_…).") var id: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                guard try await IntegrationStore(database: database).remove(id: id, accountID: owner.id) else {
                    throw ValidationError("no integration '\(id)' in account \(account)")
                }
                print("removed \(id)")
            }
        }
    }
}
