//! In-process cost of the whole HTTP stack (every middleware layer, the memo and
//! the handlers) per request, without sockets or a load generator: for A/B
//! comparisons of the layers, where a wrk run's noise (±10% on these machines)
//! hides differences of a few percent.
//!
//!   cargo run --release --example stack_overhead -- [ROUNDS] [REQUESTS]
//!
//! Builds the application on the embedded catalogue (rate limit on, above the
//! load; access log off), then for ROUNDS rounds (default 7) sends REQUESTS
//! requests (default 100000) per target through `actix_web::test::call_service`,
//! polling every body to its end, and prints per target the median over the rounds of the
//! nanoseconds per request. Single-threaded; the numbers compare builds, they are
//! not a throughput.

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
    actix_web::rt::System::new().block_on(run(rounds, requests));
}

async fn run(rounds: usize, requests: usize) {
    let catalogue = match Catalogue::embedded() {
        Ok(catalogue) => catalogue,
        Err(errors) => panic!("the embedded catalogue is invalid: {errors}"),
    };
    let state = web::Data::new(AppState::new(
        Snapshots::from_catalogue(catalogue, Source::Embedded),
        HttpSettings {
            rate_limit: Some(1_000_000_000),
            access_log: false,
            ..HttpSettings::default()
        },
    ));
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
    let targets: [(&str, &str, Option<&str>); 5] = [
        ("detail", "/v1/technologies/nodejs", None),
        ("304", "/v1/technologies/nodejs", Some(etag.as_str())),
        ("list", "/v1/technologies", None),
        ("search", "/v1/search?q=python+web", None),
        ("suggest", "/v1/suggest?q=dja", None),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
    for _ in 0..rounds {
        for (i, (_, uri, etag)) in targets.iter().enumerate() {
            let started = Instant::now();
            for _ in 0..requests {
                let mut request = TestRequest::get().uri(uri);
                if let Some(etag) = etag {
                    request = request.insert_header(("if-none-match", *etag));
                }
                let response = call_service(&service, request.to_request()).await;
                std::hint::black_box(drain(response.into_body()).await);
            }
            samples[i].push(per_request(started.elapsed(), requests));
        }
    }
    println!("| target | ns per request (median of {rounds} rounds of {requests}) | min | max |");
    println!("|---|---:|---:|---:|");
    for ((name, _, _), mut sample) in targets.iter().zip(samples) {
        sample.sort_by(f64::total_cmp);
        let median = sample[sample.len() / 2];
        println!(
            "| {name} | {median:.0} | {:.0} | {:.0} |",
            sample[0],
            sample[sample.len() - 1]
        );
    }
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
