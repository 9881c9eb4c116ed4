//! `/v1/search` and `/v1/suggest`: ranked full-text search and search-as-you-type
//! completions. The ranking lives in [`crate::search`]; this module parses the
//! parameters and shapes the answers.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::answer::{Built, Cacheable};
use super::envelope::{PageLinks, SCHEMA_VERSION};
use super::filters::{self, Fields};
use super::params::{self, Bounded, Page, PerPage};
use super::problem::{ApiError, ProblemDetails};
use super::technologies::page_links;
use crate::catalogue::{Date, Kind};
use crate::search::{self as engine, Field, Source};

/// Tag of the search operations in the OpenAPI document.
pub const TAG: &str = "search";

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

filters::filtered_query! {
    /// Query parameters of `GET /v1/search`: its own, then the filters it shares
    /// with the list. This struct both documents the parameters and parses them.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct SearchParams {
        /// The words to look for in names, ids, aliases, tags, summaries and
        /// descriptions: case- and accent-insensitive, with typos tolerated (one from 5
        /// characters, two from 9) and the last word completed as a prefix unless the
        /// query ends with a space. A query that finds nothing so is run again with
        /// looser rules (see `relaxed` in the answer). 1 to 200 characters, not blank
        /// (only spaces, tabs or line breaks); only the first 10 words count.
        #[param(
            value_type = String,
            min_length = 1,
            max_length = 200,
            pattern = r"[^ \t\r\n]",
            example = "python web framework"
        )]
        q: SearchText,
        /// Page number, from 1.
        #[param(value_type = Option<u32>, minimum = 1, maximum = 100000, example = 1)]
        page: Option<Page>,
        /// Hits per page.
        #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
        per_page: Option<PerPage>,
        /// Sparse fieldset: the fields of each hit to return (comma-separated), as the
        /// list's `fields` trims its items.
        #[param(example = json!(["id", "name"]), max_items = 20)]
        fields: Option<Vec<HitField>>,
    }
}

/// The text of a search or completion: 1 to [`MAX_QUERY_CHARS`] characters, not
/// blank (only spaces, tabs or line breaks).
#[derive(Debug)]
pub struct SearchText(String);

impl<'de> Deserialize<'de> for SearchText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // Blank as the documented pattern says: only spaces, tabs and line breaks.
        if text.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
            return Err(serde::de::Error::custom(
                "is required and must not be blank",
            ));
        }
        let length = text.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(serde::de::Error::custom(format!(
                "must be at most {MAX_QUERY_CHARS} characters, got {length}"
            )));
        }
        Ok(SearchText(text))
    }
}

impl SearchText {
    /// The text, without leading white space.
    fn text(&self) -> &str {
        self.0.trim_start()
    }
}

/// The fields of a search hit a sparse fieldset may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HitField {
    Id,
    Name,
    Kind,
    Summary,
    Score,
    Ranking,
    MatchedFields,
    Highlights,
}

impl HitField {
    /// The field's name in answers.
    fn as_str(self) -> &'static str {
        match self {
            HitField::Id => "id",
            HitField::Name => "name",
            HitField::Kind => "kind",
            HitField::Summary => "summary",
            HitField::Score => "score",
            HitField::Ranking => "ranking",
            HitField::MatchedFields => "matched_fields",
            HitField::Highlights => "highlights",
        }
    }
}

/// The values of the ranking rules for one hit, in the order they apply; the first
/// rule on which two hits differ decides their order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"exact_name": false, "words_matched": 3, "typos": 0,
    "field": "tags", "field_rank": 6, "proximity": 0, "exact": 3, "importance": 12}))]
pub struct HitRanking {
    /// The whole query equals the entry's name, an alias or its id (normalised,
    /// separators ignored). Such hits come first.
    pub exact_name: bool,
    /// Query words matched anywhere in the entry; more first.
    pub words_matched: u8,
    /// Typos over the matched words; fewer first.
    pub typos: u8,
    /// The strongest field a query word matched in (`name` covers the id).
    #[schema(example = "name")]
    pub field: &'static str,
    /// What the field rule compares: each matched word's strongest field (name 0,
    /// aliases 1, tags 2, summary 3, description 4), summed; lower first.
    pub field_rank: u8,
    /// Distance between consecutive matched words, summed over word pairs (0 when
    /// adjacent and in order or both in tags, at most 7 per pair within one field, 8
    /// when never in one field); lower first.
    pub proximity: u8,
    /// Matched words found as typed (no typo, not only as a prefix); more first.
    pub exact: u8,
    /// How many catalogue entries relate to this one; more first. Breaks ties
    /// before the name.
    pub importance: u32,
}

