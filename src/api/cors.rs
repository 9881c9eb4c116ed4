//! Cross-origin reads (CORS): any origin by default, or an allow-list. Applied by
//! the edge middleware to every answer, errors included, so a script on another
//! origin can read every problem it gets.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// How long browsers may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: u32 = 86_400;

/// Which origins may read answers from scripts.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    /// Allowed origins; empty means any origin.
    origins: Vec<HeaderValue>,
    /// `Access-Control-Expose-Headers`.
    exposed: HeaderValue,
}

impl CorsPolicy {
    /// A policy admitting `origins` (any origin when empty) and exposing `exposed`.
    pub fn new(origins: &[String], exposed: &[&str]) -> CorsPolicy {
        CorsPolicy {
            origins: origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            exposed: HeaderValue::from_str(&exposed.join(", "))
                .unwrap_or(HeaderValue::from_static("")),
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`: `*` for
    /// any origin (the answer is then the same for every origin, so shared caches
    /// need no `Vary: Origin`), the origin itself when it is on the allow-list.
    fn allowed(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        if self.origins.is_empty() {
            const ANY: HeaderValue = HeaderValue::from_static("*");
            Some(ANY)
        } else {
            origin.filter(|o| self.origins.contains(o)).cloned()
        }
    }

    /// Adds the CORS fields of an actual (non-preflight) answer.
    pub fn actual(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if let Some(allowed) = self.allowed(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        }
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, self.exposed.clone());
        if !self.origins.is_empty() {
            add_vary(headers, "Origin");
        }
    }

    /// The answer to a preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`): 204 allowing GET, HEAD and OPTIONS with any
    /// request header, cached for a day; without `Access-Control-Allow-Origin` for
    /// an origin off the allow-list, which the browser then refuses.
    pub fn preflight(&self, request: &HeaderMap) -> HttpResponse {
        let mut response = HttpResponse::NoContent();
        response
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(super::ALLOWED_METHODS),
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
            .insert_header((
                header::VARY,
                HeaderValue::from_static(
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                ),
            ));
        if let Some(requested) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            response.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone()));
        }
        response.finish()
    }
}

/// Adds `name` to the answer's `Vary` unless it is listed already.
fn add_vary(headers: &mut HeaderMap, name: &str) {
    let value = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(current)
            if current
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case(name)) =>
        {
            return;
        }
        Some(current) if !current.trim().is_empty() => format!("{current}, {name}"),
        _ => name.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}
