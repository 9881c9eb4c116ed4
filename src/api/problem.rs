//! RFC 9457 problem details: the one error shape of the API, rendered as
//! `application/problem+json` for every 4xx and 5xx answer.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// Media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:stackatlas:problem:invalid-parameter",
    "title": "Invalid query parameter",
    "status": 400,
    "detail": "`per_page` must be an integer from 1 to 100, got `500`",
    "instance": "/v1/technologies?per_page=500",
    "parameter": "per_page"
}))]
pub struct ProblemDetails {
    /// URI naming the problem type; `about:blank` when the status code says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code of the answer.
    pub status: u16,
    /// What went wrong with this request, in words a developer can act on.
    pub detail: String,
    /// The request target (path and query) the problem occurred on.
    pub instance: String,
    /// The query or path parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub parameter: Option<String>,
    /// The values the parameter accepts, when they form a closed set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub allowed: Option<Vec<String>>,
}

/// Any failure a handler can answer with. Boxed: errors are rare, and a small
/// `Result` keeps the success path cheap.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorParts>);

#[derive(Debug, Clone)]
struct ErrorParts {
    status: StatusCode,
    problem: ProblemDetails,
    allow: Option<&'static str>,
}

/// The request target (path and query), as problems name it.
pub(super) fn instance(req: &HttpRequest) -> String {
    let uri = req.uri();
    uri.path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned())
}

impl ApiError {
    fn new(
        req: &HttpRequest,
        status: StatusCode,
        problem_type: &str,
        title: &str,
        detail: String,
    ) -> ApiError {
        ApiError::at(instance(req), status, problem_type, title, detail)
    }

    fn at(
        instance: String,
        status: StatusCode,
        problem_type: &str,
        title: &str,
        detail: String,
    ) -> ApiError {
        ApiError(Box::new(ErrorParts {
            status,
            problem: ProblemDetails {
                problem_type: problem_type.to_owned(),
                title: title.to_owned(),
                status: status.as_u16(),
                detail,
                instance,
                parameter: None,
                allowed: None,
            },
            allow: None,
        }))
    }

    /// 400: a query or path parameter has a value it does not accept.
    pub fn invalid_parameter(req: &HttpRequest, parameter: &str, detail: String) -> ApiError {
        let mut error = ApiError::new(
            req,
            StatusCode::BAD_REQUEST,
            "urn:stackatlas:problem:invalid-parameter",
            "Invalid query parameter",
            detail,
        );
        error.0.problem.parameter = Some(parameter.to_owned());
        error
    }

    /// 400: a parameter takes one of a closed set of values, listed in `allowed`.
    pub fn invalid_parameter_allowing(
        req: &HttpRequest,
        parameter: &str,
        detail: String,
        allowed: Vec<String>,
    ) -> ApiError {
        let mut error = ApiError::invalid_parameter(req, parameter, detail);
        error.0.problem.allowed = Some(allowed);
        error
    }

    /// 400: a parameter takes one of a closed set of values.
    pub fn not_one_of(
        req: &HttpRequest,
        parameter: &str,
        value: &str,
        allowed: Vec<String>,
    ) -> ApiError {
        let detail = format!(
            "`{parameter}` must be one of {}, got `{value}`",
            allowed.join(", ")
        );
        let mut error = ApiError::invalid_parameter(req, parameter, detail);
        error.0.problem.allowed = Some(allowed);
        error
    }

