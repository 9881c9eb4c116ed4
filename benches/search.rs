//! Criterion benchmarks of the search engine in process: index build, search and
//! suggest on the embedded catalogue and on synthetic catalogues (10,000 and
//! 100,000 entries by default; set `STACKATLAS_BENCH_SIZES=10000` to bound a run).
//! Criterion reports means; `examples/search_latency.rs` reports percentiles.
//!
//! `cargo bench --bench search`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use stackatlas::catalogue::{Catalogue, synthetic};
use stackatlas::search::Index;

/// Seed of the synthetic catalogues (the same as the latency example's).
const SEED: u64 = 42;

fn catalogues() -> Vec<(String, Catalogue)> {
    let base = Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"));
    let sizes: Vec<usize> = std::env::var("STACKATLAS_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".to_owned())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let mut catalogues = Vec::new();
    for size in sizes {
        let catalogue = synthetic::catalogue(&base, size, SEED).unwrap_or_else(|e| panic!("{e}"));
        catalogues.push((format!("synthetic-{size}"), catalogue));
    }
    catalogues.insert(0, ("embedded-258".to_owned(), base));
    catalogues
}

fn benchmarks(c: &mut Criterion) {
    for (label, catalogue) in catalogues() {
        let mut build = c.benchmark_group("index-build");
        build.sample_size(10);
        build.measurement_time(Duration::from_secs(if catalogue.len() > 20_000 {
            25
        } else {
            5
        }));
        build.bench_function(BenchmarkId::from_parameter(&label), |b| {
            b.iter(|| black_box(Index::build(&catalogue)))
        });
        build.finish();

        let index = Index::build(&catalogue);
        let searches = synthetic::search_queries(&catalogue, 500, 1);
        let suggestions = synthetic::suggest_queries(&catalogue, 500, 2);
        let mut group = c.benchmark_group("query");
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        let mut next = 0;
        group.bench_function(BenchmarkId::new("search-top20-facets", &label), |b| {
            b.iter(|| {
                next = (next + 1) % searches.len();
                black_box(index.search_all(&searches[next], 0..20))
            })
        });
        group.bench_function(BenchmarkId::new("suggest-10", &label), |b| {
            b.iter(|| {
                next = (next + 1) % suggestions.len();
                black_box(index.suggest(&suggestions[next], 10))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
