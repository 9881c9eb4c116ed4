//! `/v1/technologies` and `/v1/compare`: the list, the detail, release cycles,
//! relations and side-by-side comparison of catalogue entries.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answer::{Built, Cacheable};
use super::envelope::{Page, PageLinks, SCHEMA_VERSION};

crate::page_schema!(TechnologyPage, Technology, "technologies");
use super::filters::{self, Expand, ExpandParam, FieldName, Fields, FilterValue, Sort, SortParam};
use super::params::{self, Page as PageNumber, PerPage};
use super::problem::{ApiError, ProblemDetails};
use super::query::Pagination;
use crate::catalogue::{Catalogue, Date, Kind, Lookup, ReleaseCycle, Technology, relation_lists};

/// Tag of the technology operations in the OpenAPI document.
pub const TAG: &str = "technologies";

filters::filtered_query! {
    /// Query parameters of `GET /v1/technologies`: its own, then the filters it
    /// shares with the search. Values of one filter are alternatives (repeat the
    /// parameter or separate values with commas); different filters must all hold.
    /// This struct both documents the parameters and parses them.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct ListParams {
        /// Page number, from 1.
        #[param(value_type = Option<u32>, minimum = 1, maximum = 100000, example = 1)]
        page: Option<PageNumber>,
        /// Items per page.
        #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
        per_page: Option<PerPage>,
        /// Sort order: `name`, `first_released`, `latest_release` (the newest release
        /// of any cycle) or `updated` (the day the entry's facts last changed), `-` for
        /// descending. Ties are ordered by name; entries without
        /// the value come last.
        #[param(inline, example = "-first_released")]
        sort: Option<SortParam>,
        /// Sparse fieldset: the top-level fields to return (comma-separated).
        #[param(example = json!(["id", "name", "kind"]), max_items = 20)]
        fields: Option<Vec<FieldName>>,
        /// Inline more: `related` (the related entries' summaries, by relation) and/or
        /// `lifecycle` (release cycles with today's status).
        #[param(example = json!(["related"]), max_items = 20)]
        expand: Option<Vec<ExpandParam>>,
        /// Only the entry this package URL names, with or without a version, qualifiers
        /// or subpath (for mapping a software bill of materials to lifecycles).
        #[param(
            value_type = Option<String>,
            example = "pkg:pypi/django@5.0.1",
            min_length = 5,
            max_length = 500,
            pattern = "^pkg:.+"
        )]
        purl: Option<Identifier<PURL>>,
        /// Only the entry this CPE name names, with or without version and later
        /// components.
        #[param(
            value_type = Option<String>,
            example = "cpe:2.3:a:nodejs:node.js:22.1.0:*:*:*:*:*:*:*",
            min_length = 6,
            max_length = 500,
            pattern = r"^cpe:(2\.3:|/).+"
        )]
        cpe: Option<Identifier<CPE>>,
    }
}

/// Longest accepted `purl` or `cpe` value.
const MAX_IDENTIFIER_CHARS: usize = 500;
/// The schemes a package URL starts with.
const PURL: u8 = 0;
/// The schemes a CPE name starts with.
const CPE: u8 = 1;

/// An identifier parameter (`purl`, `cpe`): its scheme prefix checked.
#[derive(Debug)]
pub struct Identifier<const SCHEME: u8>(String);

impl<'de, const SCHEME: u8> Deserialize<'de> for Identifier<SCHEME> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        let prefixes: &[&str] = if SCHEME == PURL {
            &["pkg:"]
        } else {
            &["cpe:2.3:", "cpe:/"]
        };
        let valid = value.chars().count() <= MAX_IDENTIFIER_CHARS
            && prefixes
                .iter()
                .any(|p| value.len() > p.len() && value.starts_with(p));
        if valid {
            Ok(Identifier(value))
        } else {
            Err(serde::de::Error::custom(format!(
                "must start with {} and be at most {MAX_IDENTIFIER_CHARS} characters, got `{value}`",
                prefixes.join(" or ")
            )))
        }
    }
}

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

