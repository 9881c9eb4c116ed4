//! `/v1/kinds`, `/v1/tags`, `/v1/languages`, `/v1/licenses`, `/v1/runtimes`: every
//! value of a facet with the number of entries that have it, in the shared
//! paginated envelope.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answer::Cacheable;

crate::page_schema!(FacetPage, FacetValue, "facet values");
use super::params::{self, Page, PerPage};
use super::problem::{ApiError, ProblemDetails};
use super::technologies::page_built;
use crate::catalogue::{Catalogue, Facet};

/// Tag of the taxonomy operations in the OpenAPI document.
pub const TAG: &str = "taxonomy";

/// One value of a facet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"value": "python", "name": "Python", "count": 24, "href": "/v1/technologies?language=python"}))]
pub struct FacetValue {
    /// The value, as the list filter takes it.
    pub value: String,
    /// A display name, where the value is a catalogue id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// Number of entries with this value.
    pub count: usize,
    /// The list of those entries.
    pub href: String,
}

/// Query parameters of the taxonomy operations (documents and parses them).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaxonomyParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100000, example = 1)]
    page: Option<Page>,
    /// Values per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    per_page: Option<PerPage>,
}

/// The facet's values with counts, most common first, then by value: each the
/// number of entries the facet's filter keeps for it.
fn counts(catalogue: &Catalogue, facet: Facet) -> Vec<FacetValue> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for position in 0..catalogue.len() {
        for value in facet.values(catalogue, position) {
            *counts.entry(value).or_default() += 1;
        }
    }
    let mut values: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue {
            name: match facet {
                Facet::Language | Facet::RunsOn => catalogue.get(value).map(|t| t.name.clone()),
                _ => None,
            },
            href: format!(
                "/v1/technologies?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair(facet.parameter(), value)
                    .finish()
            ),
            value: value.to_owned(),
            count,
        })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    values
}

async fn facet_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    facet: Facet,
) -> Result<HttpResponse, ApiError> {
    let query: TaxonomyParams = params::parse(&req)?;
    let pagination = params::pagination(query.page, query.per_page);
    let snapshot = state.snapshots.current();
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let mut values = counts(&snapshot.catalogue, facet);
        let total = values.len();
        let range = pagination.range(total);
        let items: Vec<FacetValue> = values.drain(range).collect();
        page_built(&req, items, total, pagination)
    })
}

/// Kinds with counts
///
/// Every kind of technology with the number of entries of that kind, most common
/// first, each with the link to its entries.
///
/// `curl -s http://localhost:8080/v1/kinds`
#[utoipa::path(tag = TAG, params(TaxonomyParams), responses(
    (status = 200, description = "The kinds with counts.", body = FacetPage),
    (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
    (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/kinds")]
pub async fn kinds(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    facet_page(req, state, Facet::Kind).await
}

/// Tags with counts
///
/// Every tag with the number of entries carrying it, most common first.
///
/// `curl -s 'http://localhost:8080/v1/tags?per_page=50'`
#[utoipa::path(tag = TAG, params(TaxonomyParams), responses(
    (status = 200, description = "The tags with counts.", body = FacetPage),
    (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
    (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/tags")]
pub async fn tags(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    facet_page(req, state, Facet::Tag).await
}

/// Languages with counts
///
/// Every language with the number of entries for it (frameworks, libraries and
/// runtimes naming it in `for_language`, plus the language entry itself).
///
/// `curl -s http://localhost:8080/v1/languages`
#[utoipa::path(tag = TAG, params(TaxonomyParams), responses(
    (status = 200, description = "The languages with counts.", body = FacetPage),
    (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
    (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/languages")]
pub async fn languages(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    facet_page(req, state, Facet::Language).await
}

/// Licences with counts
///
/// Every SPDX licence id named by the entries' licence expressions, with the number
/// of entries naming it.
///
/// `curl -s http://localhost:8080/v1/licenses`
#[utoipa::path(tag = TAG, params(TaxonomyParams), responses(
    (status = 200, description = "The licences with counts.", body = FacetPage),
    (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
    (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/licenses")]
pub async fn licenses(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    facet_page(req, state, Facet::License).await
}

/// Runtimes and platforms with counts
///
/// Every runtime or platform entries run on, with the number of entries running on
/// it.
///
/// `curl -s http://localhost:8080/v1/runtimes`
#[utoipa::path(tag = TAG, params(TaxonomyParams), responses(
    (status = 200, description = "The runtimes and platforms with counts.", body = FacetPage),
    (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
    (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/runtimes")]
pub async fn runtimes(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    facet_page(req, state, Facet::RunsOn).await
}
