import ArgumentParser

@main
struct DCECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dce",
        abstract: "dce, the call exchange: one ledger for every call-tracking platform.",
        subcommands: [ServeCommand.self, MigrateCommand.self, AccountsCommand.self, KeysCommand.self, ClientsCommand.self,
                      IntegrationsCommand.self, CarriersCommand.self, NumbersCommand.self, CampaignsCommand.self, PublishersCommand.self,
                      BuyersCommand.self, TargetsCommand.self, SimulateCommand.self]
    )
}