/// List technologies
///
/// Pages through the catalogue, sorted by name unless `sort` says otherwise, keeping
/// only the entries every filter admits (values of one filter are alternatives;
/// different filters must all hold). `fields` trims each item to the named fields;
/// `expand=related` inlines related entries' summaries and `expand=lifecycle` the
/// release cycles, so a frontend needs one request, not N. `purl` and `cpe` find the
/// entry a package URL or CPE name identifies (zero or one item). The `Link` header
/// carries the first, previous, next and last pages (RFC 8288), `X-Total-Count` the
/// total.
///
/// `curl -s 'http://localhost:8080/v1/technologies?kind=web_framework&language=python&sort=-first_released&fields=id,name,first_released'`
#[utoipa::path(
    tag = TAG,
    params(ListParams),
    responses(
        (status = 200, description = "A page of technologies.", body = TechnologyPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, prev, next and last pages"),
                ("X-Total-Count" = u64, description = "Number of matching technologies across all pages"),
                ("ETag" = String, description = "Weak validator; send it back in If-None-Match to revalidate"),
            )),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "A query parameter is unknown or has an invalid value.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/technologies")]
pub async fn list_technologies(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: ListParams = params::parse(&req)?;
    let pagination = params::pagination(query.page, query.per_page);
    let filter = query.filter();
    let sort = Sort::from_param(query.sort);
    let fields = Fields::from_param(query.fields);
    let expand = Expand::from_param(query.expand);
    let purl = query.purl.map(|p| p.0);
    let cpe = query.cpe.map(|c| c.0);
    let snapshot = state.snapshots.current();
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
        let catalogue = &snapshot.catalogue;
        let today = Date::today();
        let purl_match = purl.as_deref().map(|p| catalogue.find_by_purl(p));
        let cpe_match = cpe.as_deref().map(|c| catalogue.find_by_cpe(c));
        let mut positions: Vec<usize> = (0..catalogue.len())
            .filter(|&position| {
                purl_match.is_none_or(|found| found == Some(position))
                    && cpe_match.is_none_or(|found| found == Some(position))
                    && filter.admits(catalogue, position, today)
            })
            .collect();
        sort.apply(catalogue, &mut positions);
        let total = positions.len();
        let items = positions[pagination.range(total)]
            .iter()
            .map(|&position| technology_json(catalogue, position, today, expand, &fields))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::internal(&req, &e))?;
        page_built(&req, items, total, pagination)
    })
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
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
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

/// A technology with its release lifecycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct TechnologyDetail {
    /// The catalogue entry.
    #[serde(flatten)]
    pub technology: Technology,
    /// Release cycles from endoflife.date with their status today; absent when
    /// endoflife.date does not track the technology.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lifecycle: Option<Lifecycle>,
    /// With `expand=related`: the related entries' summaries, by relation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub related: Option<RelationGroups>,
}

/// Release cycles of a technology, with their status on the day of the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lifecycle {
    /// Where the facts come from.
    #[schema(example = "endoflife.date")]
    pub source: &'static str,
    /// The product's slug on endoflife.date.
    #[schema(example = "nodejs")]
    pub product: String,
    /// The day the release facts were taken from the source.
    #[schema(value_type = String, format = Date, example = "2026-08-22")]
    pub as_of: Date,
    /// The day the status fields (`is_supported`, `is_lts`, ...) were computed for.
    #[schema(value_type = String, format = Date, example = "2026-11-26")]
    pub status_on: Date,
    /// Release cycles, newest first.
    pub releases: Vec<ReleaseCycle>,
}

/// The lifecycle of the entry at `position` on `today`, if tracked.
pub fn lifecycle_view(catalogue: &Catalogue, position: usize, today: Date) -> Option<Lifecycle> {
    let stored = catalogue.lifecycle(position)?;
    Some(Lifecycle {
        source: "endoflife.date",
        product: stored.product.clone(),
        as_of: stored.as_of,
        status_on: today,
        releases: stored
            .releases
            .iter()
            .map(|cycle| cycle.on(today))
            .collect(),
    })
}

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
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
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

/// A related entry, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedTechnology {
    /// The entry's id.
    pub id: String,
    /// The entry's name.
    pub name: String,
    /// What sort of technology it is.
    pub kind: Kind,
    /// Its one-sentence summary.
    pub summary: String,
}

