//! `GET /v1/technologies/{id}/related`: related entries, both ways.

use super::*;

/// Related technologies
///
/// The technology's typed relations, both ways: `outgoing` holds what the entry
/// names (written in, for language, runs on, built on, alternative to, used with),
/// `incoming` the entries that name it under the same relations. Each group is
/// sorted by name. An alias redirects (308) to the canonical URL.
///
/// `curl -s http://localhost:8080/v1/technologies/python/related`
#[utoipa::path(
    tag = TAG,
    params(("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "python", min_length = 1, max_length = 100)),
    responses(
        (status = 200, description = "The related technologies, grouped by relation.", body = RelatedResponse),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 308, description = "The id is an alias; `Location` holds the canonical URL.",
            headers(("Location" = String, description = "Canonical URL of the related technologies"))),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No technology has this id or alias.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies/{id}/related")]
pub async fn get_related(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    let snapshot = state.snapshots.current();
    let position = match resolve(&req, &snapshot.catalogue, &id, "/related")? {
        Resolved::Here(position) => position,
        Resolved::Elsewhere(redirect) => return Ok(redirect),
    };
    let technology = &snapshot.catalogue.technologies()[position];
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        Built::json(
            &req,
            &RelatedResponse {
                schema_version: SCHEMA_VERSION,
                id: technology.id.clone(),
                outgoing: outgoing(&snapshot.catalogue, technology),
                incoming: incoming(&snapshot.catalogue, technology),
            },
        )
    })
}
