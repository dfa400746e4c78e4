import ArgumentParser
import DCEDomain
import DCEStorage

/// `dce numbers`: the tracking-number inventory from the command line, the same rows as
/// `/v1/numbers`.
struct NumbersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers", abstract: "Add, list and set the use of tracking numbers.",
        subcommands: [Add.self, List.self, SetUse.self]
    )

    static func phone(_ text: String) throws -> PhoneNumber {
        do { return try PhoneNumber(parsing: text) } catch { throw ValidationError("\(text): \(error.description)") }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace a number. Without --use, a number with a label or campaign is static (an ad's), any other pool."
        )
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The number, e.g. +18885550101.") var number: String
        @Option(help: "The destination number it stands in for.") var label: String?
        @Option(help: "The campaign whose ads show it.") var campaign: String?
        @Option(help: "static (printed in an ad or labelled) or pool (leased to website visitors).") var use: TrackingNumber.Use?
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let phone = try NumbersCommand.phone(number)
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let tracking = TrackingNumber(number: phone, label: label, campaignID: campaign, use: use)
                let (stored, created) = try await NumberInventory(database: database).put(tracking, accountID: owner.id)
                print("\(created ? "added" : "replaced") \(stored.number.number)\t\(stored.number.use.rawValue)\t\(stored.number.kind.rawValue)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's numbers: number, use, kind, label, campaign, pool.")
        @Option(help: "The account's name.") var account: String
        @Option(help: "Only numbers of this use.") var use: TrackingNumber.Use?
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                var filter = NumberInventory.Filter(limit: 1000)
                filter.use = use
                let inventory = NumberInventory(database: database)
                while true {
                    let page = try await inventory.list(filter, accountID: owner.id)
                    for stored in page {
                        let n = stored.number
                        print([n.number.e164, n.use.rawValue, n.kind.rawValue, n.label ?? "", n.campaignID ?? "", n.poolID ?? ""].joined(separator: "\t"))
                    }
                    guard page.count == filter.limit, let last = page.last else { break }
                    filter.after = last.number.number
                }
            }
        }
    }

    struct SetUse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-use", abstract: "Make a number static (it leaves its pool) or free for pools."
        )
        @Option(help: "The account's name.") var account: String
        @Argument(help: "The number.") var number: String
        @Argument(help: "static or pool.") var use: TrackingNumber.Use
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let phone = try NumbersCommand.phone(number)
            try await withDatabase(try Settings.resolve(options)) { database, _ in
                let owner = try await AccountDirectory(database: database).requireAccount(named: account)
                let inventory = NumberInventory(database: database)
                guard var tracking = try await inventory.number(phone, accountID: owner.id)?.number else {
                    throw ValidationError("\(phone) is not in \(account)'s inventory")
                }
                tracking.use = use
                if use == .static { tracking.poolID = nil }
                _ = try await inventory.put(tracking, accountID: owner.id)
                print("\(phone)\t\(use.rawValue)")
            }
        }
    }
}

extension TrackingNumber.Use: ExpressibleByArgument {}
