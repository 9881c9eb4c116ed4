//! `GET /v1/technologies/{id}`: one entry with its lifecycle.

use super::*;

/// Query parameters of `GET /v1/technologies/{id}` (documents and parses them).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailParams {
    /// Sparse fieldset: the top-level fields to return (comma-separated).
    #[param(example = json!(["id", "name", "lifecycle"]), max_items = 20)]
    fields: Option<Vec<FieldName>>,
    /// `related` inlines the related entries' summaries (the lifecycle is always
    /// included).
    #[param(example = json!(["related"]), max_items = 20)]
    expand: Option<Vec<ExpandParam>>,
}

/// Get a technology
///
/// One entry of the catalogue by its id, with its release lifecycle where
/// endoflife.date tracks it (status computed for today). `fields` trims the answer;
/// `expand=related` inlines the related entries' summaries. Looking it up by an alias
/// or a differently cased id (`node`, `NodeJS`) answers `308 Permanent Redirect` to
/// the canonical URL.
///
/// `curl -s http://localhost:8080/v1/technologies/nodejs`
#[utoipa::path(
    tag = TAG,
    params(
        ("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "nodejs", min_length = 1, max_length = 100),
        DetailParams,
    ),
    responses(
        (status = 200, description = "The technology, with its release lifecycle where endoflife.date tracks it.", body = TechnologyDetail),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 308, description = "The id is an alias; `Location` holds the canonical URL.",
            headers(("Location" = String, description = "Canonical URL of the technology"))),
        (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No technology has this id or alias.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies/{id}")]
pub async fn get_technology(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: DetailParams = params::parse(&req)?;
    let fields = Fields::from_param(query.fields);
    let mut expand = Expand::from_param(query.expand);
    expand.lifecycle = true;
    let snapshot = state.snapshots.current();
    let position = match resolve(&req, &snapshot.catalogue, &id, "")? {
        Resolved::Here(position) => position,
        Resolved::Elsewhere(redirect) => return Ok(redirect),
    };
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let value = technology_json(
            &snapshot.catalogue,
            position,
            Date::today(),
            expand,
            &fields,
        )
        .map_err(|e| ApiError::internal(&req, &e))?;
        Built::json(&req, &value)
    })
}
