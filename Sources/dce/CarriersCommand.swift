import ArgumentParser
import DCEHTTP
import DCEStorage
import Foundation

struct CarriersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carriers", abstract: "Tell dce the carriers (Twilio, SignalWire, Telnyx) whose voice webhooks it answers.",
        subcommands: [Add.self, List.self, Delete.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a carrier and print its voice URL token (shown once)."
        )
        @Option(help: "The account's name.") var account: String
        @Option(help: "twilio, signalwire or telnyx.") var kind: String
        @Option(help: "A name for the carrier, unique in the account.") var name: String
        @Option(help: "Twilio's or SignalWire's auth token, which signs its requests.") var authToken: String?
        @Option(help: "Telnyx's public key (base64), which verifies its signatures.") var publicKey: String?
        @Option(help: "The address carriers reach dce at, for the printed URL.") var baseURL = "http://127.0.0.1:8080"
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let spec: CarrierSpec
            do {
                spec = try CarrierSpec(kind: kind, name: name, authToken: authToken, publicKey: publicKey)
            } catch {
                throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")): \(error.message)")
            }
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let (carrier, token) = try await CarrierStore(database: database).create(
                    accountID: owner.id, kind: spec.kind, name: spec.name, authToken: spec.secret
                )
                print("id\t\(carrier.id)")
                print("voice_url_token\t\(token)")
                print("voice_url\t\(baseURL)/voice/{campaign}?token=\(token)")
                FileHandle.standardError.write(Data("carrier \(carrier.name) added; the URL token is not shown again\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's carriers (no secrets).")
        @Option(help: "The account's name.") var account: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                for carrier in try await CarrierStore(database: database).list(accountID: owner.id) {
                    print("\(carrier.id)\t\(carrier.kind.rawValue)\t\(carrier.name)\t\(carrier.createdAt.iso8601)")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a carrier; its requests are refused from then on.")
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The carrier's id (car_…).") var id: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                guard try await CarrierStore(database: database).delete(id: id, accountID: owner.id) else {
                    throw ValidationError("no carrier with id '\(id)' in account '\(account)'")
                }
                print("deleted \(id)")
            }
        }
    }
}
