//! Cacheable answers: every successful GET goes through [`Cacheable::respond`],
//! which gives it a weak `ETag`, `Last-Modified`, `Cache-Control` and `Vary`,
//! answers `304 Not Modified` to a matching `If-None-Match` (or, without one, to an
//! `If-Modified-Since` not older than the catalogue), and reuses memoized bytes.
//!
//! An answer is a function of the catalogue snapshot, the request target (and the
//! negotiated variant) and the day (lifecycle status changes with the date), so its
//! validator is a hash of those: revalidation never builds the body.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, AcceptEncoding, Encoding, Header, HeaderMap, HeaderName, HeaderValue, HttpDate,
};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use bytes::Bytes;

use super::AppState;
use super::memo::{AnswerMemo, Coding, Front, Head, Memo};
use super::problem::ApiError;
use crate::catalogue::Date;
use crate::snapshot::Snapshot;

/// `Vary` of answers negotiated by `Accept-Encoding` only.
const VARY_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");
/// `Vary` of answers negotiated by `Accept` and `Accept-Encoding`.
const VARY_ACCEPT: HeaderValue = HeaderValue::from_static("Accept, Accept-Encoding");

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

/// An answer body too large to keep in the memo: its media type, extra headers and
/// its bytes as a stream (made as the client reads them; compressed on the fly by
/// `Compress` when the client asks).
pub struct Streamed {
    /// Its media type.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The bytes.
    pub body: BoxBody,
}

/// A freshly made answer: whole (memoized when small enough) or streamed.
pub enum Fresh {
    /// The whole body, in memory.
    Whole(Built),
    /// A body made while it is sent.
    Streamed(Streamed),
}

/// One request's cacheable answer.
pub struct Cacheable<'a> {
    req: &'a HttpRequest,
    snapshot: &'a Snapshot,
    policy: &'a CachePolicy,
    memo: &'a AnswerMemo,
    vary: HeaderValue,
    key: u64,
}

/// The key of a request's answer (no negotiated variant), kept in the request's
/// extensions by the first layer that computes it, so it is computed once.
#[derive(Debug, Clone, Copy)]
struct AnswerKey {
    fingerprint: u64,
    day: i64,
    key: u64,
}

impl<'a> Cacheable<'a> {
    /// Prepares the answer to `req` from `snapshot`; `variant` names a negotiated
    /// representation (empty when there is one only).
    pub fn new(
        req: &'a HttpRequest,
        snapshot: &'a Snapshot,
        state: &'a AppState,
        variant: &str,
    ) -> Cacheable<'a> {
        let today = Date::today();
        let key = if variant.is_empty() {
            answer_key(req, snapshot, today)
        } else {
            snapshot.answer_key(&format!("{}\u{0}{variant}", target(req)), today)
        };
        Cacheable {
            req,
            snapshot,
            policy: &state.cache,
            memo: &state.memo,
            vary: VARY_ENCODING,
            key,
        }
    }

    /// Declares that the answer also varies by `Accept`.
    pub fn varying_by_accept(mut self) -> Self {
        self.vary = VARY_ACCEPT;
        self
    }

    fn etag(&self) -> String {
        format!("W/\"{:016x}\"", self.key)
    }

    fn not_modified(&self, etag: &str) -> bool {
        if self.req.headers().contains_key(header::IF_NONE_MATCH) {
            // Weak comparison (RFC 9110 §13.1.2): opaque tags match with or without W/.
            let Ok(ours) = etag.parse::<header::EntityTag>() else {
                return false;
            };
            return none_match(self.req, &ours);
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

    /// The validators and caching headers of an answer made now (not memoized).
    fn head(&self, etag: HeaderValue, vary: HeaderValue) -> Head {
        Head {
            etag,
            content_type: HeaderValue::from_static(JSON),
            vary,
            cache_control: self.policy.cache_control.clone(),
            last_modified: self.memo.last_modified(self.snapshot),
            headers: Box::default(),
        }
    }

    /// Answers `304` when the client's copy is current, else the memoized or freshly
    /// built body.
    pub fn respond(
        self,
        build: impl FnOnce() -> Result<Built, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        self.respond_fresh(|| build().map(Fresh::Whole))
    }

    /// As [`Cacheable::respond`], for an answer that may be too large to build
    /// whole: a streamed answer has the same validators and headers, no
    /// `Content-Length`, and is not memoized.
    pub fn respond_fresh(
        self,
        build: impl FnOnce() -> Result<Fresh, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        let etag = self.etag();
        if self.not_modified(&etag) {
            return Ok(not_modified_answer(
                &self.head(etag_value(etag), self.vary.clone()),
            ));
        }
        let memo = match self.memo.get(self.key) {
            Some(memo) => memo,
            None => {
                let built = match build()? {
                    Fresh::Whole(built) => built,
                    Fresh::Streamed(streamed) => {
                        return Ok(self.stream(etag_value(etag), streamed));
                    }
                };
                let head = Head {
                    content_type: HeaderValue::from_static(built.content_type),
                    headers: header_pairs(built.headers),
                    ..self.head(etag_value(etag), self.vary.clone())
                };
                let memo = Arc::new(Memo::new(
                    head,
                    Bytes::from(built.body),
                    self.req.match_pattern(),
                ));
                self.memo.insert(self.key, memo.clone());
                memo
            }
        };
        let coding = negotiate(self.req).unwrap_or(None);
        Ok(serve(&memo, coding))
    }

    /// A streamed answer.
    fn stream(&self, etag: HeaderValue, streamed: Streamed) -> HttpResponse {
        let mut response = HttpResponse::Ok().body(streamed.body);
        let headers = response.headers_mut();
        caching_headers(headers, &self.head(etag, self.vary.clone()));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(streamed.content_type),
        );
        for (name, value) in header_pairs(streamed.headers) {
            headers.insert(name, value);
        }
        response
    }
}

