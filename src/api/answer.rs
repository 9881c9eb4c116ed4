//! Cacheable answers: every successful GET goes through [`Cacheable::respond`],
//! which gives it a weak `ETag`, `Last-Modified`, `Cache-Control` and `Vary`,
//! answers `304 Not Modified` to a matching `If-None-Match` (or, without one, to an
//! `If-Modified-Since` not older than the catalogue), and reuses memoized bytes.
//!
//! An answer is a function of the catalogue snapshot, the request target (and the
//! negotiated variant) and the day (lifecycle status changes with the date), so its
//! validator is a hash of those: revalidation never builds the body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue, HttpDate};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;

use super::problem::ApiError;
use crate::catalogue::Date;
use crate::snapshot::{Memo, Snapshot};

/// Media type of JSON answers.
pub const JSON: &str = "application/json";

/// Caching policy for successful answers.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    /// The `Cache-Control` value of successful answers.
    pub cache_control: HeaderValue,
}

impl CachePolicy {
    /// `public, max-age=…, stale-while-revalidate=…`.
    pub fn new(max_age: u32, stale_while_revalidate: u32) -> CachePolicy {
        let value =
            format!("public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}");
        CachePolicy {
            cache_control: HeaderValue::from_str(&value)
                .unwrap_or(HeaderValue::from_static("no-cache")),
        }
    }
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy::new(300, 86_400)
    }
}

/// A freshly built answer body with its extra headers.
pub struct Built {
    /// The body.
    pub body: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// Extra headers (e.g. `Link`, `X-Total-Count`).
    pub headers: Vec<(&'static str, String)>,
}

impl Built {
    /// A JSON body without extra headers.
    pub fn json<T: serde::Serialize>(req: &HttpRequest, value: &T) -> Result<Built, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::internal(req, &e))?;
        Ok(Built {
            body,
            content_type: JSON,
            headers: Vec::new(),
        })
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Built {
        self.headers.push((name, value));
        self
    }
}

/// One request's cacheable answer.
pub struct Cacheable<'a> {
    req: &'a HttpRequest,
    snapshot: &'a Snapshot,
    policy: &'a CachePolicy,
    vary: &'static str,
    key: u64,
    today: Date,
}

impl<'a> Cacheable<'a> {
    /// Prepares the answer to `req` from `snapshot`; `variant` names a negotiated
    /// representation (empty when there is one only).
    pub fn new(
        req: &'a HttpRequest,
        snapshot: &'a Snapshot,
        policy: &'a CachePolicy,
        variant: &str,
    ) -> Cacheable<'a> {
        let target = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let today = Date::today();
        let key = if variant.is_empty() {
            snapshot.answer_key(target, today)
        } else {
            snapshot.answer_key(&format!("{target}\u{0}{variant}"), today)
        };
        Cacheable {
            req,
            snapshot,
            policy,
            vary: "Accept-Encoding",
            key,
            today,
        }
    }

    /// Declares that the answer also varies by `Accept`.
    pub fn varying_by_accept(mut self) -> Self {
        self.vary = "Accept, Accept-Encoding";
        self
    }

    fn etag(&self) -> String {
        format!("W/\"{:016x}\"", self.key)
    }

    fn not_modified(&self, etag: &str) -> bool {
        if let Some(value) = self.req.headers().get(header::IF_NONE_MATCH) {
            let Ok(text) = value.to_str() else {
                return false;
            };
            // Weak comparison (RFC 9110 §13.1.2): opaque tags match with or without W/.
            let ours = etag.trim_start_matches("W/");
            return text
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
        }
        if let Some(since) = self
            .req
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<HttpDate>().ok())
        {
            return whole_seconds(self.snapshot.last_modified) <= SystemTime::from(since);
        }
        false
    }

    fn headers(&self, builder: &mut HttpResponseBuilder, etag: &str) {
        builder
            .insert_header((header::ETAG, etag.to_owned()))
            .insert_header((header::CACHE_CONTROL, self.policy.cache_control.clone()))
            .insert_header((
                header::LAST_MODIFIED,
                HttpDate::from(self.snapshot.last_modified),
            ))
            .insert_header((header::VARY, HeaderValue::from_static(self.vary)));
    }

    /// Answers `304` when the client's copy is current, else the memoized or freshly
    /// built body.
    pub fn respond(
        self,
        build: impl FnOnce() -> Result<Built, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        let etag = self.etag();
        if self.not_modified(&etag) {
            let mut builder = HttpResponse::build(StatusCode::NOT_MODIFIED);
            self.headers(&mut builder, &etag);
            return Ok(builder.finish());
        }
        let memo = match self.snapshot.memo(self.key) {
            Some(memo) => memo,
            None => {
                let built = build()?;
                let memo = Memo {
                    body: Bytes::from(built.body),
                    content_type: built.content_type,
                    headers: built.headers.into(),
                };
                self.snapshot.remember(self.key, memo.clone(), self.today);
                memo
            }
        };
        let mut builder = HttpResponse::Ok();
        self.headers(&mut builder, &etag);
        builder.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(memo.content_type),
        ));
        for (name, value) in memo.headers.iter() {
            if let Ok(value) = HeaderValue::from_str(value) {
                builder.insert_header((HeaderName::from_static(name), value));
            }
        }
        Ok(builder.body(memo.body))
    }
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(seconds)
}
