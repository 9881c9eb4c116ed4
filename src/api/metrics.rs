//! Prometheus metrics on `prometheus-client`: request counts and latency
//! histograms per route pattern and status class, catalogue size and reload
//! outcomes, rendered in the OpenMetrics text format at `GET /metrics`.
//!
//! Each route's series are created on its first request and kept beside the
//! route, so a request costs a lookup by pattern and the metric updates, never a
//! label-set hash in the registry's families.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];
/// Status classes counted separately.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// The label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";
/// Media type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// One route's series, made on first use.
#[derive(Default)]
struct RouteSeries {
    requests: [OnceLock<Counter>; 5],
    duration: OnceLock<Histogram>,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Histograms,
    routes: HashMap<String, RouteSeries>,
    unmatched: RouteSeries,
    technologies: Gauge,
    generation: Gauge,
    reload_success: Counter,
    reload_failure: Counter,
}

impl Metrics {
    /// Metrics for these route patterns (e.g. `/v1/technologies/{id}`); any other
    /// request is counted under `unmatched`.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "stackatlas_http_requests",
            "HTTP requests answered, by route pattern and status class",
            requests.clone(),
        );
        let durations: Histograms = Family::new_with_constructor(latency_histogram);
        registry.register(
            "stackatlas_http_request_duration_seconds",
            "Time to answer, by route pattern",
            durations.clone(),
        );
        let technologies = Gauge::default();
        registry.register(
            "stackatlas_catalogue_technologies",
            "Technologies in the serving catalogue",
            technologies.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "stackatlas_catalogue_generation",
            "Number of the serving catalogue snapshot (1 at start, +1 per successful reload)",
            generation.clone(),
        );
        let reloads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "stackatlas_catalogue_reloads",
            "Catalogue reloads, by outcome",
            reloads.clone(),
        );
        let reload_success = reloads
            .get_or_create(&OutcomeLabels { outcome: "success" })
            .clone();
        let reload_failure = reloads
            .get_or_create(&OutcomeLabels { outcome: "failure" })
            .clone();
        Metrics {
            registry,
            requests,
            durations,
            routes: patterns
                .into_iter()
                .map(|p| (p.to_owned(), RouteSeries::default()))
                .collect(),
            unmatched: RouteSeries::default(),
            technologies,
            generation,
            reload_success,
            reload_failure,
        }
    }

    /// Records one answered request.
    pub fn observe(&self, pattern: Option<&str>, status: u16, elapsed: Duration) {
        let (route, series) = match pattern.and_then(|p| self.routes.get_key_value(p)) {
            Some((route, series)) => (route.as_str(), series),
            None => (UNMATCHED, &self.unmatched),
        };
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        series.requests[class]
            .get_or_init(|| {
                self.requests
                    .get_or_create(&RequestLabels {
                        route: route.to_owned(),
                        status: CLASSES[class],
                    })
                    .clone()
            })
            .inc();
        series
            .duration
            .get_or_init(|| {
                self.durations
                    .get_or_create(&RouteLabels {
                        route: route.to_owned(),
                    })
                    .clone()
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a catalogue reload.
    pub fn reloaded(&self, success: bool) {
        if success {
            self.reload_success.inc();
        } else {
            self.reload_failure.inc();
        }
    }

    /// The exposition of every metric.
    pub fn render(&self, technologies: usize, generation: u64) -> String {
        self.technologies
            .set(i64::try_from(technologies).unwrap_or(i64::MAX));
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
        let mut out = String::with_capacity(16 * 1024);
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            log::error!("cannot render the metrics: {error}");
        }
        out
    }
}
