import Foundation
import Hummingbird
import Metrics
import Prometheus

/// dce's metrics, kept in one Prometheus registry per application so that tests and
/// several apps in one process do not share counters.
public struct AppMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

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

    public func eventsIngested(source: String, count: Int, duplicates: Int) {
        Counter(label: "dce_events_ingested_total", dimensions: [("source", source)], factory: factory).increment(by: count - duplicates)
        if duplicates > 0 {
            Counter(label: "dce_events_duplicate_total", dimensions: [("source", source)], factory: factory).increment(by: duplicates)
        }
    }

    public func deadLettered(source: String) {
        Counter(label: "dce_dead_letters_total", dimensions: [("source", source)], factory: factory).increment()
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "dce_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "dce_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    public func render() -> String { registry.emitToString() }
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
