//! The benchmark's baseline: the least an actix-web server can do per request.
//!
//! It answers `GET` on any path with one constant JSON body the size of a typical
//! detail answer (`examples/baseline_body.json`: the answer of
//! `GET /v1/technologies/nodejs`, captured from the real server), with the same
//! worker count as `stackatlas` (one per core, actix-web's default), and no
//! middleware. `benches/load.sh` drives it with the same wrk settings as every
//! Stack Atlas endpoint, so `requests/s of an endpoint ÷ requests/s of the baseline`
//! says what share of the framework's ceiling on this machine the endpoint reaches.
//!
//! ```sh
//! cargo run --release --example baseline -- --port 8081
//! ```

use std::num::NonZeroUsize;

use actix_web::{App, HttpResponse, HttpServer, http::header, web};
use clap::Parser;

/// A typical detail answer, byte for byte (re-capture it with
/// `curl -s http://127.0.0.1:8080/v1/technologies/nodejs > examples/baseline_body.json`).
const BODY: &str = include_str!("baseline_body.json");

/// A minimal actix-web server answering a constant JSON body on every GET.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Worker threads (0: one per CPU core, like `stackatlas`).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Answer this file's bytes instead of the built-in detail answer (to measure the
    /// ceiling for a larger answer, such as the default list page).
    #[arg(long)]
    body: Option<std::path::PathBuf>,
}

async fn answer(body: web::Data<&'static [u8]>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(*body.get_ref())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(2, NonZeroUsize::get),
        n => n,
    };
    let body: &'static [u8] = match &args.body {
        Some(path) => std::fs::read(path)?.leak(),
        None => BODY.as_bytes(),
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(body))
            .default_service(web::get().to(answer))
    })
    .workers(workers)
    .bind((args.host.as_str(), args.port))?;
    for address in server.addrs() {
        eprintln!(
            "baseline: {} bytes on every GET at http://{address} ({workers} workers)",
            body.len()
        );
    }
    server.run().await
}
