//! HTTP only: routes, query parsing, errors, caching, limits, the OpenAPI document.
//! Handlers read one [`Snapshot`](crate::snapshot::Snapshot) per request from
//! [`AppState`]; nothing here reads data files.

pub mod answer;
pub mod cors;
pub mod embed;
pub mod envelope;
pub mod export;
pub mod filters;
pub mod memo;
pub mod meta;
pub mod metrics;
pub mod middleware;
pub mod params;
pub mod problem;
pub mod query;
pub mod ratelimit;
pub mod search;
pub mod taxonomy;
pub mod technologies;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::snapshot::Snapshots;
use answer::CachePolicy;
use metrics::Metrics;
use problem::{ApiError, ProblemDetails};
use ratelimit::Limiter;

/// Path of the served OpenAPI document.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// The methods every route accepts.
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// The same methods, as the request checks and CORS take them.
pub const METHODS: [actix_web::http::Method; 3] = [
    actix_web::http::Method::GET,
    actix_web::http::Method::HEAD,
    actix_web::http::Method::OPTIONS,
];
/// Response headers scripts on other origins may read.
pub const EXPOSED_HEADERS: &str = "etag, link, x-total-count, ratelimit, ratelimit-policy, retry-after, x-request-id, last-modified";

/// HTTP behaviour that settings control.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `Cache-Control` of successful answers.
    pub cache: CachePolicy,
    /// Origins allowed to read answers from scripts; empty means any origin.
    pub cors_origins: Vec<String>,
    /// Longest accepted query string, in bytes (longer: 414).
    pub max_query_length: usize,
    /// Requests per client per window; `None` turns rate limiting off.
    pub rate_limit: Option<u64>,
    /// The rate limit's window.
    pub rate_limit_window: Duration,
    /// Whether `X-Forwarded-For` names the client (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Whether each request is logged.
    pub access_log: bool,
}

impl HttpSettings {
    /// The HTTP behaviour the command line and environment ask for.
    pub fn from_settings(settings: &crate::config::Settings) -> HttpSettings {
        HttpSettings {
            cache: CachePolicy::new(settings.cache_max_age, settings.stale_while_revalidate),
            cors_origins: settings.cors_origins.clone(),
            max_query_length: settings.max_query_length as usize,
            rate_limit: (settings.rate_limit > 0).then_some(settings.rate_limit),
            rate_limit_window: Duration::from_secs(settings.rate_limit_window),
            trust_forwarded_for: settings.trust_forwarded_for,
            access_log: settings.access_log,
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            cache: CachePolicy::default(),
            cors_origins: Vec::new(),
            max_query_length: 2048,
            rate_limit: Some(1200),
            rate_limit_window: Duration::from_secs(60),
            trust_forwarded_for: false,
            access_log: true,
        }
    }
}

/// What every handler reads: the serving snapshot, settings and metrics.
pub struct AppState {
    /// The serving catalogue snapshot (swapped on reload).
    pub snapshots: Snapshots,
    /// HTTP settings.
    pub settings: HttpSettings,
    /// `Cache-Control` of successful answers (from the settings).
    pub cache: CachePolicy,
    /// Request and reload metrics.
    pub metrics: Metrics,
    /// The per-client request budget, unless rate limiting is off.
    pub limiter: Option<Arc<Limiter>>,
    /// Answers already made, by key.
    pub memo: memo::AnswerMemo,
}

