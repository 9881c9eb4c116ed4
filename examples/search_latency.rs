//! Measures the search engine in process: index build time and memory, and the
//! latency percentiles of search and suggest queries, on the embedded catalogue and
//! on synthetic catalogues. Criterion (`cargo bench --bench search`) reports means;
//! this reports p50/p90/p99, timing every query on its own.
//!
//! Each query is timed twice over: wall-clock time, and the CPU time of the thread
//! (`CLOCK_THREAD_CPUTIME_ID`), which leaves out the time the thread waited for a
//! core — what the figures would be on an idle machine when other processes
//! compete for the cores.
//!
//! `cargo run --release --example search_latency -- --sizes 10000,100000`

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Parser;
use stackatlas::catalogue::{Catalogue, synthetic};
use stackatlas::search::Index;

/// Measure the search engine.
#[derive(Debug, Parser)]
struct Arguments {
    /// Sizes of the synthetic catalogues (the embedded one is always measured).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    sizes: Vec<usize>,
    /// Distinct queries of each sort per catalogue.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Times each query is run (after one warm-up round).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Index builds timed per catalogue (the median is shown).
    #[arg(long, default_value_t = 3)]
    builds: usize,
    /// Also list this many of the slowest queries of each sort (by their median
    /// CPU time over the rounds), on standard error.
    #[arg(long, default_value_t = 0)]
    slowest: usize,
}

/// Resident set size of this process, in bytes (Linux), or 0.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// CPU time this process has used, all threads together.
#[expect(unsafe_code, reason = "clock_gettime has no safe wrapper in std")]
fn process_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through a valid pointer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// CPU time this thread has used.
#[expect(unsafe_code, reason = "clock_gettime has no safe wrapper in std")]
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through a valid pointer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn micros(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

struct Percentiles {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let sum: Duration = samples.iter().sum();
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: at(1.0),
        mean: sum / samples.len() as u32,
    }
}

/// Wall-clock and CPU-time percentiles of running every query `rounds` times;
/// lists the `slowest` queries (median CPU time) on standard error.
fn time_all(
    what: &str,
    queries: &[String],
    rounds: usize,
    slowest: usize,
    mut run: impl FnMut(&str),
) -> (Percentiles, Percentiles) {
    for query in queries {
        run(query); // warm-up
    }
    let mut wall = Vec::with_capacity(queries.len() * rounds);
    let mut cpu = Vec::with_capacity(queries.len() * rounds);
    for _ in 0..rounds {
        for query in queries {
            let started = Instant::now();
            let started_cpu = thread_cpu_time();
            run(query);
            cpu.push(thread_cpu_time().saturating_sub(started_cpu));
            wall.push(started.elapsed());
        }
    }
    if slowest > 0 && rounds > 0 {
        let mut medians: Vec<(Duration, &str)> = (0..queries.len())
            .map(|q| {
                let mut times: Vec<Duration> = (0..rounds)
                    .map(|round| cpu[round * queries.len() + q])
                    .collect();
                times.sort_unstable();
                (times[times.len() / 2], queries[q].as_str())
            })
            .collect();
        medians.sort_unstable_by(|a, b| b.cmp(a));
        for (time, query) in medians.iter().take(slowest) {
            eprintln!("{what}: {} µs CPU: {query:?}", micros(*time));
        }
    }
    (percentiles(wall), percentiles(cpu))
}

fn row(label: &str, what: &str, (wall, cpu): &(Percentiles, Percentiles)) {
    for (clock, p) in [("wall", wall), ("cpu", cpu)] {
        println!(
            "| {label} | {what} | {clock} | {} | {} | {} | {} | {} |",
            micros(p.p50),
            micros(p.p90),
            micros(p.p99),
            micros(p.max),
            micros(p.mean)
        );
    }
}

