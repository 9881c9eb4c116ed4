//! `GET /v1/technologies/{id}/releases`: release cycles with today's status.

use super::*;

/// Release cycles of a technology.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleasesResponse {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The technology's id.
    pub id: String,
    /// The release cycles and their status.
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
}

/// Release cycles of a technology
///
/// The release cycles endoflife.date tracks for the technology — release date, LTS
/// start, end of active support, end of life, latest version — with whether each is
/// LTS, actively supported, supported or end-of-life computed for today. An alias
/// redirects (308) to the canonical URL.
///
/// `curl -s http://localhost:8080/v1/technologies/nodejs/releases`
#[utoipa::path(
    tag = TAG,
    params(("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "nodejs", min_length = 1, max_length = 100)),
    responses(
        (status = 200, description = "The release cycles, newest first.", body = ReleasesResponse),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 308, description = "The id is an alias; `Location` holds the canonical URL.",
            headers(("Location" = String, description = "Canonical URL of the releases"))),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No technology has this id, or endoflife.date does not track its releases.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies/{id}/releases")]
pub async fn get_releases(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::params::parse::<super::params::NoParams>(&req)?;
    let snapshot = state.snapshots.current();
    let position = match resolve(&req, &snapshot.catalogue, &id, "/releases")? {
        Resolved::Here(position) => position,
        Resolved::Elsewhere(redirect) => return Ok(redirect),
    };
    let technology = &snapshot.catalogue.technologies()[position];
    if snapshot.catalogue.lifecycle(position).is_none() {
        return Err(ApiError::no_lifecycle(&req, &technology.id));
    }
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let lifecycle = lifecycle_view(&snapshot.catalogue, position, Date::today())
            .ok_or_else(|| ApiError::no_lifecycle(&req, &technology.id))?;
        Built::json(
            &req,
            &ReleasesResponse {
                schema_version: SCHEMA_VERSION,
                id: technology.id.clone(),
                lifecycle,
            },
        )
    })
}
