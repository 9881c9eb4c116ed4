//! Prometheus metrics, kept in atomics: request counts and latency histograms per
//! route pattern and status class, catalogue size and reload outcomes. Rendered in
//! the text exposition format at `GET /metrics`.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];
/// Status classes counted separately.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// The label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

#[derive(Default)]
struct RouteMetrics {
    requests: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// The process's metrics.
pub struct Metrics {
    routes: HashMap<String, RouteMetrics>,
    unmatched: RouteMetrics,
    reload_success: AtomicU64,
    reload_failure: AtomicU64,
}

impl Metrics {
    /// Metrics for these route patterns (e.g. `/v1/technologies/{id}`); any other
    /// request is counted under `unmatched`.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Metrics {
        Metrics {
            routes: patterns
                .into_iter()
                .map(|p| (p.to_owned(), RouteMetrics::default()))
                .collect(),
            unmatched: RouteMetrics::default(),
            reload_success: AtomicU64::new(0),
            reload_failure: AtomicU64::new(0),
        }
    }

    /// Records one answered request.
    pub fn observe(&self, pattern: Option<&str>, status: u16, elapsed: Duration) {
        let route = pattern
            .and_then(|p| self.routes.get(p))
            .unwrap_or(&self.unmatched);
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        route.requests[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|upper| seconds <= *upper) {
            route.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        route.count.fetch_add(1, Ordering::Relaxed);
        route
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts a catalogue reload.
    pub fn reloaded(&self, success: bool) {
        let counter = if success {
            &self.reload_success
        } else {
            &self.reload_failure
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition of every metric.
    pub fn render(&self, technologies: usize, generation: u64) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let mut routes: Vec<(&str, &RouteMetrics)> =
            self.routes.iter().map(|(p, m)| (p.as_str(), m)).collect();
        routes.sort_by_key(|(p, _)| *p);
        routes.push((UNMATCHED, &self.unmatched));
        let _ = writeln!(
            out,
            "# HELP stackatlas_http_requests_total HTTP requests answered, by route pattern and status class."
        );
        let _ = writeln!(out, "# TYPE stackatlas_http_requests_total counter");
        for (route, m) in &routes {
            for (class, counter) in CLASSES.iter().zip(&m.requests) {
                let value = counter.load(Ordering::Relaxed);
                if value > 0 {
                    let _ = writeln!(
                        out,
                        "stackatlas_http_requests_total{{route=\"{route}\",status=\"{class}\"}} {value}"
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP stackatlas_http_request_duration_seconds Time to answer, by route pattern."
        );
        let _ = writeln!(
            out,
            "# TYPE stackatlas_http_request_duration_seconds histogram"
        );
        for (route, m) in &routes {
            let count = m.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (upper, bucket) in BUCKETS.iter().zip(&m.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "stackatlas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{upper}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "stackatlas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let sum = m.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0;
            let _ = writeln!(
                out,
                "stackatlas_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "stackatlas_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP stackatlas_catalogue_technologies Technologies in the serving catalogue."
        );
        let _ = writeln!(out, "# TYPE stackatlas_catalogue_technologies gauge");
        let _ = writeln!(out, "stackatlas_catalogue_technologies {technologies}");
        let _ = writeln!(
            out,
            "# HELP stackatlas_catalogue_generation Number of the serving catalogue snapshot (1 at start, +1 per successful reload)."
        );
        let _ = writeln!(out, "# TYPE stackatlas_catalogue_generation gauge");
        let _ = writeln!(out, "stackatlas_catalogue_generation {generation}");
        let _ = writeln!(
            out,
            "# HELP stackatlas_catalogue_reloads_total Catalogue reloads, by outcome."
        );
        let _ = writeln!(out, "# TYPE stackatlas_catalogue_reloads_total counter");
        let _ = writeln!(
            out,
            "stackatlas_catalogue_reloads_total{{outcome=\"success\"}} {}",
            self.reload_success.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "stackatlas_catalogue_reloads_total{{outcome=\"failure\"}} {}",
            self.reload_failure.load(Ordering::Relaxed)
        );
        out
    }
}
