//! Prometheus metrics on `prometheus-client`: request counts and latency
//! histograms per route pattern and status class, catalogue size and reload
//! outcomes, rendered in the OpenMetrics text format at `GET /metrics`.
//!
//! Each route's series are created on its first request and kept beside the
//! route, so a request costs a lookup by pattern and the metric updates, never a
//! label-set hash in the registry's families.
//!
//! The request series keep their values in per-thread slots ([`Slotted`],
//! [`LatencyHistogram`]): each worker adds to its own cache line and the
//! exposition sums the slots. prometheus-client's `Histogram` is one mutex per
//! series and its `Counter` one shared atomic, so both workers wrote the same
//! lines for every answer of a route.

use std::collections::HashMap;
use std::iter::once;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::{Atomic, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
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

/// Slots per series: threads beyond this many share slots (still correct, as
/// every slot is atomic).
const SLOTS: usize = 8;

/// The calling thread's slot, given on its first record.
fn slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS;
    }
    SLOT.with(|slot| *slot)
}

/// A value on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Line<T>(T);

/// A counter's value in per-thread slots, for prometheus-client's `Counter`.
#[derive(Debug, Default)]
pub struct Slotted([Line<AtomicU64>; SLOTS]);

impl Atomic<u64> for Slotted {
    fn inc(&self) -> u64 {
        self.inc_by(1)
    }

    /// Adds to the calling thread's slot; gives that slot's previous value.
    fn inc_by(&self, v: u64) -> u64 {
        self.0[slot()].0.fetch_add(v, Ordering::Relaxed)
    }

    fn get(&self) -> u64 {
        self.0.iter().fold(0, |sum, slot| {
            sum.wrapping_add(slot.0.load(Ordering::Relaxed))
        })
    }
}

/// Requests answered, one series.
type RequestCounter = Counter<u64, Slotted>;

/// One thread's share of a latency histogram: a count per bucket (the last one
/// `+Inf`) and the sum of the observed times.
#[derive(Debug, Default)]
#[repr(align(128))]
struct HistogramSlot {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    nanos: AtomicU64,
}

/// A latency histogram over [`BUCKETS`] in per-thread slots, exposed as one
/// OpenMetrics histogram.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram(Arc<[HistogramSlot; SLOTS]>);

impl LatencyHistogram {
    /// Records one answer's time.
    pub fn observe(&self, elapsed: Duration) {
        let slot = &self.0[slot()];
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|upper| seconds <= *upper)
            .unwrap_or(BUCKETS.len());
        slot.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        slot.nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let mut buckets: Vec<(f64, u64)> = BUCKETS
            .into_iter()
            .chain(once(f64::INFINITY))
            .map(|upper| (upper, 0))
            .collect();
        let mut nanos = 0u64;
        for slot in self.0.iter() {
            for ((_, count), bucket) in buckets.iter_mut().zip(&slot.buckets) {
                *count += bucket.load(Ordering::Relaxed);
            }
            nanos = nanos.wrapping_add(slot.nanos.load(Ordering::Relaxed));
        }
        let count = buckets.iter().map(|(_, count)| count).sum();
        // As seconds, like prometheus-client's own histogram.
        let sum = Duration::from_nanos(nanos).as_secs_f64();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// One route's series, made on first use.
#[derive(Default)]
struct RouteSeries {
    requests: [OnceLock<RequestCounter>; 5],
    duration: OnceLock<LatencyHistogram>,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, RequestCounter>,
    durations: Family<RouteLabels, LatencyHistogram>,
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
        let requests = Family::<RequestLabels, RequestCounter>::default();
        registry.register(
            "stackatlas_http_requests",
            "HTTP requests answered, by route pattern and status class",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, LatencyHistogram>::default();
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
            .observe(elapsed);
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Metrics;

    /// The value of the exposition line that starts with `series `.
    fn value(exposition: &str, series: &str) -> Option<f64> {
        exposition
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
    }

    #[test]
    fn series_written_by_several_threads_are_exposed_as_their_sums() {
        let metrics = Metrics::new(["/v1/things"]);
        std::thread::scope(|scope| {
            for _ in 0..12 {
                scope.spawn(|| {
                    for _ in 0..100 {
                        metrics.observe(Some("/v1/things"), 200, Duration::from_micros(80));
                        metrics.observe(Some("/v1/things"), 404, Duration::from_millis(3));
                    }
                });
            }
        });
        metrics.observe(None, 200, Duration::from_secs(2));
        let text = metrics.render(1, 1);
        let requests = "stackatlas_http_requests_total";
        let duration = "stackatlas_http_request_duration_seconds";
        let route = "route=\"/v1/things\"";
        assert_eq!(
            value(&text, &format!("{requests}{{{route},status=\"2xx\"}}")),
            Some(1200.0)
        );
        assert_eq!(
            value(&text, &format!("{requests}{{{route},status=\"4xx\"}}")),
            Some(1200.0)
        );
        assert_eq!(
            value(&text, &format!("{duration}_count{{{route}}}")),
            Some(2400.0)
        );
        let sum = value(&text, &format!("{duration}_sum{{{route}}}")).expect("sum");
        assert!(
            (sum - (1200.0 * 0.000_08 + 1200.0 * 0.003)).abs() < 1e-9,
            "{sum}"
        );
        // Cumulative buckets: 80 µs under 100 µs, 3 ms under 5 ms.
        let bucket = |le: &str| value(&text, &format!("{duration}_bucket{{le=\"{le}\",{route}}}"));
        assert_eq!(bucket("0.00005"), Some(0.0));
        assert_eq!(bucket("0.0001"), Some(1200.0));
        assert_eq!(bucket("0.0025"), Some(1200.0));
        assert_eq!(bucket("0.005"), Some(2400.0));
        assert_eq!(bucket("+Inf"), Some(2400.0));
        // Over the last bound: only +Inf counts it.
        let unmatched = "route=\"unmatched\"";
        assert_eq!(
            value(
                &text,
                &format!("{duration}_bucket{{le=\"1.0\",{unmatched}}}")
            ),
            Some(0.0)
        );
        assert_eq!(
            value(
                &text,
                &format!("{duration}_bucket{{le=\"+Inf\",{unmatched}}}")
            ),
            Some(1.0)
        );
    }
}
