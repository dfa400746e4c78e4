import ArgumentParser
import DCEHTTP
import DCEStorage
import DCEVendors
import Foundation

struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Connect an account to a vendor's webhooks and API.",
        subcommands: [Add.self, List.self, SetSecret.self, Credentials.self, Remove.self]
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
            let settings = try Settings.resolve(options)
            try await withDatabase(settings) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let integration = try await IntegrationStore(database: database, box: settings.secretBox).create(
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
            let settings = try Settings.resolve(options)
            try await withDatabase(settings) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let store = IntegrationStore(database: database, box: settings.secretBox)
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

    struct Credentials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the vendor API credentials an integration's sync pulls with (stored encrypted; needs DCE_SECRET_KEY). Prints the key names, never the values."
        )
        @Argument(help: "The integration's id (int_…).") var id: String
        @Option(name: .customLong("set"), help: "A credential: KEY=VALUE (repeatable), e.g. api_token=…; all of them replace the ones before.")
        var assignments: [String] = []
        @Option(help: "The vendor's API root, instead of its production address (http or https).") var apiBaseURL: String?
        @Option(help: "Seconds between scheduled syncs (the vendor's minimum to 86400). Default: the vendor's.") var syncInterval: String?
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            var values: [String: String] = [:]
            for item in assignments {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                // The item is not echoed: its value may be a secret.
                guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--set takes KEY=VALUE") }
                guard values[parts[0]] == nil else { throw ValidationError("--set gives '\(parts[0])' twice") }
                values[parts[0]] = parts[1]
            }
            var interval: Int?
            if let syncInterval {
                guard let seconds = Int(syncInterval) else { throw ValidationError("--sync-interval takes a whole number of seconds") }
                interval = seconds
            }
            let settings = try Settings.resolve(options)
            let id = id, apiBaseURL = apiBaseURL
            try await withDatabase(settings) { database, _ in
                guard let integration = try await IntegrationStore(database: database, box: settings.secretBox).integration(id: id) else {
                    throw ValidationError("no integration '\(id)'")
                }
                guard let client = VendorRegistry.standard.adapter(named: integration.vendor)?.pull else {
                    throw ValidationError("dce cannot pull \(integration.vendor)'s call records, so it takes no API credentials")
                }
                let spec: CredentialsSpec
                do {
                    spec = try CredentialsSpec(values: values, apiBaseURL: apiBaseURL, syncIntervalSeconds: interval, client: client)
                } catch let error as VendorError {
                    throw ValidationError(Self.optionNamed(error))
                }
                guard let box = settings.secretBox else { throw ValidationError(CredentialStoreError.noSecretKey.description) }
                try await CredentialStore(database: database, box: box).set(StoredCredentials(
                    integrationID: integration.id, accountID: integration.accountID, values: spec.values,
                    apiBaseURL: spec.apiBaseURL, syncIntervalSeconds: spec.syncIntervalSeconds, updatedAt: .now()
                ))
                print("credentials\t\(spec.values.keys.sorted().joined(separator: ","))")
                print("api_base_url\t\(spec.apiBaseURL ?? client.defaultBaseURL)")
                print("sync_interval_seconds\t\(spec.syncIntervalSeconds ?? client.defaultIntervalSeconds)")
                FileHandle.standardError.write(Data("integration \(integration.name) has new API credentials\n".utf8))
            }
        }

        /// The API's message, with its body keys spelled as this command's options.
        static func optionNamed(_ error: VendorError) -> String {
            switch error.field {
            case CredentialsSpec.apiBaseURLKey?: error.message.replacingOccurrences(of: CredentialsSpec.apiBaseURLKey, with: "--api-base-url")
            case CredentialsSpec.intervalKey?: error.message.replacingOccurrences(of: CredentialsSpec.intervalKey, with: "--sync-interval")
            default: error.message
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
