import Foundation
import Hummingbird
import Metrics
import Prometheus
import Synchronization

/// dce's metrics, kept in one Prometheus registry per application so that tests and
/// several apps in one process do not share counters.
public struct AppMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let counters = MetricHandles<Metrics.Counter>()
    private let timers = MetricHandles<Metrics.Timer>()

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
    }

    /// The counter of `label` with `dimensions`, made once.
    func counter(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Counter {
        counters.handle(label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    public func eventsIngested(source: String, count: Int, duplicates: Int) {
        counter("dce_events_ingested_total", [("source", source)]).increment(by: count - duplicates)
        if duplicates > 0 {
            counter("dce_events_duplicate_total", [("source", source)]).increment(by: duplicates)
        }
    }

    public func deadLettered(source: String, count: Int = 1) {
        counter("dce_dead_letters_total", [("source", source)]).increment(by: count)
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        counter("dce_http_requests_total", [("method", method), ("route", route), ("status", String(status))]).increment()
        let dimensions = [("method", method), ("route", route)]
        timers.handle("dce_http_request_duration_seconds", dimensions) {
            Timer(label: "dce_http_request_duration_seconds", dimensions: dimensions, factory: factory)
        }.recordNanoseconds(duration.nanoseconds)
    }

    public func render() -> String { registry.emitToString() }
}

/// Metric handles made once per label and dimensions: making one asks the registry, under
/// its lock, for the metric of that name and labels, which cost more than counting.
final class MetricHandles<Handle: Sendable>: Sendable {
    private let handles = Mutex<[String: Handle]>([:])

    func handle(_ label: String, _ dimensions: [(String, String)], make: () -> Handle) -> Handle {
        var key = label
        for (name, value) in dimensions {
            key += "\u{0}" + name + "=" + value
        }
        return handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Counts every request by method, matched route (not raw path: ids would explode the
/// label set) and status, and times it.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                            status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                            status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