impl AppState {
    /// State serving `snapshots` with `settings`.
    pub fn new(snapshots: Snapshots, settings: HttpSettings) -> AppState {
        let document = openapi();
        let mut patterns: Vec<String> = document.paths.paths.keys().cloned().collect();
        patterns.extend([
            OPENAPI_PATH.to_owned(),
            "/swagger-ui/{_:.*}".to_owned(),
            "/swagger-ui".to_owned(),
        ]);
        AppState {
            snapshots,
            cache: settings.cache.clone(),
            metrics: Metrics::new(patterns.iter().map(String::as_str)),
            limiter: settings.rate_limit.map(|quota| {
                Arc::new(Limiter::new(
                    quota,
                    settings.rate_limit_window,
                    settings.trust_forwarded_for,
                ))
            }),
            memo: memo::AnswerMemo::default(),
            settings,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stack Atlas",
        description = "A JSON REST API over a curated catalogue of backend technologies: \
languages, runtimes, web frameworks, libraries, databases, caches, message brokers, search \
engines, web servers, API technologies and platforms — with release lifecycles, typed \
relations, ranked search, facets and bulk export.\n\n\
Every error is an RFC 9457 problem (`application/problem+json`) naming the parameter at \
fault. Every successful GET carries a weak `ETag`, `Last-Modified` and `Cache-Control`; send \
`If-None-Match` to revalidate (304). Answers are compressed (gzip, br, zstd) on \
`Accept-Encoding`, readable from any origin (CORS), and rate-limited per client (IETF \
`RateLimit` and `RateLimit-Policy` fields; 429 with `Retry-After`).",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
        contact(name = "Stack Atlas maintainers", url = "https://github.com/stackatlas/stackatlas/issues"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = technologies::TAG, description = "The catalogue's entries: list with filters, sort, sparse fields and expansion; detail; release lifecycles; relations; comparison."),
        (name = search::TAG, description = "Ranked, typo-tolerant search over the catalogue, and completions as you type."),
        (name = taxonomy::TAG, description = "Every value of a facet (kind, tag, language, licence, runtime) with its count."),
        (name = export::TAG, description = "The whole catalogue in one answer: JSON, NDJSON or CSV."),
        (name = meta::TAG, description = "The service itself: index, health, readiness, metrics."),
    ),
    components(schemas(
        ProblemDetails,
        filters::FieldName,
        filters::ExpandParam,
        filters::FilterValue,
        filters::LicenseId,
        search::HitField
    ))
)]
struct ApiDoc;

/// Every route, on `$app` with the `/v1` routes in `$v1`: one list for the
/// documented registration ([`register`]) and the plain one each worker uses.
macro_rules! with_routes {
    ($app:expr, $v1:expr) => {
        $app.service(
            $v1.service(technologies::list_technologies)
                .service(technologies::get_technology)
                .service(technologies::get_releases)
                .service(technologies::get_related)
                .service(technologies::compare)
                .service(search::search)
                .service(search::suggest)
                .service(taxonomy::kinds)
                .service(taxonomy::tags)
                .service(taxonomy::languages)
                .service(taxonomy::licenses)
                .service(taxonomy::runtimes)
                .service(export::export),
        )
        .service(meta::index)
        .service(meta::healthz)
        .service(meta::readyz)
        .service(meta::metrics)
    };
}

/// Registers every documented route on `app` and returns the app with the OpenAPI
/// document the registrations produced. Routes and their documentation come from
/// one list ([`with_routes!`]), so the document cannot miss an endpoint.
fn register<T>(app: App<T>) -> (App<T>, OpenApiDocument)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let (app, mut document) = with_routes!(
        app.into_utoipa_app().openapi(ApiDoc::openapi()),
        scope::scope("/v1")
    )
    .split_for_parts();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    (app, document)
}

