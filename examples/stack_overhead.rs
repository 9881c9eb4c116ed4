//! In-process cost of the whole HTTP stack (every middleware layer, the memo and
//! the handlers) per request, without sockets or a load generator: for A/B
//! comparisons of the layers, where a wrk run's noise (±10% on these machines)
//! hides differences of a few percent.
//!
//!   cargo run --release --example stack_overhead -- [ROUNDS] [REQUESTS] [THREADS]
//!
//! Builds the application on the embedded catalogue (rate limit on, above the
//! load; access log off), then in each of THREADS threads (default 1; each its own
//! runtime and app over one shared state, as the server's workers) for ROUNDS
//! rounds (default 7) sends REQUESTS requests (default 100000) per target through
//! `actix_web::test::call_service`,
//! polling every body to its end, and prints per target the median over the rounds of the
//! nanoseconds per request (over every thread's rounds). With more threads than
//! one, what the threads share (locks, counters) shows as contention. The numbers
//! compare builds; they are not a throughput.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::web;
use stackatlas::api::{AppState, HttpSettings, app};
use stackatlas::catalogue::Catalogue;
use stackatlas::snapshot::{Snapshots, Source};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let catalogue = match Catalogue::embedded() {
        Ok(catalogue) => catalogue,
        Err(errors) => panic!("the embedded catalogue is invalid: {errors}"),
    };
    // One state for every thread, as the server's workers share it.
    let state = web::Data::new(AppState::new(
        Snapshots::from_catalogue(catalogue, Source::Embedded),
        HttpSettings {
            rate_limit: Some(1_000_000_000),
            access_log: false,
            ..HttpSettings::default()
        },
    ));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let state = state.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(run(state, rounds, requests))
            })
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); TARGETS.len()];
    for worker in workers {
        match worker.join() {
            Ok(found) => {
                for (all, more) in samples.iter_mut().zip(found) {
                    all.extend(more);
                }
            }
            Err(_) => panic!("a worker thread panicked"),
        }
    }
    println!(
        "| target | ns per request (median of {rounds} rounds of {requests}, {threads} thread(s)) | min | max |"
    );
    println!("|---|---:|---:|---:|");
    for ((name, _), mut sample) in TARGETS.iter().zip(samples) {
        sample.sort_by(f64::total_cmp);
        let median = sample[sample.len() / 2];
        println!(
            "| {name} | {median:.0} | {:.0} | {:.0} |",
            sample[0],
            sample[sample.len() - 1]
        );
    }
}

/// The targets: name and path (the 304 row sends the detail's `ETag`).
const TARGETS: [(&str, &str); 5] = [
    ("detail", "/v1/technologies/nodejs"),
    ("304", "/v1/technologies/nodejs"),
    ("list", "/v1/technologies"),
    ("search", "/v1/search?q=python+web"),
    ("suggest", "/v1/suggest?q=dja"),
];

async fn run(state: web::Data<AppState>, rounds: usize, requests: usize) -> Vec<Vec<f64>> {
    let service = init_service(app(state)).await;
    let first = call_service(
        &service,
        TestRequest::get()
            .uri("/v1/technologies/nodejs")
            .to_request(),
    )
    .await;
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); TARGETS.len()];
    for _ in 0..rounds {
        for (i, (name, uri)) in TARGETS.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..requests {
                let mut request = TestRequest::get().uri(uri);
                if *name == "304" {
                    request = request.insert_header(("if-none-match", etag.as_str()));
                }
                let response = call_service(&service, request.to_request()).await;
                std::hint::black_box(drain(response.into_body()).await);
            }
            samples[i].push(per_request(started.elapsed(), requests));
        }
    }
    samples
}

/// Polls every chunk of `body` and counts its bytes, as the HTTP/1 dispatcher
/// polls a body it writes (without copying it anywhere).
async fn drain(body: impl MessageBody) -> usize {
    let mut body = std::pin::pin!(body);
    let mut bytes = 0;
    while let Some(chunk) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        bytes += chunk.map_or(0, |chunk| chunk.len());
    }
    bytes
}

fn per_request(elapsed: Duration, requests: usize) -> f64 {
    elapsed.as_nanos() as f64 / requests as f64
}
