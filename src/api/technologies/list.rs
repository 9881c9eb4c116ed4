//! `GET /v1/technologies`: a page of the catalogue, filtered, sorted, trimmed.

use super::*;

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
    Cacheable::new(&req, &snapshot, &state, "").respond(|| {
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