/// A matched range of a text, in UTF-16 code units (what JavaScript's
/// `String.prototype.slice` counts): `text.slice(start, start + length)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextRange {
    /// Offset of the first UTF-16 code unit.
    pub start: usize,
    /// Number of UTF-16 code units.
    pub length: usize,
}

/// Where in one text of the hit the query matched.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"field": "aliases", "text": "rails", "ranges": [{"start": 0, "length": 5}]}))]
pub struct HitHighlight<'a> {
    /// The text matched: `name`, `id`, `aliases`, `tags`, `summary` or
    /// `description`.
    #[schema(example = "name")]
    pub field: &'static str,
    /// The text the ranges index into — the matched alias, tag, id or the
    /// description; absent for `name` and `summary`, whose texts are in the hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// Disjoint matched ranges, in order, in UTF-16 code units.
    pub ranges: Vec<TextRange>,
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "python", "name": "Python", "kind": "language",
    "summary": "A general-purpose programming language.", "score": 1_478_396_207_153_212_u64,
    "ranking": {"exact_name": false, "words_matched": 1, "typos": 1, "field": "name",
        "field_rank": 0, "proximity": 0, "exact": 0, "importance": 60},
    "matched_fields": ["name", "tags"],
    "highlights": [{"field": "name", "ranges": [{"start": 0, "length": 6}]}]}))]
pub struct SearchHit<'a> {
    /// The technology's id.
    pub id: &'a str,
    /// The technology's name.
    pub name: &'a str,
    /// What sort of technology it is.
    pub kind: Kind,
    /// The technology's one-sentence summary.
    pub summary: &'a str,
    /// Relevance: higher is better. It orders hits as the ranking rules do (equal
    /// scores are ordered by name) and is exact as a JSON number.
    pub score: u64,
    /// The ranking rules' values for this hit.
    pub ranking: HitRanking,
    /// The fields the query matched, strongest first.
    #[schema(example = json!(["name", "tags"]))]
    pub matched_fields: Vec<&'static str>,
    /// The matched ranges, text by text, strongest field first.
    pub highlights: Vec<HitHighlight<'a>>,
}

/// Counts of one facet's values: the 100 largest (ties by value), each over the
/// whole matching set.
#[derive(Debug, ToSchema)]
#[schema(value_type = std::collections::BTreeMap<String, u32>, example = json!({"web_framework": 12, "library": 3}))]
pub struct FacetCounts<'a>(Vec<(&'a str, u32)>);

impl Serialize for FacetCounts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (value, count) in &self.0 {
            map.serialize_entry(value, count)?;
        }
        map.end()
    }
}

/// Counts over every hit matching the query and the filters (not just this page);
/// each facet lists its 100 most frequent values.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchFacets<'a> {
    /// Hits per kind.
    pub kind: FacetCounts<'a>,
    /// Hits per tag.
    pub tag: FacetCounts<'a>,
    /// Hits per language they are for (`relations.for_language` ids).
    pub language: FacetCounts<'a>,
}

/// The hits of a page: whole, or trimmed to a sparse fieldset.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Hits<'a> {
    /// Every field of each hit.
    Whole(Vec<SearchHit<'a>>),
    /// The fields `fields` named.
    Trimmed(Vec<serde_json::Value>),
}

/// A page of search hits with the facets of all of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse<'a> {
    /// Version of the answer schema (see the README).
    pub schema_version: &'static str,
    /// The query as received.
    pub query: &'a str,
    /// The hits of this page, best first (with `fields`, only the fields named).
    #[schema(value_type = Vec<SearchHit>)]
    pub items: Hits<'a>,
    /// Number of hits across all pages.
    pub total: usize,
    /// This page's number, from 1.
    pub page: u32,
    /// Maximum number of hits per page.
    pub per_page: u32,
    /// Links to this, the first, previous, next and last pages.
    pub links: PageLinks,
    /// Counts per kind, tag and language over every hit (100 values per facet at
    /// most).
    pub facets: SearchFacets<'a>,
    /// True when the query found nothing under the normal rules and these hits are
    /// what the relaxed rules found: one typo from 4 characters, on the first letter
    /// too, and two adjacent letters swapped in 3-letter words (`flsk` finds Flask,
    /// `bnu` finds Bun). False otherwise.
    pub relaxed: bool,
    /// When nothing matched even under the relaxed rules: up to 3 corrections of
    /// the query built from the catalogue's words, best first, each a query with
    /// hits under the same filters (send it as `q`). Empty whenever there are hits.
    #[schema(example = json!(["flask"]))]
    pub did_you_mean: Vec<String>,
    /// Time the server spent searching, ranking, counting facets and
    /// highlighting, in microseconds; the same request again is answered from
    /// memory and repeats the time of the first.
    pub processing_time_us: u64,
}

