import ArgumentParser
import AsyncHTTPClient
@main struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dce-bench",
        abstract: "Load tests against a running dce.",
        subcommands: [LeasesBenchmark.self]
    )
}
