//! The shape every paginated answer shares — items, total, page, per_page, links —
//! and the RFC 8288 `Link` header that mirrors the links.

use serde::Serialize;
use utoipa::ToSchema;

use super::query::Pagination;

/// Version of the answer schema; bumped only for incompatible changes, which `/v1`
/// never makes.
pub const SCHEMA_VERSION: &str = "1";

/// Links to the pages of a paginated answer, as relative URLs that keep the
/// request's filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "self": "/v1/technologies?kind=runtime&page=2&per_page=5",
    "first": "/v1/technologies?kind=runtime&page=1&per_page=5",
    "prev": "/v1/technologies?kind=runtime&page=1&per_page=5",
    "next": "/v1/technologies?kind=runtime&page=3&per_page=5",
    "last": "/v1/technologies?kind=runtime&page=3&per_page=5"
}))]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self")]
    pub this: String,
    /// The first page.
    pub first: String,
    /// The previous page; absent on the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub prev: Option<String>,
    /// The next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub next: Option<String>,
    /// The last page.
    pub last: String,
}

impl PageLinks {
    /// Links for `pagination` over `total` items at `path`, keeping `params`.
    pub fn new(
        path: &str,
        params: &[(&str, &str)],
        pagination: Pagination,
        total: usize,
    ) -> PageLinks {
        let last = pagination.last_page(total);
        let url = |page: u32| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in params {
                query.append_pair(name, value);
            }
            query.append_pair("page", &page.to_string());
            query.append_pair("per_page", &pagination.per_page.to_string());
            format!("{path}?{}", query.finish())
        };
        PageLinks {
            this: url(pagination.page),
            first: url(1),
            prev: (pagination.page > 1).then(|| url((pagination.page - 1).min(last))),
            next: (pagination.page < last).then(|| url(pagination.page + 1)),
            last: url(last),
        }
    }

    /// The `Link` header value (RFC 8288) for these links.
    pub fn header_value(&self) -> String {
        let mut parts = vec![format!("<{}>; rel=\"first\"", self.first)];
        if let Some(prev) = &self.prev {
            parts.push(format!("<{prev}>; rel=\"prev\""));
        }
        if let Some(next) = &self.next {
            parts.push(format!("<{next}>; rel=\"next\""));
        }
        parts.push(format!("<{}>; rel=\"last\"", self.last));
        parts.join(", ")
    }
}

/// A page of items with its position in the whole result. (Its documented forms
/// are the concrete types [`page_schema!`] declares, so each item schema is a
/// `$ref`.)
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// Version of the answer schema (see the README).
    pub schema_version: &'static str,
    /// The items of this page.
    pub items: Vec<T>,
    /// Number of items across all pages.
    pub total: usize,
    /// This page's number, from 1.
    pub page: u32,
    /// Maximum number of items per page.
    pub per_page: u32,
    /// Links to this, the first, previous, next and last pages.
    pub links: PageLinks,
}

/// Declares the documented form of a [`Page`] of `$item`: the same fields, named.
#[macro_export]
macro_rules! page_schema {
    ($name:ident, $item:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, " with its position in the whole result.")]
        #[derive(Debug, utoipa::ToSchema)]
        #[expect(dead_code, reason = "documents the answer; `Page` serializes it")]
        pub struct $name {
            /// Version of the answer schema (see the README).
            #[schema(example = "1")]
            schema_version: String,
            #[doc = concat!("The ", $what, " of this page.")]
            items: Vec<$item>,
            /// Number of items across all pages.
            #[schema(minimum = 0)]
            total: u64,
            /// This page's number, from 1.
            #[schema(minimum = 1, example = 1)]
            page: u32,
            /// Maximum number of items per page.
            #[schema(minimum = 1, maximum = 100, example = 20)]
            per_page: u32,
            /// Links to this, the first, previous, next and last pages.
            links: $crate::api::envelope::PageLinks,
        }
    };
}