/// `ETag`, `Cache-Control`, `Last-Modified` and `Vary` from `head`.
fn caching_headers(headers: &mut HeaderMap, head: &Head) {
    headers.insert(header::ETAG, head.etag.clone());
    headers.insert(header::CACHE_CONTROL, head.cache_control.clone());
    headers.insert(header::LAST_MODIFIED, head.last_modified.clone());
    headers.insert(header::VARY, head.vary.clone());
}

/// `304 Not Modified` with `head`'s validators and caching headers.
fn not_modified_answer(head: &Head) -> HttpResponse {
    let mut response = HttpResponse::new(StatusCode::NOT_MODIFIED);
    caching_headers(response.headers_mut(), head);
    response
}

/// The answer from `memo`, its body in `coding` (identity when `None`). The
/// headers go straight into the response's map (no builder: this runs for every
/// answer from the memo).
fn serve(memo: &Memo, coding: Option<Coding>) -> HttpResponse {
    // Should compressing ever fail, the body goes as it is (and `Compress`
    // may still encode it).
    let (body, encoding) = match coding.and_then(|coding| Some((coding, memo.encoded(coding)?))) {
        Some((coding, encoded)) => (encoded, Some(coding.header_value())),
        None => (memo.body.clone(), None),
    };
    let mut response = HttpResponse::with_body(StatusCode::OK, body).map_into_boxed_body();
    let headers = response.headers_mut();
    caching_headers(headers, &memo.head);
    headers.insert(header::CONTENT_TYPE, memo.head.content_type.clone());
    for (name, value) in memo.head.headers.iter() {
        headers.insert(name.clone(), value.clone());
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, encoding);
    }
    response
}

/// A built answer's extra headers as header names and values (a value that is
/// not a valid header value is left out).
fn header_pairs(headers: Vec<(&'static str, String)>) -> Box<[(HeaderName, HeaderValue)]> {
    headers
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).ok()?,
            ))
        })
        .collect()
}

fn etag_value(etag: String) -> HeaderValue {
    HeaderValue::try_from(etag).unwrap_or(HeaderValue::from_static("W/\"0\""))
}

/// The codings answers are offered in, in the order of `Compress`'s preference,
/// which negotiation follows for ties.
const OFFERED: [Encoding; 5] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
    Encoding::zstd(),
];

/// What negotiation gave: `Ok(None)` for identity, `Ok(Some(_))` for a stored
/// coding, `Err(())` for what only the `Compress` layer answers.
type Negotiated = Result<Option<Coding>, ()>;

/// How many `Accept-Encoding` values each worker thread remembers the outcome of.
const REMEMBERED_CODINGS: usize = 8;
/// Longest `Accept-Encoding` value remembered.
const LONGEST_REMEMBERED_CODING: usize = 128;

