//! `/v1/technologies`: the list and the detail of catalogue entries.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::envelope::{Page, PageLinks, SCHEMA_VERSION};
use super::problem::{ApiError, ProblemDetails};
use super::query::QueryPairs;
use crate::catalogue::{Date, Kind, Lookup, ReleaseCycle, Technology, relation_lists};

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
    /// Only the entry this package URL names, with or without a version, qualifiers
    /// or subpath (for mapping a software bill of materials to lifecycles).
    #[param(example = "pkg:pypi/django@5.0.1", max_length = 500)]
    purl: Option<String>,
    /// Only the entry this CPE name names, with or without version and later
    /// components.
    #[param(
        example = "cpe:2.3:a:nodejs:node.js:22.1.0:*:*:*:*:*:*:*",
        max_length = 500
    )]
    cpe: Option<String>,
}

/// The list operation's own parameters; the filters are [`Filters::PARAMS`].
const LIST_PARAMS: &[&str] = &["page", "per_page", "purl", "cpe"];

/// Longest accepted `purl` or `cpe` value.
const MAX_IDENTIFIER_CHARS: usize = 500;

/// Reads an identifier parameter (`purl`, `cpe`) and checks its scheme prefix.
fn identifier<'q>(
    query: &'q QueryPairs<'_>,
    name: &str,
    prefixes: &[&str],
) -> Result<Option<&'q str>, ApiError> {
    let Some(value) = query.single(name)? else {
        return Ok(None);
    };
    let valid = value.chars().count() <= MAX_IDENTIFIER_CHARS
        && prefixes
            .iter()
            .any(|p| value.len() > p.len() && value.starts_with(p));
    if !valid {
        return Err(ApiError::invalid_parameter(
            query.request(),
            name,
            format!(
                "`{name}` must start with {} and be at most {MAX_IDENTIFIER_CHARS} characters, got `{value}`",
                prefixes.join(" or ")
            ),
        ));
    }
    Ok(Some(value))
}

/// Kind and tag filters, parsed.
pub struct Filters {
    /// Any of these kinds (empty: any kind).
    pub kinds: Vec<Kind>,
    /// Any of these tags (empty: any tags).
    pub tags: Vec<String>,
}

impl Filters {
    /// The query parameters the filters read, shared by every filtered operation.
    pub const PARAMS: &'static [&'static str] = &["kind", "tag"];

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
/// `purl` and `cpe` find the entry a package URL or CPE name identifies (zero or one
/// item), which maps a software bill of materials to technologies and lifecycles.
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
    let query = QueryPairs::parse(&req, &[LIST_PARAMS, Filters::PARAMS])?;
    let pagination = query.pagination()?;
    let filters = Filters::parse(&query)?;
    let purl = identifier(&query, "purl", &["pkg:"])?;
    let cpe = identifier(&query, "cpe", &["cpe:2.3:", "cpe:/"])?;
    let catalogue = &state.catalogue;
    let purl_match = purl.map(|p| catalogue.find_by_purl(p));
    let cpe_match = cpe.map(|c| catalogue.find_by_cpe(c));
    let matching: Vec<&Technology> = catalogue
        .technologies()
        .iter()
        .enumerate()
        .filter(|(position, t)| {
            purl_match.is_none_or(|found| found == Some(*position))
                && cpe_match.is_none_or(|found| found == Some(*position))
                && filters.admit(t)
        })
        .map(|(_, t)| t)
        .collect();
    let total = matching.len();
    let items = matching[pagination.range(total)].to_vec();
    let mut params = filters.params();
    params.extend(purl.map(|p| ("purl", p.to_owned())));
    params.extend(cpe.map(|c| ("cpe", c.to_owned())));
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
        (status = 200, description = "The technology, with its release lifecycle where endoflife.date tracks it.", body = TechnologyDetail),
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
            let detail = TechnologyDetail {
                technology: technology.clone(),
                lifecycle: lifecycle_view(&state, &technology.id, Date::today()),
            };
            json_response(&req, &detail)
        }
        Some(Lookup::Alias(technology)) => {
            Ok(redirect(&format!("/v1/technologies/{}", technology.id)))
        }
        None => Err(ApiError::unknown_technology(&req, &id)),
    }
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Serializes `value` as a 200 JSON answer.
pub fn json_response<T: serde::Serialize>(
    req: &HttpRequest,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::internal(req, &e))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
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
    pub lifecycle: Option<Lifecycle>,
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

fn lifecycle_view(state: &AppState, id: &str, today: Date) -> Option<Lifecycle> {
    let position = state.catalogue.position(id)?;
    let stored = state.catalogue.lifecycle(position)?;
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
    params(("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "nodejs", max_length = 100)),
    responses(
        (status = 200, description = "The release cycles, newest first.", body = ReleasesResponse),
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
    QueryPairs::parse(&req, &[])?;
    match state.catalogue.lookup(&id) {
        Some(Lookup::Canonical(technology)) => {
            match lifecycle_view(&state, &technology.id, Date::today()) {
                Some(lifecycle) => json_response(
                    &req,
                    &ReleasesResponse {
                        schema_version: SCHEMA_VERSION,
                        id: technology.id.clone(),
                        lifecycle,
                    },
                ),
                None => Err(ApiError::no_lifecycle(&req, &technology.id)),
            }
        }
        Some(Lookup::Alias(technology)) => Ok(redirect(&format!(
            "/v1/technologies/{}/releases",
            technology.id
        ))),
        None => Err(ApiError::unknown_technology(&req, &id)),
    }
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
pub type RelationGroups = std::collections::BTreeMap<String, Vec<RelatedTechnology>>;

/// The technologies related to one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedResponse {
    /// Version of the answer schema.
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
    params(("id" = String, Path, description = "The technology's id (or an alias, which redirects).", example = "python", max_length = 100)),
    responses(
        (status = 200, description = "The related technologies, grouped by relation.", body = RelatedResponse),
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
    QueryPairs::parse(&req, &[])?;
    match state.catalogue.lookup(&id) {
        Some(Lookup::Canonical(technology)) => json_response(&req, &related(&state, technology)),
        Some(Lookup::Alias(technology)) => Ok(redirect(&format!(
            "/v1/technologies/{}/related",
            technology.id
        ))),
        None => Err(ApiError::unknown_technology(&req, &id)),
    }
}

fn brief(technology: &Technology) -> RelatedTechnology {
    RelatedTechnology {
        id: technology.id.clone(),
        name: technology.name.clone(),
        kind: technology.kind,
        summary: technology.summary.clone(),
    }
}

/// The relation groups of `technology`, both ways, each sorted by name.
pub fn related(state: &AppState, technology: &Technology) -> RelatedResponse {
    let catalogue = &state.catalogue;
    let mut outgoing = RelationGroups::new();
    for (relation, targets) in relation_lists(technology) {
        let mut group: Vec<&Technology> =
            targets.iter().filter_map(|id| catalogue.get(id)).collect();
        group.sort_by_key(|t| catalogue.position(&t.id));
        if !group.is_empty() {
            outgoing.insert(relation.to_owned(), group.into_iter().map(brief).collect());
        }
    }
    let mut incoming = RelationGroups::new();
    for other in catalogue.technologies() {
        for (relation, targets) in relation_lists(other) {
            if targets.contains(&technology.id) {
                incoming
                    .entry(relation.to_owned())
                    .or_default()
                    .push(brief(other));
            }
        }
    }
    RelatedResponse {
        schema_version: SCHEMA_VERSION,
        id: technology.id.clone(),
        outgoing,
        incoming,
    }
}
