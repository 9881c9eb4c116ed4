//! `/v1/technologies`: the list and the detail of catalogue entries.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::envelope::{Page, PageLinks, SCHEMA_VERSION};
use super::problem::{ApiError, ProblemDetails};
use super::query::QueryPairs;
use crate::catalogue::{Kind, Lookup, Technology};

/// Tag of the technology operations in the OpenAPI document.
pub const TAG: &str = "technologies";

/// Query parameters of `GET /v1/technologies`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; `QueryPairs` parses them
pub struct ListParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100000, example = 1)]
    page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, example = 20)]
    per_page: Option<u32>,
    /// Only entries of these kinds (repeat the parameter or separate with commas; any
    /// of them matches).
    #[param(example = json!(["web_framework"]))]
    kind: Option<Vec<Kind>>,
    /// Only entries with these tags (repeat or separate with commas; any of them matches).
    #[param(example = json!(["python"]), max_items = 20)]
    tag: Option<Vec<String>>,
}

const LIST_PARAMS: &[&str] = &["page", "per_page", "kind", "tag"];

/// Kind and tag filters, parsed.
pub struct Filters {
    /// Any of these kinds (empty: any kind).
    pub kinds: Vec<Kind>,
    /// Any of these tags (empty: any tags).
    pub tags: Vec<String>,
}

impl Filters {
    /// Parses `kind` and `tag` from the query.
    pub fn parse(query: &QueryPairs<'_>) -> Result<Filters, ApiError> {
        let kinds = query.list("kind", Kind::parse, || {
            Kind::ALL.iter().map(|k| k.as_str().to_owned()).collect()
        })?;
        let tags: Vec<String> = query
            .all("tag")
            .into_iter()
            .map(str::to_lowercase)
            .collect();
        if tags.len() > 20 {
            return Err(ApiError::invalid_parameter(
                query.request(),
                "tag",
                format!("`tag` may name at most 20 tags, got {}", tags.len()),
            ));
        }
        if let Some(blank) = tags.iter().find(|t| t.trim().is_empty()) {
            return Err(ApiError::invalid_parameter(
                query.request(),
                "tag",
                format!("`tag` values must not be empty, got `{blank}`"),
            ));
        }
        Ok(Filters { kinds, tags })
    }

    /// True when the entry passes every filter.
    pub fn admit(&self, technology: &Technology) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&technology.kind))
            && (self.tags.is_empty() || self.tags.iter().any(|t| technology.tags.contains(t)))
    }

    /// The filters as query pairs, for pagination links.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params: Vec<(&'static str, String)> = self
            .kinds
            .iter()
            .map(|k| ("kind", k.as_str().to_owned()))
            .collect();
        params.extend(self.tags.iter().map(|t| ("tag", t.clone())));
        params
    }
}

/// Builds a paginated JSON answer with its `Link` header.
pub fn page_response<T: serde::Serialize>(
    req: &HttpRequest,
    items: Vec<T>,
    total: usize,
    pagination: super::query::Pagination,
    params: &[(&str, &str)],
) -> Result<HttpResponse, ApiError> {
    let links = PageLinks::new(req.path(), params, pagination, total);
    let link_header = links.header_value();
    let page = Page {
        schema_version: SCHEMA_VERSION,
        items,
        total,
        page: pagination.page,
        per_page: pagination.per_page,
        links,
    };
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::internal(req, &e))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::LINK, link_header))
        .insert_header(("X-Total-Count", total.to_string()))
        .body(body))
}

/// List technologies
///
/// Pages through the catalogue sorted by name, optionally keeping only some kinds or
/// tags. Repeated values of one filter mean "any of"; different filters must all hold.
/// The `Link` header carries the first, previous, next and last pages (RFC 8288), and
/// `X-Total-Count` the total.
///
/// `curl -s 'http://localhost:8080/v1/technologies?kind=web_framework&tag=python&per_page=5'`
#[utoipa::path(
    tag = TAG,
    params(ListParams),
    responses(
        (status = 200, description = "A page of technologies.", body = Page<Technology>,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, prev, next and last pages"),
                ("X-Total-Count" = u64, description = "Number of matching technologies across all pages"),
            )),
        (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies")]
pub async fn list_technologies(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryPairs::parse(&req, LIST_PARAMS)?;
    let pagination = query.pagination()?;
    let filters = Filters::parse(&query)?;
    let matching: Vec<&Technology> = state
        .catalogue
        .technologies()
        .iter()
        .filter(|t| filters.admit(t))
        .collect();
    let total = matching.len();
    let items = matching[pagination.range(total)].to_vec();
    let params = filters.params();
    let params: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
    page_response(&req, items, total, pagination, &params)
}

/// Get a technology
///
/// One entry of the catalogue by its id. Looking it up by an alias or a differently
/// cased id (`node`, `NodeJS`) answers `308 Permanent Redirect` to the canonical URL.
///
/// `curl -s http://localhost:8080/v1/technologies/nodejs`
#[utoipa::path(
    tag = TAG,
    params(("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "nodejs", max_length = 100)),
    responses(
        (status = 200, description = "The technology.", body = Technology),
        (status = 308, description = "The id is an alias; `Location` holds the canonical URL.",
            headers(("Location" = String, description = "Canonical URL of the technology"))),
        (status = 400, description = "The request has a query parameter; this operation takes none.", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No technology has this id or alias.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies/{id}")]
pub async fn get_technology(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryPairs::parse(&req, &[])?;
    match state.catalogue.lookup(&id) {
        Some(Lookup::Canonical(technology)) => {
            let body = serde_json::to_vec(technology).map_err(|e| ApiError::internal(&req, &e))?;
            Ok(HttpResponse::Ok()
                .content_type("application/json")
                .body(body))
        }
        Some(Lookup::Alias(technology)) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                header::LOCATION,
                format!("/v1/technologies/{}", technology.id),
            ))
            .finish()),
        None => Err(ApiError::unknown_technology(&req, &id)),
    }
}