fn hit_highlight(highlight: engine::Highlight<'_>) -> HitHighlight<'_> {
    let text = match highlight.source {
        Source::Name | Source::Summary => None,
        _ => Some(highlight.text),
    };
    HitHighlight {
        field: highlight.source.as_str(),
        text,
        ranges: highlight
            .ranges
            .iter()
            .map(|r| TextRange {
                start: r.start,
                length: r.length,
            })
            .collect(),
    }
}

fn hit_ranking(ranking: &engine::Ranking) -> HitRanking {
    HitRanking {
        exact_name: ranking.exact_name,
        words_matched: ranking.words_matched,
        typos: ranking.typos,
        field: ranking.field.as_str(),
        field_rank: ranking.field_rank,
        proximity: ranking.proximity,
        exact: ranking.exact,
        importance: ranking.importance,
    }
}

/// Search technologies
///
/// Ranks the technologies matching `q` with ordered rules, as Meilisearch does: an
/// entry whose name, alias or id *is* the query comes first; then entries matching
/// more of the query's words; fewer typos; stronger fields (name, aliases, tags,
/// summary, description); words closer together; words matched as typed; entries
/// more related to by others; then by name. Words are compared case- and
/// accent-insensitively; symbol names stay whole (`c#` never finds C), and
/// `node.js`, `node js` and `nodejs` find the same entry. Each hit carries its rule
/// values (`ranking`), the fields it matched and highlight ranges in UTF-16 code
/// units. `facets` counts kinds, tags and languages over all hits after filters. The
/// `Link` header carries the pages (RFC 8288) and `X-Total-Count` the total.
///
/// No dead end for one slip: a query that finds nothing is run again with looser
/// rules — one typo from 4 characters, a typo on the first letter, two adjacent
/// letters swapped in 3-letter words — and `relaxed` says so (`flsk` finds Flask,
/// `kao` Koa). When even that finds nothing, `did_you_mean` offers up to three
/// corrections, each a query with hits under the same filters.
///
/// `curl -s 'http://localhost:8080/v1/search?q=python%20web%20framework&per_page=5'`
#[utoipa::path(
    tag = TAG,
    params(SearchParams),
    responses(
        (status = 200, description = "A page of hits, best first, with facets over all hits; a query matching nothing even under the relaxed rules answers zero hits, empty facets and up to three corrections in `did_you_mean`.", body = SearchResponse,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, prev, next and last pages"),
                ("X-Total-Count" = u64, description = "Number of hits across all pages"),
                ("ETag" = String, description = "Weak validator; send it back in If-None-Match to revalidate"),
            )),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "`q` is missing, blank or too long, or another parameter is unknown or invalid.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/search")]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: SearchParams = params::parse(&req)?;
    let q = query.q.text();
    let pagination = params::pagination(query.page, query.per_page);
    let filter = query.filter();
    let fields = Fields::named(
        query
            .fields
            .as_ref()
            .map(|named| named.iter().map(|f| f.as_str()).collect()),
    );
    let snapshot = indexed_snapshot(&req, &state).await?;
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let started = Instant::now();
        let catalogue = &snapshot.catalogue;
        let today = Date::today();
        let technologies = catalogue.technologies();
        let window = pagination.range(usize::MAX);
        let results = if filter.is_empty() {
            snapshot.index().search_all(q, window)
        } else {
            snapshot.index().search(q, window, |position| {
                filter.admits(catalogue, position, today)
            })
        };
        let mut highlighter = snapshot.index().highlighter(&results.plan);
        let items: Vec<SearchHit<'_>> = results
            .hits
            .iter()
            .map(|hit| {
                let t = &technologies[hit.position];
                let highlights = highlighter.highlights(t);
                SearchHit {
                    id: &t.id,
                    name: &t.name,
                    kind: t.kind,
                    summary: &t.summary,
                    score: hit.score,
                    ranking: hit_ranking(&hit.ranking),
                    matched_fields: engine::matched_fields(&highlights)
                        .into_iter()
                        .map(Field::as_str)
                        .collect(),
                    highlights: highlights.into_iter().map(hit_highlight).collect(),
                }
            })
            .collect();
        let items = if fields.is_all() {
            Hits::Whole(items)
        } else {
            Hits::Trimmed(
                items
                    .iter()
                    .map(|hit| serde_json::to_value(hit).map(|value| fields.select(value)))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ApiError::internal(&req, &e))?,
            )
        };
        let facets = SearchFacets {
            kind: FacetCounts(results.facets.kind),
            tag: FacetCounts(results.facets.tag),
            language: FacetCounts(results.facets.language),
        };
        let processing_time_us = started.elapsed().as_micros() as u64;
        let total = results.total;
        let (links, link_header): (PageLinks, Option<String>) = page_links(&req, pagination, total);
        let built = Built::json(
            &req,
            &SearchResponse {
                schema_version: SCHEMA_VERSION,
                query: q,
                items,
                total,
                page: pagination.page,
                per_page: pagination.per_page,
                links,
                facets,
                relaxed: results.relaxed,
                did_you_mean: results.did_you_mean,
                processing_time_us,
            },
        )?
        .with_header("x-total-count", total.to_string());
        Ok(match link_header {
            Some(link) => built.with_header("link", link),
            None => built,
        })
    })
}