/// Related entries grouped by relation (`written_in`, `for_language`, `runs_on`,
/// `built_on`, `alternative_to`, `used_with`); a relation with no entries is absent.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(example = json!({"for_language": [{"id": "python", "name": "Python", "kind": "language",
    "summary": "A general-purpose, dynamically typed, interpreted programming language."}]}))]
pub struct RelationGroups(pub BTreeMap<String, Vec<RelatedTechnology>>);

/// The technologies related to one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedResponse {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The technology's id.
    pub id: String,
    /// Edges from this technology: what it is written in, for, runs on, is built on,
    /// its alternatives and what it is used with.
    pub outgoing: RelationGroups,
    /// Edges to this technology from others: e.g. under `written_in`, the entries
    /// written in it; under `runs_on`, the entries that run on it.
    pub incoming: RelationGroups,
}

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
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
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

fn brief(technology: &Technology) -> RelatedTechnology {
    RelatedTechnology {
        id: technology.id.clone(),
        name: technology.name.clone(),
        kind: technology.kind,
        summary: technology.summary.clone(),
    }
}

/// What `technology` names, by relation, each group sorted by name.
pub fn outgoing(catalogue: &Catalogue, technology: &Technology) -> RelationGroups {
    let mut groups = RelationGroups::default();
    for (relation, targets) in relation_lists(technology) {
        let mut positions: Vec<usize> = targets
            .iter()
            .filter_map(|id| catalogue.position(id))
            .collect();
        positions.sort_unstable();
        if !positions.is_empty() {
            let group = positions
                .into_iter()
                .map(|p| brief(&catalogue.technologies()[p]))
                .collect();
            groups.0.insert(relation.to_owned(), group);
        }
    }
    groups
}

/// The entries that name `technology`, by relation, each group sorted by name.
pub fn incoming(catalogue: &Catalogue, technology: &Technology) -> RelationGroups {
    let mut groups = RelationGroups::default();
    for other in catalogue.technologies() {
        for (relation, targets) in relation_lists(other) {
            if targets.contains(&technology.id) {
                groups
                    .0
                    .entry(relation.to_owned())
                    .or_default()
                    .push(brief(other));
            }
        }
    }
    groups
}

/// Fewest and most ids a comparison takes.
const COMPARE_IDS: std::ops::RangeInclusive<usize> = 2..=10;

/// Query parameters of `GET /v1/compare`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// The technologies to compare: 2 to 10 ids or aliases, comma-separated or
    /// repeated, each once (`uniqueItems` is set on the document).
    #[param(example = json!(["nodejs", "python", "java"]), min_items = 2, max_items = 10)]
    ids: Vec<FilterValue>,
    /// The fields to compare (rows); all fields by default.
    #[param(example = json!(["kind", "license", "first_released"]), max_items = 20)]
    fields: Option<Vec<FieldName>>,
}

/// One row of a comparison: a field and each technology's value for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRow {
    /// The field compared.
    #[schema(example = "license")]
    pub field: String,
    /// Each technology's value, by id (`null` where a technology has none).
    #[schema(value_type = Object, example = json!({"nodejs": "MIT", "python": "PSF-2.0"}))]
    pub values: BTreeMap<String, serde_json::Value>,
    /// True when every technology has the same value.
    pub same: bool,
}

/// Technologies side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    /// Version of the answer schema.
    #[schema(example = "1")]
    pub schema_version: &'static str,
    /// The technologies compared, canonical ids in request order (the columns).
    pub ids: Vec<String>,
    /// Their names, by id.
    pub names: BTreeMap<String, String>,
    /// One row per field, in the model's field order.
    pub rows: Vec<ComparisonRow>,
}

/// Compare technologies
///
/// Lines up 2 to 10 technologies field by field — one row per field with each
/// technology's value and whether they agree — so a frontend can render a
/// comparison table from one request. Release lifecycles and related entries are
/// rows too (`lifecycle`, `related`). Aliases are accepted; an unknown id, or an id
/// given twice, is a 400 problem naming it.
///
/// `curl -s 'http://localhost:8080/v1/compare?ids=nodejs,python,java&fields=kind,license,first_released'`
#[utoipa::path(
    tag = TAG,
    params(CompareParams),
    responses(
        (status = 200, description = "The comparison table.", body = Comparison),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "Fewer than 2 or more than 10 ids, an unknown or repeated id, or another invalid parameter.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/compare")]
