import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dce-bench",
        abstract: "Load generators for a running dce: throughput and latency over loopback.",
        subcommands: [DecodeBenchmark.self, EventsBenchmark.self, HealthBenchmark.self, LeasesBenchmark.self, RouteBenchmark.self, SyncBenchmark.self, VoiceBenchmark.self, WebhooksBenchmark.self]
    )
}