thread_local! {
    /// The last few `Accept-Encoding` values this thread negotiated and their
    /// outcomes, newest first. Clients send the same few values (a browser the same
    /// string on every request), and parsing one into a set of quality items costs
    /// more than the rest of answering from the memo.
    static NEGOTIATED: std::cell::RefCell<Vec<(Box<[u8]>, Negotiated)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The content coding of the answer to `req`: `Ok(None)` for identity,
/// `Ok(Some(_))` for a stored coding, `Err(())` for what only the `Compress` layer
/// answers (`deflate`, or nothing acceptable: 406).
fn negotiate(req: &HttpRequest) -> Negotiated {
    let mut values = req.headers().get_all(header::ACCEPT_ENCODING);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // One header line of a usual length: its outcome is remembered by its bytes.
    let key = (values.next().is_none() && value.len() <= LONGEST_REMEMBERED_CODING)
        .then(|| value.as_bytes());
    if let Some(key) = key
        && let Some(known) = NEGOTIATED.with_borrow(|known| {
            known
                .iter()
                .find(|(value, _)| **value == *key)
                .map(|(_, outcome)| *outcome)
        })
    {
        return known;
    }
    let outcome = negotiate_afresh(req);
    if let Some(key) = key {
        NEGOTIATED.with_borrow_mut(|known| {
            if known.len() == REMEMBERED_CODINGS {
                known.pop();
            }
            known.insert(0, (key.into(), outcome));
        });
    }
    outcome
}

/// [`negotiate`] without the remembered outcomes.
fn negotiate_afresh(req: &HttpRequest) -> Negotiated {
    let Some(accepted) = req.get_header::<AcceptEncoding>() else {
        return Ok(None);
    };
    match accepted.negotiate(OFFERED.iter()) {
        Some(e) if e == Encoding::identity() => Ok(None),
        Some(e) if e == Encoding::brotli() => Ok(Some(Coding::Brotli)),
        Some(e) if e == Encoding::gzip() => Ok(Some(Coding::Gzip)),
        Some(e) if e == Encoding::zstd() => Ok(Some(Coding::Zstd)),
        _ => Err(()),
    }
}

/// Answers `req` from the snapshot's memo without routing it, when the same
/// target (and day) was answered before by its handler: the bytes, headers,
/// validator and 304 logic are exactly those the handler's [`Cacheable`] gives.
/// Returns the answer and the route pattern that first made it, or `None` when the
/// handler must answer (nothing memoized, or a coding only `Compress` makes).
pub fn from_memo(
    req: &HttpRequest,
    snapshot: &Snapshot,
    state: &AppState,
) -> Option<(HttpResponse, Option<&'static str>)> {
    let answer = Cacheable::new(req, snapshot, state, "");
    let Some(coding) = negotiate(req).ok() else {
        // A coding only `Compress` makes: the handler answers.
        return None;
    };
    // This worker's own copy when it has one (see `Front`), else the shared memo's.
    if let Some(memo) = Front::get(answer.key, coding) {
        return Some((answer.from(&memo, coding), memo.route));
    }
    let Some(memo) = state.memo.get(answer.key) else {
        // The handler answers: it takes the key from here.
        keep_answer_key(req, snapshot, answer.key);
        return None;
    };
    Front::offer(answer.key, &memo);
    Some((answer.from(&memo, coding), memo.route))
}

impl Cacheable<'_> {
    /// The answer to this request from `memo`: `304` when the client's copy is
    /// current, else the body in `coding`.
    fn from(&self, memo: &Memo, coding: Option<Coding>) -> HttpResponse {
        let etag = memo.head.etag.to_str().unwrap_or_default();
        if self.not_modified(etag) {
            not_modified_answer(&memo.head)
        } else {
            serve(memo, coding)
        }
    }
}

/// The request target: path and query.
fn target(req: &HttpRequest) -> &str {
    req.uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
}

/// The key of `req`'s answer from `snapshot` on `today`: taken from the request's
/// extensions when the memo layer kept it there (it does when it cannot answer),
/// else computed.
fn answer_key(req: &HttpRequest, snapshot: &Snapshot, today: Date) -> u64 {
    if let Some(known) = req.extensions().get::<AnswerKey>()
        && known.fingerprint == snapshot.fingerprint
        && known.day == today.days_since_epoch()
    {
        return known.key;
    }
    snapshot.answer_key(target(req), today)
}

/// Keeps `key`, the key of `req`'s answer from `snapshot` today, for the handler
/// (an answer from the memo needs no copy of it: keeping it costs an allocation).
fn keep_answer_key(req: &HttpRequest, snapshot: &Snapshot, key: u64) {
    req.extensions_mut().insert(AnswerKey {
        fingerprint: snapshot.fingerprint,
        day: Date::today().days_since_epoch(),
        key,
    });
}

/// Whether `req`'s `If-None-Match` names `ours` (weak comparison, RFC 9110
/// §13.1.2: opaque tags match with or without `W/`) or is `*`. A malformed or absent
/// field matches nothing.
pub(super) fn none_match(req: &HttpRequest, ours: &header::EntityTag) -> bool {
    match header::IfNoneMatch::parse(req) {
        Ok(header::IfNoneMatch::Any) => true,
        Ok(header::IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(ours)),
        Err(_) => false,
    }
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(seconds)
}