pub async fn compare(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: CompareParams = params::parse(&req)?;
    let fields = Fields::from_param(query.fields);
    let requested: Vec<&str> = query.ids.iter().map(|id| id.0.as_str()).collect();
    if !COMPARE_IDS.contains(&requested.len()) {
        return Err(ApiError::invalid_parameter(
            &req,
            "ids",
            format!(
                "`ids` must name 2 to 10 technologies, got {}",
                requested.len()
            ),
        ));
    }
    let snapshot = state.snapshots.current();
    let catalogue = &snapshot.catalogue;
    let mut positions = Vec::with_capacity(requested.len());
    for id in &requested {
        let technology = match catalogue.lookup(id) {
            Some(Lookup::Canonical(t) | Lookup::Alias(t)) => t,
            None => {
                return Err(ApiError::invalid_parameter(
                    &req,
                    "ids",
                    format!("`{id}` is not the id or alias of any technology"),
                ));
            }
        };
        let Some(position) = catalogue.position(&technology.id) else {
            return Err(ApiError::internal(
                &req,
                &format!("`{}` was found but has no position", technology.id),
            ));
        };
        if positions.contains(&position) {
            return Err(ApiError::invalid_parameter(
                &req,
                "ids",
                format!(
                    "`{id}` names `{}`, which is already compared",
                    technology.id
                ),
            ));
        }
        positions.push(position);
    }
    Cacheable::new(&req, &snapshot, &state.cache, "").respond(|| {
        let today = Date::today();
        let expand = Expand {
            related: true,
            lifecycle: true,
        };
        let columns: Vec<(String, serde_json::Value)> = positions
            .iter()
            .map(|&p| {
                technology_json(catalogue, p, today, expand, &Fields::default())
                    .map(|v| (catalogue.technologies()[p].id.clone(), v))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::internal(&req, &e))?;
        let rows = super::filters::TECHNOLOGY_FIELDS
            .iter()
            .filter(|field| **field != "id" && fields.keeps(field))
            .map(|field| {
                let values: BTreeMap<String, serde_json::Value> = columns
                    .iter()
                    .map(|(id, value)| {
                        (
                            id.clone(),
                            value
                                .get(*field)
                                .cloned()
                                .unwrap_or(serde_json::Value::Null),
                        )
                    })
                    .collect();
                let mut distinct = values.values();
                let first = distinct.next();
                let same = distinct.all(|v| Some(v) == first);
                ComparisonRow {
                    field: (*field).to_owned(),
                    values,
                    same,
                }
            })
            .collect();
        Built::json(
            &req,
            &Comparison {
                schema_version: SCHEMA_VERSION,
                ids: columns.iter().map(|(id, _)| id.clone()).collect(),
                names: positions
                    .iter()
                    .map(|&p| {
                        (
                            catalogue.technologies()[p].id.clone(),
                            catalogue.technologies()[p].name.clone(),
                        )
                    })
                    .collect(),
                rows,
            },
        )
    })
}

/// The entry's JSON with `expand` applied, then `fields`.
pub fn technology_json(
    catalogue: &Catalogue,
    position: usize,
    today: Date,
    expand: Expand,
    fields: &Fields,
) -> Result<serde_json::Value, serde_json::Error> {
    let technology: &Technology = &catalogue.technologies()[position];
    let mut value = serde_json::to_value(technology)?;
    if let serde_json::Value::Object(map) = &mut value {
        if expand.lifecycle
            && fields.keeps("lifecycle")
            && let Some(lifecycle) = lifecycle_view(catalogue, position, today)
        {
            map.insert("lifecycle".to_owned(), serde_json::to_value(lifecycle)?);
        }
        if expand.related && fields.keeps("related") {
            map.insert(
                "related".to_owned(),
                serde_json::to_value(outgoing(catalogue, technology))?,
            );
        }
    }
    Ok(fields.select(value))
}
