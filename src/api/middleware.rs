//! Cross-cutting HTTP behaviour: request ids, security headers, method and size
//! limits, metrics, and the rate limiter's keys and headers.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_extensible_rate_limit::backend::SimpleOutput;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};

use super::AppState;
use super::problem::ApiError;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, kept in its extensions for handlers and logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

/// True for a client-sent id worth keeping: 1 to 128 characters of letters,
/// digits, `-`, `_`, `.`, `:`.
fn sane_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A new id: a per-process random prefix and a counter, 32 hex digits.
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        hasher.finish()
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let text = format!("{prefix:016x}{count:016x}");
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("0"))
}

/// Content-Security-Policy of API answers.
const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'";
/// Content-Security-Policy of Swagger UI: its own vendored files only.
const CSP_SWAGGER: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Content-Security-Policy of the landing page: inline styles only.
const CSP_LANDING: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Gives every answer a request id, security headers and a metrics sample; answers
/// methods other than GET, HEAD and OPTIONS with 405, over-long query strings with
/// 414, and request content with 413; answers HEAD like GET.
pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| sane_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let max_query = state
        .as_ref()
        .map(|s| s.settings.max_query_length)
        .unwrap_or(usize::MAX);

    let refusal = if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        Some(ApiError::method_not_allowed(
            req.request(),
            super::ALLOWED_METHODS,
        ))
    } else if req.query_string().len() > max_query {
        Some(ApiError::uri_too_long(req.request(), max_query))
    } else if has_content(req.headers()) {
        Some(ApiError::content_not_allowed(req.request()))
    } else {
        None
    };

    let mut response = match refusal {
        Some(error) => {
            let response = error.error_response();
            req.into_response(response)
                .map_into_boxed_body()
                .map_into_right_body()
        }
        None if req.method() == Method::OPTIONS && !is_preflight(req.headers()) => {
            let response = HttpResponse::NoContent()
                .insert_header((header::ALLOW, super::ALLOWED_METHODS))
                .finish();
            req.into_response(response)
                .map_into_boxed_body()
                .map_into_right_body()
        }
        None if req.method() == Method::OPTIONS => {
            // A CORS preflight: answered by the CORS layer inside; also list the
            // headers scripts may read, as the actual answers do.
            let mut response = next
                .call(req)
                .await?
                .map_body(|_, body| body.boxed())
                .map_into_left_body();
            if let Ok(exposed) = HeaderValue::from_str(&super::EXPOSED_HEADERS.join(", ")) {
                response
                    .headers_mut()
                    .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
            }
            response
        }
        None => {
            if req.method() == Method::HEAD {
                // The HTTP layer remembers the request was HEAD and sends no body.
                req.head_mut().method = Method::GET;
            }
            let response = next.call(req).await?;
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                // The limiter knows the budget but not the request: answer the
                // problem here, keeping its headers.
                let (request, limited) = response.into_parts();
                let detail = limited
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(|seconds| {
                        format!("this client used its request budget; retry in {seconds} s")
                    })
                    .unwrap_or_else(|| "this client used its request budget".to_owned());
                let mut problem = ApiError::rate_limited(&request, detail).error_response();
                for (name, value) in limited.headers() {
                    if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                        problem.headers_mut().insert(name.clone(), value.clone());
                    }
                }
                ServiceResponse::new(request, problem)
                    .map_into_boxed_body()
                    .map_into_right_body()
            } else {
                response
                    .map_body(|_, body| body.boxed())
                    .map_into_left_body()
            }
        }
    };

    let path = response.request().path();
    let csp = if path.starts_with("/swagger-ui") {
        CSP_SWAGGER
    } else if response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        CSP_LANDING
    } else {
        CSP_API
    };
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, request_id);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(state) = state {
        let pattern = response.request().match_pattern();
        state.metrics.observe(
            pattern.as_deref(),
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(response)
}

fn is_preflight(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn has_content(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The rate-limit key of a request: the client's address — the peer's, or with
/// `trust_forwarded_for` the last address in `X-Forwarded-For` (the one the trusted
/// proxy appended).
pub fn client_key(req: &ServiceRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
    {
        return forwarded.to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers, structured
/// field form): `RateLimit-Policy: "default";q=…;w=…` and `RateLimit:
/// "default";r=…;t=…`.
pub fn rate_limit_headers(
    map: &mut HeaderMap,
    output: &SimpleOutput,
    window_seconds: u64,
    refunded: bool,
) {
    let remaining = if refunded {
        output.remaining + 1
    } else {
        output.remaining
    }
    .min(output.limit);
    let reset = output
        .reset
        .saturating_duration_since(actix_web::rt::time::Instant::now())
        .as_secs();
    if let Ok(policy) = HeaderValue::from_str(&format!(
        "\"default\";q={};w={window_seconds}",
        output.limit
    )) {
        map.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"default\";r={remaining};t={reset}")) {
        map.insert(HeaderName::from_static("ratelimit"), value);
    }
}

/// The limiter's 429: `Retry-After` and the rate-limit fields; the edge middleware
/// turns it into a problem naming the request.
pub fn rate_limited(output: &SimpleOutput, window_seconds: u64) -> HttpResponse {
    let reset = output
        .reset
        .saturating_duration_since(actix_web::rt::time::Instant::now())
        .as_secs()
        .max(1);
    let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header((header::RETRY_AFTER, reset.to_string()))
        .finish();
    rate_limit_headers(response.headers_mut(), output, window_seconds, false);
    response
}
