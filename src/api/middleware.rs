//! Cross-cutting HTTP behaviour in one layer: request ids, security headers, CORS,
//! method and size limits, rate limiting, metrics, the access log, and answers from
//! the memo.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use std::net::IpAddr;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use super::problem::ApiError;
use super::{AppState, answer};

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (i, byte) in prefix
        .to_be_bytes()
        .into_iter()
        .chain(count.to_be_bytes())
        .enumerate()
    {
        text[2 * i] = HEX[usize::from(byte >> 4)];
        text[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("0"))
}

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");
const DENY: HeaderValue = HeaderValue::from_static("DENY");
/// Content-Security-Policy of API answers.
const CSP_API: HeaderValue = HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'");
/// Content-Security-Policy of Swagger UI: its own vendored files only.
const CSP_SWAGGER: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);
/// Content-Security-Policy of the embed example (`/embed/`): its script from this
/// origin, its inline styles, and requests to this origin only.
const CSP_EMBED: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);
/// Content-Security-Policy of the landing page: inline styles only.
const CSP_LANDING: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);

/// The one middleware every request passes: gives every answer a request id,
/// security headers, CORS headers, the rate-limit fields, a metrics sample and an
/// access-log line; answers methods other than GET, HEAD and OPTIONS with 405,
/// over-long query strings with 414, request content with 413, CORS preflights
/// itself; charges `/v1` requests to the client's rate budget (429 when spent,
/// refunded for 304); answers HEAD like GET; and answers a request whose target was
/// answered before from the snapshot's memo without routing it
/// ([`answer::from_memo`]).
pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next
            .call(req)
            .await?
            .map_into_boxed_body()
            .map_into_left_body());
    };
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| sane_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    let log = state.settings.access_log && crate::logging::access_enabled();
    let method = log.then(|| req.method().clone());
    let client = client_address(&req, state.settings.trust_forwarded_for).map(ip_text);
    let origin = req.headers().get(header::ORIGIN).cloned();
    let max_query = state.settings.max_query_length;

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

    let mut route: Option<Box<str>> = None;
    let mut response = match refusal {
        Some(error) => req
            .into_response(error.error_response())
            .map_into_right_body(),
        None if req.method() == Method::OPTIONS => {
            let response = if is_preflight(req.headers()) {
                state.cors.preflight(req.headers())
            } else {
                HttpResponse::NoContent()
                    .insert_header((header::ALLOW, super::ALLOWED_METHODS))
                    .finish()
            };
            req.into_response(response).map_into_right_body()
        }
        None => {
            if req.method() == Method::HEAD {
                // The HTTP layer remembers the request was HEAD and sends no body.
                req.head_mut().method = Method::GET;
            }
            let charge = match &state.limiter {
                Some(limiter) if is_rate_limited(req.path()) => {
                    Some((limiter, limiter.charge(client.clone()).await))
                }
                _ => None,
            };
            match charge {
                Some((limiter, charge)) if !charge.allowed => {
                    let retry = limiter.seconds_to_reset(&charge).max(1);
                    let detail = format!("this client used its request budget; retry in {retry} s");
                    let mut problem =
                        ApiError::rate_limited(req.request(), detail).error_response();
                    let headers = problem.headers_mut();
                    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
                    limiter.headers(headers, &charge, false);
                    req.into_response(problem).map_into_right_body()
                }
                charge => {
                    let snapshot = state.snapshots.current();
                    let mut response = match answer::from_memo(req.request(), &snapshot, &state) {
                        Some((answer, pattern)) => {
                            route = pattern;
                            req.into_response(answer).map_into_right_body()
                        }
                        None => next
                            .call(req)
                            .await?
                            .map_body(|_, body| body.boxed())
                            .map_into_left_body(),
                    };
                    if let Some((limiter, charge)) = charge {
                        // A revalidation that costs the server nothing costs the
                        // client nothing.
                        let refund = response.status() == StatusCode::NOT_MODIFIED;
                        if refund {
                            limiter.refund(&charge).await;
                        }
                        limiter.headers(response.headers_mut(), &charge, refund);
                    }
                    response
                }
            }
        }
    };

    let path = response.request().path();
    let csp = if path.starts_with("/swagger-ui") {
        CSP_SWAGGER
    } else if path == "/embed/" {
        CSP_EMBED
    } else if response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        CSP_LANDING
    } else {
        CSP_API
    };
    let status = response.status();
    let headers = response.headers_mut();
    state.cors.actual(origin.as_ref(), headers);
    headers.insert(REQUEST_ID, request_id.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    headers.insert(header::REFERRER_POLICY, NO_REFERRER);
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_FRAME_OPTIONS, DENY);
    let elapsed = started.elapsed();
    match route {
        Some(pattern) => state
            .metrics
            .observe(Some(&pattern), status.as_u16(), elapsed),
        None => {
            let pattern = response.request().match_pattern();
            state
                .metrics
                .observe(pattern.as_deref(), status.as_u16(), elapsed)
        }
    }
    if let Some(method) = method {
        let size = match response.response().body().size() {
            BodySize::Sized(n) => Some(n),
            _ => None,
        };
        crate::logging::access(&crate::logging::AccessRecord {
            client: client.as_deref(),
            method: &method,
            target: response
                .request()
                .uri()
                .path_and_query()
                .map_or("/", |pq| pq.as_str()),
            version: response.request().version(),
            status: status.as_u16(),
            size,
            elapsed,
            request_id: &request_id,
            user_agent: response.request().headers().get(header::USER_AGENT),
        });
    }
    Ok(response)
}

/// An address as text, IPv4 without the formatting machinery (this runs for every
/// request).
fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let mut text = String::with_capacity(15);
            let mut digits = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text.push('.');
                }
                text.push_str(digits.format(octet));
            }
            text
        }
        IpAddr::V6(v6) => v6.to_string(),
    }
}

fn is_rate_limited(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
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

/// The client's address: the peer's, or with `trust_forwarded_for` the last
/// address in `X-Forwarded-For` (the one the trusted proxy appended).
pub fn client_address(req: &ServiceRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<IpAddr>().ok())
    {
        return Some(forwarded);
    }
    req.peer_addr().map(|a| a.ip())
}
