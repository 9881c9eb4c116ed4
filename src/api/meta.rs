//! The service's own endpoints: the index at `/` (JSON, or a landing page for
//! browsers), liveness, readiness and metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, ProblemDetails};

/// Tag of the service operations in the OpenAPI document.
pub const TAG: &str = "service";

/// A link to an endpoint with what it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointLink {
    /// Relative URL (a template where it has `{}` parameters).
    pub href: &'static str,
    /// What the endpoint answers.
    pub description: &'static str,
}

/// The API's front door: what it is and where everything lives.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIndex {
    /// The service's name.
    #[schema(example = "Stack Atlas")]
    pub name: &'static str,
    /// The service's version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// What the service is.
    pub description: &'static str,
    /// Every endpoint, and the documentation.
    pub links: Vec<EndpointLink>,
}

/// The endpoints the index lists.
pub const ENDPOINTS: &[(&str, &str)] = &[
    (
        "/v1/technologies",
        "List technologies: filters, sort, sparse fields, expansion, pagination",
    ),
    (
        "/v1/technologies/{id}",
        "One technology by id, with its lifecycle (aliases redirect)",
    ),
    (
        "/v1/technologies/{id}/releases",
        "Release cycles with support status computed today",
    ),
    (
        "/v1/technologies/{id}/related",
        "Related technologies grouped by relation, both ways",
    ),
    (
        "/v1/compare?ids={id},{id}",
        "2 to 10 technologies side by side, field by field",
    ),
    (
        "/v1/search?q={query}",
        "Ranked, typo-tolerant search with facets and highlights",
    ),
    (
        "/v1/suggest?q={prefix}",
        "Search-as-you-type completions of technology names",
    ),
    ("/v1/kinds", "Kinds with counts"),
    ("/v1/tags", "Tags with counts"),
    ("/v1/languages", "Languages with counts"),
    ("/v1/licenses", "Licences with counts"),
    ("/v1/runtimes", "Runtimes and platforms with counts"),
    (
        "/v1/catalogue",
        "The whole catalogue: JSON, NDJSON or CSV by Accept",
    ),
    ("/healthz", "Liveness probe"),
    ("/readyz", "Readiness probe"),
    ("/metrics", "Prometheus metrics"),
    ("/api-docs/openapi.json", "The OpenAPI 3.1 document"),
    ("/swagger-ui/", "Swagger UI to explore the API"),
    ("/embed/", "The embed example: search and details in a page"),
];

const DESCRIPTION: &str = "A JSON API over a curated catalogue of backend technologies.";