/// Adds the answers every operation can give because of the server's limits:
/// 414 (query string too long) everywhere, 429 (rate limited) under `/v1`.
fn document_limits(mut document: OpenApiDocument) -> OpenApiDocument {
    use utoipa::openapi::ResponseBuilder;
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{Ref, Response};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ProblemDetails")))
            .build()
    };
    let too_long: Response = ResponseBuilder::new()
        .description("The query string is longer than the server accepts (`--max-query-length`).")
        .content(problem::PROBLEM_JSON, problem())
        .build();
    let limited: Response = ResponseBuilder::new()
        .description("The client used its request budget; retry after `Retry-After` seconds.")
        .content(problem::PROBLEM_JSON, problem())
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .description(Some("Seconds until the budget refills"))
                .build(),
        )
        .header(
            "RateLimit",
            HeaderBuilder::new()
                .description(Some(
                    "IETF RateLimit field: remaining requests and seconds to reset",
                ))
                .build(),
        )
        .header(
            "RateLimit-Policy",
            HeaderBuilder::new()
                .description(Some("IETF RateLimit-Policy field: quota and window"))
                .build(),
        )
        .build();
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.head, &mut item.options];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses.insert("414".to_owned(), too_long.clone().into());
            if path.starts_with("/v1/") {
                responses.insert("429".to_owned(), limited.clone().into());
            }
        }
    }
    document
}

/// Gives every problem answer in the document an example of its own status (the
/// schema's example is a 400), made by the constructors the handlers use, so the
/// examples say what the server really answers.
fn document_problem_examples(value: &mut serde_json::Value) {
    use actix_web::test::TestRequest;
    let at = |uri: &str| TestRequest::with_uri(uri).to_http_request();
    let example = |error: ApiError| serde_json::to_value(error.problem()).ok();
    let long_query = format!("/v1/search?q={}", "a".repeat(2100));
    let examples = [
        (
            "400",
            example(ApiError::invalid_parameter(
                &at("/v1/technologies?per_page=500"),
                "per_page",
                "`per_page` must be an integer from 1 to 100, got `500`".to_owned(),
            )),
        ),
        (
            "404",
            example(ApiError::unknown_technology(
                &at("/v1/technologies/nodejz"),
                "nodejz",
            )),
        ),
        (
            "406",
            example(ApiError::not_acceptable(
                &at("/v1/catalogue"),
                &export::Format::OFFERED,
            )),
        ),
        (
            "414",
            example(ApiError::uri_too_long(&at(&long_query), 2048)),
        ),
        (
            "429",
            example(ApiError::rate_limited(
                "/v1/search?q=django".to_owned(),
                "this client used its request budget; retry in 42 s".to_owned(),
            )),
        ),
    ];
    if let Some(paths) = value["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let Some(responses) = operation["responses"].as_object_mut() else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    let content = response
                        .get_mut("content")
                        .and_then(|c| c.get_mut(problem::PROBLEM_JSON))
                        .and_then(|c| c.as_object_mut());
                    let example = examples.iter().find(|(s, _)| s == status);
                    if let (Some(content), Some((_, Some(example)))) = (content, example) {
                        content.insert("example".to_owned(), example.clone());
                    }
                }
            }
        }
    }
}

/// Documents technology answers as they can really be: with `fields` any field may
/// be left out, and `expand` adds `lifecycle` and `related`. So `TechnologyDetail`
/// (the detail, and each list item) lists every property of `Technology` plus those
/// two, requires none, and allows none other — whereas `Technology` itself stays
/// the strict shape of a data file.
fn document_sparse_technologies(value: &mut serde_json::Value) {
    let schemas = &mut value["components"]["schemas"];
    let mut detail = schemas["Technology"].clone();
    let Some(object) = detail.as_object_mut() else {
        return;
    };
    object.remove("required");
    object.insert(
        "description".to_owned(),
        serde_json::json!(
            "A technology: every field of `Technology` (only those named in `fields`, when it is given), \
             with `lifecycle` (the release cycles, where endoflife.date tracks it) and, with \
             `expand=related`, `related`."
        ),
    );
    if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
        properties.insert(
            "lifecycle".to_owned(),
            serde_json::json!({"$ref": "#/components/schemas/Lifecycle"}),
        );
        properties.insert(
            "related".to_owned(),
            serde_json::json!({"$ref": "#/components/schemas/RelationGroups"}),
        );
    }
    schemas["TechnologyDetail"] = detail;
    // With `fields`, a search hit holds only the fields named.
    if let Some(hit) = schemas["SearchHit"].as_object_mut() {
        hit.remove("required");
        hit.insert(
            "description".to_owned(),
            serde_json::json!(
                "One search result: every field below, or only those named in `fields` when it is given."
            ),
        );
    }
    // Answers are documented by TechnologyDetail; the strict data-file shape is
    // data/schema.json.
    if let Some(map) = schemas.as_object_mut() {
        map.remove("Technology");
    }
    schemas["TechnologyPage"]["properties"]["items"]["items"] =
        serde_json::json!({"$ref": "#/components/schemas/TechnologyDetail"});
    // `ids` names each technology once (utoipa has no parameter attribute for it).
    if let Some(parameters) = value["paths"]["/v1/compare"]["get"]["parameters"].as_array_mut() {
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "ids") {
            parameter["schema"]["uniqueItems"] = serde_json::json!(true);
        }
    }
}

