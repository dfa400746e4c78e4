import ArgumentParser
import DCEDomain
import DCEVendors
import Foundation

/// How long reading one delivery takes, in this process and on one thread: the vendor's
/// decoder and the stored text of its events, without HTTP or storage. A steadier figure
/// than a load run on a shared machine, for comparing changes to the decoders.
struct DecodeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Vendor decoding cost per delivery, in process (no HTTP, no storage)."
    )

    /// The vendors whose wire formats are read here (native events are dce's own).
    static var decodable: [String] { VendorRegistry.standard.names.filter { $0 != NativeAdapter.source.rawValue } }

    @Option(help: ArgumentHelp("One of: \(Self.decodable.joined(separator: ", ")).")) var vendor: String
    @Option(help: "Distinct simulated deliveries.") var count = 2_000
    @Option(help: "Passes over them; the fastest is reported.") var passes = 5

    func run() async throws {
        guard let vendor = VendorRegistry.standard.adapter(named: vendor), vendor.name != NativeAdapter.source.rawValue else {
            throw ValidationError("--vendor must be one of \(Self.decodable.joined(separator: ", "))")
        }
        var generator = TrafficGenerator(vendor: vendor, seed: 7, run: "decode")
        generator.retryRate = 0
        generator.reorderRate = 0
        var deliveries: [VendorDelivery] = []
        var call = 0
        while deliveries.count < count {
            for simulated in generator.deliveries(forCall: call) {
                var query: [String: String] = [:]
                for (name, value) in simulated.query where query[name] == nil { query[name] = value }
                let contentType = simulated.headers.first { $0.0.lowercased() == "content-type" }?.1
                deliveries.append(VendorDelivery(method: simulated.method, query: query, contentType: contentType, body: simulated.body, receivedAt: .now()))
            }
            call += 1
        }
        let integration = IntegrationProfile(id: "int_bench")
        var best = Duration.seconds(1_000)
        var stored = 0
        for _ in 0..<passes {
            let start = ContinuousClock.now
            for delivery in deliveries {
                for event in try vendor.decode(delivery, integration: integration) {
                    // What the request's task stores beside each event.
                    stored &+= event.payload.utf8.count &+ event.event.fields.jsonText.utf8.count
                }
            }
            best = min(best, ContinuousClock.now - start)
        }
        let micros = Double(best.components.seconds) * 1e6 + Double(best.components.attoseconds) / 1e12
        print(String(format: "%@ decode: %.1f µs per delivery (%d deliveries, best of %d passes; %d bytes stored)",
                     vendor.name, micros / Double(deliveries.count), deliveries.count, passes, stored / passes))
    }
}
