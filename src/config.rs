//! Settings, from command-line flags or their environment-variable twins. Every
//! knob is here, listed by `--help` and in the README; an invalid value stops the
//! process at start with a message naming the flag.

use clap::Parser;

/// Stack Atlas: a JSON REST API over a curated catalogue of backend technologies.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "STACKATLAS_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "STACKATLAS_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Serve the catalogue in this directory (laid out like `data/`: `technologies/`,
    /// optional `lifecycle/` and `catalogue.json`) instead of the one compiled in;
    /// SIGHUP re-reads it.
    #[arg(long, env = "STACKATLAS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Worker threads (0: one per CPU core).
    #[arg(long, env = "STACKATLAS_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Most concurrent connections per worker.
    #[arg(long, env = "STACKATLAS_MAX_CONNECTIONS", default_value_t = 25_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Seconds an idle keep-alive connection stays open (0 turns keep-alive off).
    #[arg(long, env = "STACKATLAS_KEEP_ALIVE", default_value_t = 15, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub keep_alive: u64,
    /// Milliseconds a client has to send a request's head before it gets 408.
    #[arg(long, env = "STACKATLAS_CLIENT_REQUEST_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=300_000))]
    pub client_request_timeout_ms: u64,
    /// Milliseconds allowed for a client to close a connection after the answer.
    #[arg(long, env = "STACKATLAS_CLIENT_DISCONNECT_TIMEOUT_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub client_disconnect_timeout_ms: u64,
    /// Seconds in-flight requests get to finish after SIGTERM (below Kubernetes' 30 s
    /// grace period).
    #[arg(long, env = "STACKATLAS_SHUTDOWN_TIMEOUT", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_timeout: u64,
    /// Longest accepted query string, in bytes (longer: 414).
    #[arg(long, env = "STACKATLAS_MAX_QUERY_LENGTH", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(64..=65_536))]
    pub max_query_length: u64,
    /// Requests each client may make per window (0 turns rate limiting off).
    #[arg(long, env = "STACKATLAS_RATE_LIMIT", default_value_t = 1200)]
    pub rate_limit: u64,
    /// Length of the rate-limit window, in seconds.
    #[arg(long, env = "STACKATLAS_RATE_LIMIT_WINDOW", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub rate_limit_window: u64,
    /// Believe `X-Forwarded-For` (its last address) as the client's address: set it
    /// only behind a proxy that appends it.
    #[arg(long, env = "STACKATLAS_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,
    /// Origins whose scripts may read answers (comma-separated); empty: any origin.
    #[arg(long, env = "STACKATLAS_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
    /// `max-age` of successful answers, in seconds.
    #[arg(long, env = "STACKATLAS_CACHE_MAX_AGE", default_value_t = 300, value_parser = clap::value_parser!(u32).range(0..=31_536_000))]
    pub cache_max_age: u32,
    /// `stale-while-revalidate` of successful answers, in seconds.
    #[arg(long, env = "STACKATLAS_STALE_WHILE_REVALIDATE", default_value_t = 86_400, value_parser = clap::value_parser!(u32).range(0..=31_536_000))]
    pub stale_while_revalidate: u32,
    /// Log one line per request (at `info`, on standard error, written off the
    /// request path).
    #[arg(long, env = "STACKATLAS_ACCESS_LOG", default_value_t = true, action = clap::ArgAction::Set)]
    pub access_log: bool,
    /// Print the OpenAPI document to standard output and exit.
    #[arg(long)]
    pub print_openapi: bool,
    /// Print the JSON Schema of the data files to standard output and exit.
    #[arg(long)]
    pub print_data_schema: bool,
    /// Load and check the catalogue (`--data-dir` or the embedded one), print every
    /// problem or a one-line summary, and exit (non-zero on a problem).
    #[arg(long)]
    pub check: bool,
    /// Re-import release cycles and identifiers from endoflife.date's data in this
    /// folder (a checkout's `products/*.md`, or `<product>.yml` front matter files)
    /// into the data folder (`--data-dir`, default `data`), print what changed, and exit.
    #[arg(long, value_name = "DIR")]
    pub refresh_lifecycle: Option<std::path::PathBuf>,
    /// The day the refreshed lifecycle facts hold (`YYYY-MM-DD`; default: today, UTC).
    #[arg(long, value_name = "DATE", requires = "refresh_lifecycle", value_parser = parse_date)]
    pub as_of: Option<crate::catalogue::Date>,
    /// Move `updated` to today on every entry of the data folder (`--data-dir`,
    /// default `data`) whose facts changed since `fingerprints.json` recorded them,
    /// and exit.
    #[arg(long)]
    pub stamp: bool,
}

/// A day written `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<crate::catalogue::Date, String> {
    crate::catalogue::Date::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

/// An origin: `scheme://host[:port]`, no path.
fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` is not an origin (expected http(s)://host[:port])"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(format!(
            "`{text}` is not an origin (expected http(s)://host[:port], no path)"
        ));
    }
    Ok(text.to_owned())
}