/// Query parameters of `GET /v1/suggest`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// The beginning of a name, alias or id as typed so far — or of any later
    /// word of one (`rai` completes Ruby on Rails). Case- and accent-insensitive,
    /// with typos tolerated from 5 characters (two from 9, when nothing lies
    /// within one); when nothing completes it so, one typo from 4 characters (on the
    /// first letter too) and a swap of two adjacent letters in 3 characters
    /// (`flsk` completes Flask, `djng` Django). 1 to 200 characters, not blank.
    #[param(
        value_type = String,
        min_length = 1,
        max_length = 200,
        pattern = r"[^ \t\r\n]",
        example = "pyth"
    )]
    q: SearchText,
    /// Most completions to answer.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10, example = 5)]
    limit: Option<Bounded<1, { engine::MAX_SUGGESTIONS as u32 }>>,
}

/// One completion.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "python", "name": "Python", "kind": "language"}))]
pub struct Suggestion<'a> {
    /// The technology's id.
    pub id: &'a str,
    /// The technology's name.
    pub name: &'a str,
    /// What sort of technology it is.
    pub kind: Kind,
}

/// Completions of a partly typed name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestResponse<'a> {
    /// Version of the answer schema (see the README).
    pub schema_version: &'static str,
    /// The query as received.
    pub query: &'a str,
    /// Up to `limit` completions, best first.
    pub items: Vec<Suggestion<'a>>,
}

/// Suggest technologies as you type
///
/// Completes a partly typed name: entries whose name, an alias, the id or a later
/// word of one starts with `q` — with typos tolerated from 5 characters (two from
/// 9); when nothing completes it so, with the looser rules of a zero-hit search
/// (one typo from 4 characters, on the first letter too; a swap of two adjacent
/// letters in 3 characters). Completions with fewer typos come first, then whole-name matches, then
/// matches at the start of the name, of an alias or id, then of a later word, then
/// entries more related to by others, then by name. At most 10 completions.
///
/// `curl -s 'http://localhost:8080/v1/suggest?q=pyth&limit=5'`
#[utoipa::path(
    tag = TAG,
    params(SuggestParams),
    responses(
        (status = 200, description = "Up to `limit` completions, best first; none when nothing completes `q`.", body = SuggestResponse),
        (status = 304, description = "The copy named by If-None-Match (or If-Modified-Since) is current."),
        (status = 400, description = "`q` is missing, blank or too long, `limit` is out of range, or a parameter is unknown.", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/suggest")]
pub async fn suggest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: SuggestParams = params::parse(&req)?;
    let q = query.q.text();
    let limit = query.limit.map_or(engine::MAX_SUGGESTIONS as u32, |l| l.0);
    let snapshot = indexed_snapshot(&req, &state).await?;
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
        let technologies = snapshot.catalogue.technologies();
        let items = snapshot
            .index()
            .suggest(q, limit as usize)
            .into_iter()
            .map(|position| {
                let t = &technologies[position];
                Suggestion {
                    id: &t.id,
                    name: &t.name,
                    kind: t.kind,
                }
            })
            .collect();
        Built::json(
            &req,
            &SuggestResponse {
                schema_version: SCHEMA_VERSION,
                query: q,
                items,
            },
        )
    })
}

/// The serving snapshot with its search index built: right after start-up the
/// first snapshot's index may still be building, and the request waits for it on
/// the blocking pool rather than holding up its worker.
async fn indexed_snapshot(
    req: &HttpRequest,
    state: &AppState,
) -> Result<std::sync::Arc<crate::snapshot::Snapshot>, ApiError> {
    let snapshot = state.snapshots.current();
    if snapshot.index_if_built().is_some() {
        return Ok(snapshot);
    }
    let waiting = snapshot.clone();
    web::block(move || {
        waiting.index();
    })
    .await
    .map_err(|e| ApiError::internal(req, &e))?;
    Ok(snapshot)
}