/// True when the client prefers HTML to JSON (a browser navigating to `/`).
fn wants_html(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let position = |needle: &str| accept.find(needle);
    match (position("text/html"), position("application/json")) {
        (Some(_), None) => true,
        (Some(html), Some(json)) => html < json,
        _ => false,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn landing_page(technologies: usize) -> String {
    let endpoints: String = ENDPOINTS
        .iter()
        .map(|(href, description)| {
            let link = if href.contains('{') {
                format!("<code>{}</code>", escape(href))
            } else {
                format!("<a href=\"{0}\"><code>{0}</code></a>", escape(href))
            };
            format!("<li>{link} — {}</li>\n", escape(description))
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stack Atlas</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2430; }}
h1 {{ margin-bottom: .2rem; }} p.lead {{ margin-top: 0; color: #4a5568; }}
.actions a {{ display: inline-block; margin: .2rem .6rem .2rem 0; padding: .45rem .9rem; border-radius: .4rem; background: #2456c8; color: #fff; text-decoration: none; }}
code {{ background: #f1f3f7; padding: .05rem .3rem; border-radius: .2rem; }}
li {{ margin: .2rem 0; }}
</style>
</head>
<body>
<main>
<h1>Stack Atlas</h1>
<p class="lead">{description} {technologies} technologies — languages, runtimes, frameworks, databases, caches, brokers, search engines, servers — with release lifecycles, relations and ranked search.</p>
<p class="actions"><a href="/swagger-ui/">Explore in Swagger UI</a><a href="/api-docs/openapi.json">OpenAPI document</a><a href="/embed/">Embed example</a></p>
<h2>Endpoints</h2>
<ul>
{endpoints}</ul>
<p>Try <code>curl -s 'http://localhost:8080/v1/search?q=python+web+framework'</code>. Every answer is JSON; errors are RFC 9457 problems.</p>
</main>
</body>
</html>
"#,
        description = escape(DESCRIPTION),
    )
}

/// Content-Security-Policy of the landing page: inline styles only.
const CSP_LANDING: header::HeaderValue = header::HeaderValue::from_static(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);

/// API index
///
/// Names the service and links to every endpoint and to the documentation. A
/// browser (`Accept: text/html`) gets a small landing page instead, linking to
/// Swagger UI, the OpenAPI document and the embed example.
///
/// `curl -s http://localhost:8080/`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The index (JSON), or the landing page for `Accept: text/html`.",
        content((ApiIndex = "application/json"), (String = "text/html"))),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"))
)]
#[get("/")]
pub async fn index(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    if wants_html(&req) {
        let technologies = state.snapshots.current().catalogue.len();
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::VARY, "Accept"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP_LANDING))
            .body(landing_page(technologies)));
    }
    let index = ApiIndex {
        name: "Stack Atlas",
        version: env!("CARGO_PKG_VERSION"),
        description: DESCRIPTION,
        links: ENDPOINTS
            .iter()
            .map(|(href, description)| EndpointLink { href, description })
            .collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .json(index))
}

/// Health of the process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` while the process answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness probe
///
/// Answers `200` with `{"status":"ok"}` while the process serves requests. Not
/// rate-limited.
///
/// `curl -s http://localhost:8080/healthz`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The process is alive.", body = Health),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"))
)]
#[get("/healthz")]
pub async fn healthz(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health { status: "ok" }))
}

/// Readiness of the process to serve the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` once a catalogue is loaded.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Technologies in the serving catalogue.
    #[schema(example = 258)]
    pub technologies: usize,
    /// Number of the serving snapshot (1 at start, +1 per successful reload).
    #[schema(example = 1)]
    pub generation: u64,
    /// `building` while the search index is built after start-up (search and
    /// suggest requests then wait for it), `ready` after.
    #[schema(example = "ready")]
    pub search_index: &'static str,
}

/// Readiness probe
///
/// Answers `200` once the catalogue is loaded and validated (the process refuses to
/// start otherwise), with the catalogue's size and snapshot generation. The search
/// index is built beside it right after start-up (`search_index: building`):
/// everything is served meanwhile, search and suggest answers wait for the index.
///
/// `curl -s http://localhost:8080/readyz`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The catalogue is loaded.", body = Readiness),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"))
)]
#[get("/readyz")]
pub async fn readyz(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    let snapshot = state.snapshots.current();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Readiness {
            status: "ready",
            technologies: snapshot.catalogue.len(),
            generation: snapshot.generation,
            search_index: if snapshot.index_if_built().is_some() {
                "ready"
            } else {
                "building"
            },
        }))
}

/// Prometheus metrics
///
/// Request counts and latency histograms per route pattern (unmatched paths folded
/// into `unmatched`), the catalogue's size and generation, and reload outcomes, in
/// the OpenMetrics text format (which Prometheus reads).
///
/// `curl -s http://localhost:8080/metrics`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The metrics.", content_type = "application/openmetrics-text; version=1.0.0", body = String,
        example = json!("# TYPE stackatlas_catalogue_technologies gauge\nstackatlas_catalogue_technologies 552\n# EOF\n")),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"))
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    let snapshot = state.snapshots.current();
    Ok(HttpResponse::Ok()
        .content_type(super::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(
            state
                .metrics
                .render(snapshot.catalogue.len(), snapshot.generation),
        ))
}
