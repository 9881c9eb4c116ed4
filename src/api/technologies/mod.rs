//! `/v1/technologies` and `/v1/compare`: the list, the detail, release cycles,
//! relations and side-by-side comparison of catalogue entries — one handler per
//! file, the answers' shapes in `views`.

mod comparison;
mod detail;
mod list;
mod related;
mod releases;
mod views;

pub use comparison::*;
pub use detail::*;
pub use list::*;
pub use related::*;
pub use releases::*;
pub use views::*;

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answer::{Built, Cacheable};
use super::envelope::{Page, PageLinks, SCHEMA_VERSION};

use super::filters::{self, Expand, ExpandParam, FieldName, Fields, FilterValue, Sort, SortParam};
use super::params::{self, Page as PageNumber, PerPage};
use super::problem::{ApiError, ProblemDetails};
use super::query::Pagination;
use crate::catalogue::{Catalogue, Date, Kind, Lookup, ReleaseCycle, Technology, relation_lists};

crate::page_schema!(TechnologyPage, Technology, "technologies");

/// Tag of the technology operations in the OpenAPI document.
pub const TAG: &str = "technologies";

/// Longest `Link` header sent, in bytes.
const MAX_LINK_HEADER: usize = 4096;

/// The page links of `req` (keeping its parameters but `page` and `per_page`), and
/// the `Link` header when it is at most [`MAX_LINK_HEADER`] bytes: long filters make
/// long links, and past that size many clients and proxies refuse a header line, so
/// the links then travel in the body only.
pub fn page_links(
    req: &HttpRequest,
    pagination: Pagination,
    total: usize,
) -> (PageLinks, Option<String>) {
    let params: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(name, _)| name != "page" && name != "per_page")
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let links = PageLinks::new(req.path(), &params, pagination, total);
    let header = links.header_value();
    let header = (header.len() <= MAX_LINK_HEADER).then_some(header);
    (links, header)
}

/// A paginated JSON answer with its `Link` and `X-Total-Count` headers.
pub fn page_built<T: Serialize>(
    req: &HttpRequest,
    items: Vec<T>,
    total: usize,
    pagination: Pagination,
) -> Result<Built, ApiError> {
    let (links, link_header) = page_links(req, pagination, total);
    let page = Page {
        schema_version: SCHEMA_VERSION,
        items,
        total,
        page: pagination.page,
        per_page: pagination.per_page,
        links,
    };
    let built = Built::json(req, &page)?.with_header("x-total-count", total.to_string());
    Ok(match link_header {
        Some(link) => built.with_header("link", link),
        None => built,
    })
}

/// Where an id leads: to an entry served here, or (an alias or differently cased
/// id) to a redirect.
enum Resolved {
    /// The position of the entry the id names canonically.
    Here(usize),
    /// `308` to the canonical URL.
    Elsewhere(HttpResponse),
}

/// Resolves the `{id}` of `/v1/technologies/{id}{suffix}`: the entry's position, a
/// `308` to `/v1/technologies/{canonical}{suffix}` for an alias, or the 404 problem.
fn resolve(
    req: &HttpRequest,
    catalogue: &Catalogue,
    id: &str,
    suffix: &str,
) -> Result<Resolved, ApiError> {
    match catalogue.lookup(id) {
        Some(Lookup::Canonical(technology)) => catalogue
            .position(&technology.id)
            .map(Resolved::Here)
            .ok_or_else(|| ApiError::unknown_technology(req, id)),
        Some(Lookup::Alias(technology)) => Ok(Resolved::Elsewhere(redirect(
            req,
            &format!("/v1/technologies/{}{suffix}", technology.id),
        ))),
        None => Err(ApiError::unknown_technology(req, id)),
    }
}

/// `308` to `location`, keeping the query string.
fn redirect(req: &HttpRequest, location: &str) -> HttpResponse {
    let location = match req.query_string() {
        "" => location.to_owned(),
        query => format!("{location}?{query}"),
    };
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .finish()
}