/// The edits made to the document as JSON (sparse technology items, per-status
/// problem examples), in one round trip through `serde_json`.
fn document_as_json(document: OpenApiDocument) -> OpenApiDocument {
    let Ok(mut value) = serde_json::to_value(&document) else {
        return document;
    };
    document_sparse_technologies(&mut value);
    document_problem_examples(&mut value);
    serde_json::from_value(value).unwrap_or(document)
}

/// The OpenAPI document of the API, as served at [`OPENAPI_PATH`]: made once per
/// process (every worker's app shares it).
pub fn openapi() -> OpenApiDocument {
    static DOCUMENT: OnceLock<OpenApiDocument> = OnceLock::new();
    DOCUMENT
        .get_or_init(|| document_as_json(document_limits(register(App::new()).1)))
        .clone()
}

/// Answers what no route matched: a 404 problem.
async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::route_not_found(&req))
}

/// The OpenAPI document as served: its JSON, written once per process, and a
/// strong validator (XXH3 of those bytes).
struct OpenApiJson {
    body: bytes::Bytes,
    etag: header::EntityTag,
}

/// `GET /api-docs/openapi.json`: the OpenAPI document, with an `ETag` (`304` for a
/// matching `If-None-Match`), cacheable for five minutes; no query parameters.
async fn openapi_document(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    params::parse::<params::NoParams>(&req)?;
    static JSON: OnceLock<OpenApiJson> = OnceLock::new();
    let json = JSON.get_or_init(|| match serde_json::to_vec(&openapi()) {
        Ok(body) => OpenApiJson {
            etag: header::EntityTag::new_strong(format!(
                "{:016x}",
                xxhash_rust::xxh3::xxh3_64(&body)
            )),
            body: bytes::Bytes::from(body),
        },
        Err(error) => panic!("the OpenAPI document does not serialize: {error}"),
    });
    let matches = answer::none_match(&req, &json.etag);
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(header::ETag(json.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    Ok(if matches {
        response.finish()
    } else {
        response
            .content_type(header::ContentType::json())
            .body(json.body.clone())
    })
}

async fn swagger_ui_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/swagger-ui/"))
        .finish()
}

/// Security headers and the CORS fields that are the same on every answer
/// (`DefaultHeaders` leaves a header an answer set itself: the HTML pages and
/// Swagger UI have their own policies).
fn security_headers(any_origin: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        ))
        .add((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .add((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .add((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .add((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));
    if any_origin {
        // The same answer for every origin, with or without `Origin` (see `cors`).
        headers.add((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
    } else {
        headers
    }
}

/// Content-Security-Policy of Swagger UI: its own vendored files only.
const CSP_SWAGGER: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);

/// The whole application: routes, documentation, Swagger UI and middleware.
///
/// A request meets the layers in this order (the last `wrap` is the outermost):
/// security headers (`DefaultHeaders`), [`middleware::Observe`] (request id,
/// metrics, access log), CORS (`actix-cors`: preflights answered here), the rate
/// limiter ([`ratelimit::RateLimit`], `/v1` only, refusals included),
/// [`middleware::Serve`] (405, 413, 414, `OPTIONS`, `HEAD`, answers already made),
/// compression, then the routes.
///
/// What the crates' layers cost, in process (`examples/stack_overhead.rs`: the
/// detail answer from the memo, ns per request, no LTO): the whole stack went from
/// about 1,750 (one hand-written layer) to 2,250. `DefaultHeaders` costs about
/// 120 more than inserting the same six headers by hand (2,241–2,307 vs
/// 2,087–2,192: it looks each header up before inserting it); `actix-cors` about
/// 30 (the layer removed); the rate limiter about 320 with its charge (removed).
/// Counted by callgrind (one connection, memoized detail), the crates add about
/// 3,400 instructions to the ~38,600 a detail answer took with the hand-written
/// layer: the rate limiter's middleware about 800 of its own, about 600 more in
/// allocation (the extra layers' boxed futures), `actix-cors` about 370,
/// `DefaultHeaders` about 330 (its lookups before inserting). Under load (two workers)
/// the drop was larger than that (detail 0.80–0.85 of the baseline, from
/// 0.92–0.94), for writes both workers made to the same cache lines on every
/// answer: two clones of the state's `Arc` and one of the snapshot's, the
/// rate limiter's store handle
/// (cloned by its middleware per request), each route's histogram mutex and
/// counter, the request-id counter and the log buffer. Those are now per worker
/// or per thread; a paired wrk A/B of detail against the hand-written layer
/// (10 × 4 s) went from 0.879 to 0.990. The rate limiter is hand-written again
/// (its figures are in [`ratelimit`]); the one other measured hand-written
/// equivalent (`DefaultHeaders`) saves about 120 ns, under 1% of a request. The
/// application's own two layers are `Transform`s, not `from_fn` (which boxes each
/// request's future): paired A/B in interleaved slices (4 pairs of 5 × 2 s) detail
/// 1.045, list 0.999 against `from_fn`.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let any_origin = state.settings.cors_origins.is_empty();
    let cors = cors::middleware(&state.settings.cors_origins);
    let limiter = ratelimit::RateLimit(state.limiter.clone());
    // Workers register the same routes without making their documentation again
    // (the document is made once per process: `openapi()`).
    with_routes!(App::new(), web::scope("/v1"))
        .app_data(state.clone())
        .service(
            web::scope("/swagger-ui")
                .wrap(DefaultHeaders::new().add((header::CONTENT_SECURITY_POLICY, CSP_SWAGGER)))
                .service(SwaggerUi::new("/{_:.*}").config(swagger_config()))
                .route("", web::get().to(swagger_ui_redirect)),
        )
        .route(OPENAPI_PATH, web::get().to(openapi_document))
        .route("/embed/", web::get().to(embed::page))
        .route(embed::SCRIPT_PATH, web::get().to(embed::script))
        .route("/embed", web::get().to(embed::redirect))
        .default_service(web::to(fallback))
        .wrap(Compress::default())
        .wrap(middleware::Serve(state.clone()))
        .wrap(limiter)
        .wrap(cors)
        .wrap(middleware::Observe(state))
        .wrap(security_headers(any_origin))
}

/// Swagger UI's settings: operations grouped by tag, deep links, "Try it out" ready.
fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::from(OPENAPI_PATH)
        .deep_linking(true)
        .display_request_duration(true)
        .filter(true)
        .default_models_expand_depth(1)
        .doc_expansion("list")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_allow_field_lists_the_methods_the_checks_and_cors_take() {
        let listed: Vec<&str> = super::METHODS.iter().map(|m| m.as_str()).collect();
        assert_eq!(listed.join(", "), super::ALLOWED_METHODS);
    }
}
