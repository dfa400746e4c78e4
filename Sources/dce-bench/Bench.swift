import ArgumentParser
import AsyncHTTPClient

@main struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dce-bench",
        abstract: "Load benchmarks against a running dce server.",
        subcommands: [WebhooksBenchmark.self]
    )
}