fn measure(label: &str, catalogue: &Catalogue, arguments: &Arguments) {
    let before = resident_bytes();
    let started = Instant::now();
    let started_cpu = process_cpu_time();
    let index = Index::build(catalogue);
    let first_build = started.elapsed();
    let first_build_cpu = process_cpu_time().saturating_sub(started_cpu);
    let resident = resident_bytes().saturating_sub(before);
    let mut builds = vec![first_build];
    for _ in 1..arguments.builds {
        let started = Instant::now();
        let built = black_box(Index::build(catalogue));
        builds.push(started.elapsed());
        // Dropped after the clock is read, as the first build's index is.
        drop(built);
    }
    builds.sort_unstable();
    let build = builds[builds.len() / 2];
    eprintln!(
        "{label}: {} entries, {} terms, build {:.3} s (median of {}), index heap {}, resident growth {}",
        catalogue.len(),
        index.term_count(),
        build.as_secs_f64(),
        builds.len(),
        mib(index.heap_bytes()),
        mib(resident)
    );
    println!(
        "| {label} | build | wall {:.3} s, CPU (both threads) {:.3} s | heap {} | resident +{} | {} terms | | |",
        build.as_secs_f64(),
        first_build_cpu.as_secs_f64(),
        mib(index.heap_bytes()),
        mib(resident),
        index.term_count()
    );
    let searches = synthetic::search_queries(catalogue, arguments.queries, 1);
    let suggestions = synthetic::suggest_queries(catalogue, arguments.queries, 2);
    let search = time_all(
        "search",
        &searches,
        arguments.rounds,
        arguments.slowest,
        |q| {
            black_box(index.search_all(q, 0..20));
        },
    );
    row(label, "search (top 20, facets)", &search);
    // The same queries split by how much of the catalogue they match: the cost of
    // ranking and counting facets grows with the matching set.
    let broad_from = (catalogue.len() / 100).max(1);
    let mut totals: Vec<usize> = searches
        .iter()
        .map(|q| index.search_all(q, 0..0).total)
        .collect();
    let mut selective = Vec::new();
    let mut broad = Vec::new();
    for (query, &total) in searches.iter().zip(&totals) {
        if total < broad_from {
            selective.push(query.clone());
        } else {
            broad.push(query.clone());
        }
    }
    let facet_values: usize = catalogue
        .technologies()
        .iter()
        .map(|t| 1 + t.tags.len() + t.relations.for_language.len())
        .sum();
    eprintln!(
        "{label}: {:.1} facet values (kind, tags, languages) per entry",
        facet_values as f64 / catalogue.len().max(1) as f64
    );
    totals.sort_unstable();
    if !totals.is_empty() {
        eprintln!(
            "{label}: matching sets of {} entries at the median, {} at p90",
            totals[totals.len() / 2],
            totals[totals.len() * 9 / 10]
        );
    }
    eprintln!(
        "{label}: {} of {} queries match under {broad_from} entries (1%)",
        selective.len(),
        searches.len()
    );
    if !selective.is_empty() {
        let p = time_all("selective", &selective, arguments.rounds, 0, |q| {
            black_box(index.search_all(q, 0..20));
        });
        row(
            label,
            &format!("search, {} queries matching < 1%", selective.len()),
            &p,
        );
    }
    if !broad.is_empty() {
        let p = time_all("broad", &broad, arguments.rounds, 0, |q| {
            black_box(index.search_all(q, 0..20));
        });
        row(
            label,
            &format!("search, {} queries matching ≥ 1%", broad.len()),
            &p,
        );
    }
    let technologies = catalogue.technologies();
    let highlighted = time_all("highlights", &searches, arguments.rounds, 0, |q| {
        let results = index.search_all(q, 0..20);
        let mut highlighter = index.highlighter(&results.plan);
        for hit in &results.hits {
            black_box(highlighter.highlights(&technologies[hit.position]));
        }
    });
    row(label, "search + highlights of 20 hits", &highlighted);
    let suggest = time_all(
        "suggest",
        &suggestions,
        arguments.rounds,
        arguments.slowest,
        |q| {
            black_box(index.suggest(q, 10));
        },
    );
    row(label, "suggest (10)", &suggest);
    // Slips only the relaxed rules complete: the first two letters of a name's
    // first 4 to 6 characters swapped (a typo on the first letter).
    let slips: Vec<String> = suggestions
        .iter()
        .filter(|q| (4..=6).contains(&q.chars().count()))
        .map(|q| {
            let mut chars: Vec<char> = q.chars().collect();
            chars.swap(0, 1);
            chars.into_iter().collect()
        })
        .filter(|q: &String| index.suggest(q, 10).len() < 10)
        .collect();
    if !slips.is_empty() {
        let relaxed = time_all("slips", &slips, arguments.rounds, 0, |q| {
            black_box(index.suggest(q, 10));
        });
        row(
            label,
            &format!("suggest, {} slips on the first letter", slips.len()),
            &relaxed,
        );
    }
}

fn main() {
    let arguments = Arguments::parse();
    let base = Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"));
    println!("| catalogue | operation | clock | p50 µs | p90 µs | p99 µs | max µs | mean µs |");
    println!("|---|---|---|---|---|---|---|---|");
    measure(&format!("embedded ({})", base.len()), &base, &arguments);
    for &size in &arguments.sizes {
        let started = Instant::now();
        let catalogue = synthetic::catalogue(&base, size, 42).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "synthetic {size}: generated and loaded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        measure(&format!("synthetic {size}"), &catalogue, &arguments);
    }
}