    /// 400: the query names a parameter the operation does not have.
    pub fn unknown_parameter(req: &HttpRequest, parameter: &str, allowed: &[&str]) -> ApiError {
        let mut error = ApiError::new(
            req,
            StatusCode::BAD_REQUEST,
            "urn:stackatlas:problem:unknown-parameter",
            "Unknown query parameter",
            format!(
                "`{parameter}` is not a parameter of this operation; it accepts {}",
                if allowed.is_empty() {
                    "no parameters".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        );
        error.0.problem.parameter = Some(parameter.to_owned());
        error.0.problem.allowed = Some(allowed.iter().map(|s| (*s).to_owned()).collect());
        error
    }

    /// 404: no technology has this id or alias.
    pub fn unknown_technology(req: &HttpRequest, id: &str) -> ApiError {
        let mut error = ApiError::new(
            req,
            StatusCode::NOT_FOUND,
            "urn:stackatlas:problem:unknown-technology",
            "Technology not found",
            format!("no technology has the id or alias `{id}`; list them at /v1/technologies"),
        );
        error.0.problem.parameter = Some("id".to_owned());
        error
    }

    /// 404: the technology exists but endoflife.date does not track its releases.
    pub fn no_lifecycle(req: &HttpRequest, id: &str) -> ApiError {
        let mut error = ApiError::new(
            req,
            StatusCode::NOT_FOUND,
            "urn:stackatlas:problem:no-lifecycle",
            "No release lifecycle",
            format!(
                "endoflife.date does not track the release cycles of `{id}`; the entry itself is at /v1/technologies/{id}"
            ),
        );
        error.0.problem.parameter = Some("id".to_owned());
        error
    }

    /// 406: `Accept` names no representation the operation offers.
    pub fn not_acceptable(req: &HttpRequest, offered: &[&str]) -> ApiError {
        let accept = req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut error = ApiError::new(
            req,
            StatusCode::NOT_ACCEPTABLE,
            "urn:stackatlas:problem:not-acceptable",
            "Not Acceptable",
            format!(
                "cannot produce any of `{accept}`; offered: {}",
                offered.join(", ")
            ),
        );
        error.0.problem.parameter = Some("Accept".to_owned());
        error.0.problem.allowed = Some(offered.iter().map(|s| (*s).to_owned()).collect());
        error
    }

    /// 414: the query string is longer than the server accepts.
    pub fn uri_too_long(req: &HttpRequest, max: usize) -> ApiError {
        let length = req.query_string().len();
        let mut error = ApiError::new(
            req,
            StatusCode::URI_TOO_LONG,
            "urn:stackatlas:problem:query-too-long",
            "URI Too Long",
            format!("the query string is {length} bytes; this server accepts at most {max}"),
        );
        // Echoing a huge target back would defeat the limit.
        error.0.problem.instance = req.path().chars().take(200).collect();
        error
    }

    /// 413: requests to this API carry no content.
    pub fn content_not_allowed(req: &HttpRequest) -> ApiError {
        ApiError::new(
            req,
            StatusCode::PAYLOAD_TOO_LARGE,
            "urn:stackatlas:problem:content-not-allowed",
            "Content Too Large",
            "this API only reads: its requests carry no content".to_owned(),
        )
    }

    /// 429: the client used its request budget (on `instance`, the target).
    pub fn rate_limited(instance: String, detail: String) -> ApiError {
        ApiError::at(
            instance,
            StatusCode::TOO_MANY_REQUESTS,
            "urn:stackatlas:problem:rate-limited",
            "Too Many Requests",
            detail,
        )
    }

    /// 404: nothing is served at this path.
    pub fn route_not_found(req: &HttpRequest) -> ApiError {
        ApiError::new(
            req,
            StatusCode::NOT_FOUND,
            "about:blank",
            "Not Found",
            format!(
                "nothing is served at `{}`; the index at / lists every endpoint",
                req.path()
            ),
        )
    }

    /// 405: the path exists but not for this method.
    pub fn method_not_allowed(req: &HttpRequest, allow: &'static str) -> ApiError {
        let mut error = ApiError::new(
            req,
            StatusCode::METHOD_NOT_ALLOWED,
            "about:blank",
            "Method Not Allowed",
            format!(
                "`{}` is not allowed on `{}`; allowed: {allow}",
                req.method(),
                req.path()
            ),
        );
        error.0.allow = Some(allow);
        error
    }

    /// 400: a CORS preflight asked for what this API does not allow (an origin off
    /// the allow-list, a method other than GET or HEAD); `detail` says which.
    pub fn cors_refused(req: &HttpRequest, detail: String) -> ApiError {
        ApiError::new(
            req,
            StatusCode::BAD_REQUEST,
            "urn:stackatlas:problem:cors-refused",
            "CORS Request Refused",
            detail,
        )
    }

    /// 500: an unexpected failure. The cause goes to the log, never to the client.
    pub fn internal(req: &HttpRequest, cause: &dyn fmt::Display) -> ApiError {
        log::error!("internal error on {}: {cause}", instance(req));
        ApiError::new(
            req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "about:blank",
            "Internal Server Error",
            "the server failed to answer this request; the failure has been logged".to_owned(),
        )
    }

    /// The problem this error renders.
    pub fn problem(&self) -> &ProblemDetails {
        &self.0.problem
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.problem.status, self.0.problem.title, self.0.problem.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.0.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(allow) = self.0.allow {
            response.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
        }
        match serde_json::to_vec(&self.0.problem) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}
