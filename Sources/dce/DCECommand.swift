import ArgumentParser

@main
struct DCECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dce",
        abstract: "dce, the call exchange: one ledger for every call-tracking platform.",
        subcommands: [ServeCommand.self, MigrateCommand.self, AccountsCommand.self, KeysCommand.self, ClientsCommand.self,
                      IntegrationsCommand.self, CarriersCommand.self, NumbersCommand.self, CampaignsCommand.self, PublishersCommand.self,
                      BuyersCommand.self, TargetsCommand.self, SimulateCommand.self, SyncCommand.self, ReplayCommand.self]
    )

    /// Argument Parser's own entry point, after reading the `.env` file that every
    /// command's settings layer beneath the environment.
    static func main() async {
        do {
            try await ConfigurationLayers.loadEnvironmentFile()
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
