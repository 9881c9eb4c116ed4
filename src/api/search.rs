//! `/v1/search`: ranked full-text search over the catalogue.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answer::Cacheable;

crate::page_schema!(SearchPage, SearchHit<'static>, "search hits");
use super::filters::Filters;
use super::problem::{ApiError, ProblemDetails};
use super::query::QueryPairs;
use super::technologies::{FilterParams, page_built};
use crate::catalogue::{Date, Kind};

/// Tag of the search operations in the OpenAPI document.
pub const TAG: &str = "search";

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Query parameters of `GET /v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; `QueryPairs` parses them
pub struct SearchParams {
    /// The words to look for, matched case-insensitively against names, aliases,
    /// tags, summaries and descriptions.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"[^ \t\r\n]",
        example = "python web framework"
    )]
    q: String,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100000, example = 1)]
    page: Option<u32>,
    /// Hits per page.
    #[param(minimum = 1, maximum = 100, example = 20)]
    per_page: Option<u32>,
}

/// The search operation's own parameters; the filters are [`Filters::PARAMS`].
const SEARCH_PARAMS: &[&str] = &["q", "page", "per_page"];

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "python", "name": "Python", "kind": "language",
    "summary": "A general-purpose programming language.", "score": 1010400, "matched_fields": ["name"]}))]
pub struct SearchHit<'a> {
    /// The technology's id.
    pub id: &'a str,
    /// The technology's name.
    pub name: &'a str,
    /// What sort of technology it is.
    pub kind: Kind,
    /// The technology's one-sentence summary.
    pub summary: &'a str,
    /// Relevance score: higher is better; comparable only within one answer.
    pub score: u32,
    /// The fields the query matched, strongest first.
    pub matched_fields: Vec<&'static str>,
}

/// Search technologies
///
/// Ranks the technologies matching `q`: entries matching more of the query's words
/// come first, then by where they matched (name, aliases, tags, summary,
/// description). An exact name or alias match always ranks first.
///
/// `curl -s 'http://localhost:8080/v1/search?q=python'`
#[utoipa::path(
    tag = TAG,
    params(SearchParams, FilterParams),
    responses(
        (status = 200, description = "A page of hits, best first; a query matching nothing answers zero hits.", body = SearchPage),
        (status = 400, description = "`q` is missing, blank or too long, or another parameter is invalid.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryPairs::parse(&req, &[SEARCH_PARAMS, Filters::PARAMS])?;
    let q = query.single("q")?.unwrap_or_default();
    if q.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
        return Err(ApiError::invalid_parameter(
            &req,
            "q",
            "`q` is required and must not be blank".to_owned(),
        ));
    }
    let length = q.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(ApiError::invalid_parameter(
            &req,
            "q",
            format!("`q` must be at most {MAX_QUERY_CHARS} characters, got {length}"),
        ));
    }
    let pagination = query.pagination()?;
    let filters = Filters::parse(&query)?;
    let snapshot = state.snapshots.current();
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
        let catalogue = &snapshot.catalogue;
        let today = Date::today();
        let technologies = catalogue.technologies();
        let hits: Vec<_> = snapshot
            .index
            .search(q)
            .into_iter()
            .filter(|hit| filters.admit(catalogue, hit.position, today))
            .collect();
        let total = hits.len();
        let items: Vec<SearchHit<'_>> = hits[pagination.range(total)]
            .iter()
            .map(|hit| {
                let t = &technologies[hit.position];
                SearchHit {
                    id: &t.id,
                    name: &t.name,
                    kind: t.kind,
                    summary: &t.summary,
                    score: hit.score,
                    matched_fields: hit.matched_fields.iter().map(|f| f.as_str()).collect(),
                }
            })
            .collect();
        page_built(&req, items, total, pagination)
    })
}
