//! The benchmark's baseline: the least an actix-web server can do per request.
//!
//! It answers `GET` on any path with one constant JSON body the size of a typical
//! detail answer (`examples/baseline_body.json`: the answer of
//! `GET /v1/technologies/nodejs`, captured from the real server), with the same
//! worker count as `stackatlas` (one per core, actix-web's default), and no
//! middleware. `benches/load.sh` drives it with the same wrk settings as every
//! Stack Atlas endpoint, so `requests/s of an endpoint ÷ requests/s of the baseline`
//! says what share of the framework's ceiling on this machine the endpoint reaches.
//! With `--headers`, it also sends a given header block (Stack Atlas's, captured from
//! an answer), which tells what those bytes cost by themselves.
//!
//! ```sh
//! cargo run --release --example baseline -- --port 8081
//! ```

use std::num::NonZeroUsize;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{App, HttpResponse, HttpServer, web};
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
    /// Also send these headers with every answer: one `name: value` per line (blank
    /// lines, `Content-Length`, `Content-Type` and `Date` are skipped: actix-web
    /// writes those itself).
    #[arg(long)]
    headers: Option<std::path::PathBuf>,
}

/// Headers sent with every answer besides `Content-Type`.
type Headers = &'static [(HeaderName, HeaderValue)];

async fn answer(body: web::Data<&'static [u8]>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(*body.get_ref())
}

/// [`answer`] with the `--headers` block (a separate handler, so that the plain
/// baseline does no more than before).
async fn answer_with_headers(
    body: web::Data<&'static [u8]>,
    headers: web::Data<Headers>,
) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    answer.insert_header((header::CONTENT_TYPE, "application/json"));
    for (name, value) in headers.iter() {
        // Static names and values: cloning them counts no references.
        answer.append_header((name.clone(), value.clone()));
    }
    answer.body(*body.get_ref())
}

/// The `name: value` lines of `text` as static headers (kept for the process's life).
fn parse_headers(text: &str) -> std::io::Result<Headers> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut headers = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("not a `name: value` line: {line:?}")))?;
        let name: &'static str = name.trim().to_ascii_lowercase().leak();
        let value: &'static str = value.trim().to_owned().leak();
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("not a header name: {name:?}")))?;
        HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("not a header value: {value:?}")))?;
        if !matches!(name, "content-length" | "content-type" | "date") {
            headers.push((
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            ));
        }
    }
    Ok(headers.leak())
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
    let headers = match &args.headers {
        Some(path) => parse_headers(&std::fs::read_to_string(path)?)?,
        None => &[],
    };
    let server = HttpServer::new(move || {
        let route = if headers.is_empty() {
            web::get().to(answer)
        } else {
            web::get().to(answer_with_headers)
        };
        App::new()
            .app_data(web::Data::new(body))
            .app_data(web::Data::new(headers))
            .default_service(route)
    })
    .workers(workers)
    .bind((args.host.as_str(), args.port))?;
    for address in server.addrs() {
        eprintln!(
            "baseline: {} bytes and {} extra headers on every GET at http://{address} ({workers} workers)",
            body.len(),
            headers.len()
        );
    }
    server.run().await
}
