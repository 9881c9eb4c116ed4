//! The service's own endpoints: the index at `/` and the liveness probe.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

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
    pub name: &'static str,
    /// The service's version.
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
        "List technologies, paginated, filtered by kind and tag",
    ),
    (
        "/v1/technologies/{id}",
        "One technology by id (aliases redirect)",
    ),
    (
        "/v1/search?q={query}",
        "Ranked search over names, aliases, tags and text, with facets and highlights",
    ),
    (
        "/v1/suggest?q={prefix}",
        "Search-as-you-type completions of technology names",
    ),
    ("/healthz", "Liveness probe"),
    ("/api-docs/openapi.json", "The OpenAPI 3.1 document"),
    ("/swagger-ui/", "Swagger UI to explore the API"),
];

/// API index
///
/// Names the service and links to every endpoint and to the documentation.
///
/// `curl -s http://localhost:8080/`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The index.", body = ApiIndex))
)]
#[get("/")]
pub async fn index() -> HttpResponse {
    HttpResponse::Ok().json(ApiIndex {
        name: "Stack Atlas",
        version: env!("CARGO_PKG_VERSION"),
        description: "A JSON API over a curated catalogue of backend technologies.",
        links: ENDPOINTS
            .iter()
            .map(|(href, description)| EndpointLink { href, description })
            .collect(),
    })
}

/// Health of the process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness probe
///
/// Answers `200` with `{"status":"ok"}` while the process serves requests.
///
/// `curl -s http://localhost:8080/healthz`
#[utoipa::path(
    tag = TAG,
    responses((status = 200, description = "The process is alive.", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}
