import Metrics

/// The `dce_sync_*` metrics.
extension AppMetrics {
    func syncPage(vendor: String, rows: Int) {
        counter("dce_sync_pages_total", [("vendor", vendor)]).increment()
        counter("dce_sync_rows_total", [("vendor", vendor)]).increment(by: rows)
    }

    func syncDeadLetter(vendor: String, count: Int = 1) {
        counter("dce_sync_dead_letters_total", [("vendor", vendor)]).increment(by: count)
    }

    func syncFailed(vendor: String) {
        counter("dce_sync_failures_total", [("vendor", vendor)]).increment()
    }

    /// How far behind now an integration's cursor is, after its last successful run.
    func syncLag(integration: String, seconds: Double) {
        Gauge(label: "dce_sync_lag_seconds", dimensions: [("integration", integration)], factory: factory).record(seconds)
    }
}
