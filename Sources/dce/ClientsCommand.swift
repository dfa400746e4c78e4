import ArgumentParser
import DCEDomain
import DCEStorage
import Foundation

/// `dce clients …`: accounts set up for the Exotel call ribbon.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients", abstract: "Set up and list call ribbon clients (accounts with a plan, limit and Exotel credentials).",
        subcommands: [Set.self, List.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Create or replace an account's ribbon profile. The Exotel token is read from EXOTEL_TOKEN, never from the command line."
        )
        @Argument(help: "The account's name; it is the client id the ribbon shows. Created when missing.") var account: String
        @Option(help: "The client's display name.") var name: String
        @Option(help: "The plan (trial, enterprise, …).") var plan = "trial"
        @Option(help: "Calls allowed per calendar month (UTC).") var limit = 100
        @Option(help: "A feature the ribbon may use; repeat for several. Default: call, mute, hold, dtmf.") var feature: [String] = []
        @Option(help: "A domain the ribbon may be embedded in; repeat for several.") var domain: [String] = []
        @Option(help: "The Exotel user id handed to the client by init.") var userId: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            guard let token = ProcessInfo.processInfo.environment["EXOTEL_TOKEN"], !token.isEmpty else {
                throw ValidationError("EXOTEL_TOKEN is not set: export the client's Exotel token in EXOTEL_TOKEN")
            }
            let profile = RibbonClientProfile(
                name: name, plan: plan, monthlyCallLimit: limit,
                features: feature.isEmpty ? RibbonClientProfile.defaultFeatures : feature,
                allowedDomains: domain, exotelToken: token, exotelUserID: userId
            )
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let directory = AccountDirectory(database: database)
                var owner = try await directory.account(named: account)
                if owner == nil { owner = try await directory.create(name: account) }
                guard let owner else { throw ValidationError(AccountError.unknownAccount(account).description) }
                do {
                    try await RibbonClientDirectory(database: database).save(profile, for: owner.id)
                } catch let error as RibbonClientError {
                    throw ValidationError(error.description)
                }
                print("client \(owner.name): plan \(plan), \(limit) calls a month, domains \(domain.isEmpty ? "(none)" : domain.joined(separator: ", "))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ribbon clients and this month's usage (no secrets).")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let directory = RibbonClientDirectory(database: database)
                let used = try await directory.callsCountedByAccount(month: UsageMonth.of(.now()))
                for client in try await directory.all() {
                    let profile = client.profile
                    print([client.clientID, profile.name, profile.plan, "\(used[client.accountID] ?? 0)/\(profile.monthlyCallLimit)",
                           profile.allowedDomains.joined(separator: ",")].joined(separator: "\t"))
                }
            }
        }
    }
}
