//! HTTP only: routes, query parsing, errors, the OpenAPI document. The catalogue and
//! the search index are borrowed from [`AppState`]; nothing here reads data files.

pub mod envelope;
pub mod meta;
pub mod problem;
pub mod query;
pub mod search;
pub mod technologies;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Logger, NormalizePath, TrailingSlash};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::catalogue::Catalogue;
use crate::search::Index;
use problem::{ApiError, ProblemDetails};

/// What every handler reads: one immutable catalogue and its search index.
pub struct AppState {
    /// The catalogue being served.
    pub catalogue: Catalogue,
    /// The search index of that catalogue.
    pub index: Index,
}

impl AppState {
    /// Indexes a catalogue for serving.
    pub fn new(catalogue: Catalogue) -> AppState {
        let index = Index::build(&catalogue);
        AppState { catalogue, index }
    }
}

/// Path of the served OpenAPI document.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// The methods every route accepts.
pub const ALLOWED_METHODS: &str = "GET, HEAD";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stack Atlas",
        description = "A JSON REST API over a curated catalogue of backend technologies: \
languages, runtimes, frameworks, databases, caches, message brokers, search engines, web \
servers, API technologies and platforms. Every error is an RFC 9457 problem \
(`application/problem+json`).",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = technologies::TAG, description = "The catalogue's entries: list and detail."),
        (name = search::TAG, description = "Ranked search over the catalogue and completions as you type."),
        (name = meta::TAG, description = "The service itself: index and health."),
    ),
    components(schemas(ProblemDetails))
)]
struct ApiDoc;

/// Registers every documented route on `app` and returns the app with the OpenAPI
/// document the registrations produced. Routes and their documentation are one
/// registration, so the document cannot miss an endpoint.
fn register<T>(app: App<T>) -> (App<T>, OpenApiDocument)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(
            scope::scope("/v1")
                .service(technologies::list_technologies)
                .service(technologies::get_technology)
                .service(technologies::get_releases)
                .service(technologies::get_related)
                .service(search::search)
                .service(search::suggest),
        )
        .service(meta::index)
        .service(meta::healthz)
        .split_for_parts()
}

/// The OpenAPI document of the API, as served at [`OPENAPI_PATH`].
pub fn openapi() -> OpenApiDocument {
    let (_, mut document) = register(App::new());
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}

/// The route patterns the API serves, for telling 404 from 405.
fn route_patterns(document: &OpenApiDocument) -> Vec<ResourceDef> {
    let mut patterns: Vec<ResourceDef> = document
        .paths
        .paths
        .keys()
        .map(|path| ResourceDef::new(path.as_str()))
        .collect();
    patterns.push(ResourceDef::new(OPENAPI_PATH));
    patterns.push(ResourceDef::new("/swagger-ui"));
    patterns.push(ResourceDef::prefix("/swagger-ui/"));
    patterns
}

/// Answers what no route matched: 405 with `Allow` when the path exists under
/// another method, else a 404 problem.
async fn fallback(
    req: HttpRequest,
    patterns: web::Data<Vec<ResourceDef>>,
) -> Result<HttpResponse, ApiError> {
    let known = patterns.iter().any(|pattern| pattern.is_match(req.path()));
    if known && req.method() != Method::GET && req.method() != Method::HEAD {
        Err(ApiError::method_not_allowed(&req, ALLOWED_METHODS))
    } else {
        Err(ApiError::route_not_found(&req))
    }
}

async fn swagger_ui_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/swagger-ui/"))
        .finish()
}

/// Answers HEAD like GET: the route runs as GET and the HTTP layer, which remembers
/// the request was HEAD, sends the headers (with the GET body's length) but no body.
async fn head_as_get(
    mut req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// The whole application: routes, documentation, Swagger UI and middleware.
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
    let (app, mut document) = register(App::new());
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let patterns = web::Data::new(route_patterns(&document));
    app.app_data(state)
        .app_data(patterns)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url(OPENAPI_PATH, document))
        .route("/swagger-ui", web::get().to(swagger_ui_redirect))
        .default_service(web::to(fallback))
        .wrap(actix_web::middleware::from_fn(head_as_get))
        .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
        .wrap(Logger::new(r#"%a "%r" %s %b "%{User-Agent}i" %Dms"#))
}
