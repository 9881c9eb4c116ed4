//! The answer memo: answers already made, kept by their key (the XXH3 of the
//! catalogue's fingerprint, the day and the request target — the ETag's value), so a
//! hot request is a lookup and a byte copy. A layer of the HTTP side: the catalogue
//! snapshot knows nothing of it.
//!
//! The memo is bounded by bytes and evicts (`quick_cache`, weighted by each
//! answer's size): a new catalogue or a new day makes new keys, and the old answers
//! age out as new ones come, instead of the memo filling once and keeping what it
//! has.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use actix_web::http::header::{HeaderName, HeaderValue, HttpDate};
use arc_swap::ArcSwap;
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::snapshot::Snapshot;

/// Most bytes of answers the memo keeps (bodies, with room for their compressed
/// copies).
pub const MEMO_BYTES: u64 = 8 * 1024 * 1024;
/// Largest single answer worth memoizing; a larger one is streamed as it is made.
pub const MEMO_MAX_ANSWER: usize = 1024 * 1024;
/// Answers the memo expects to hold, for sizing its tables.
const MEMO_ITEMS: usize = 4096;

/// Weighs an answer by its bytes: the body counted twice, for the compressed
/// copies made on demand beside it (each is a fraction of the body), plus its
/// headers.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<u64, Arc<Memo>> for ByBytes {
    fn weight(&self, _key: &u64, memo: &Arc<Memo>) -> u64 {
        (2 * memo.body.len() + 256) as u64
    }
}

/// Answers already made, by key; and the `Last-Modified` value of the catalogue
/// being served.
pub struct AnswerMemo {
    answers: Cache<u64, Arc<Memo>, ByBytes>,
    /// (the snapshot's fingerprint, its `Last-Modified` value), made once per
    /// catalogue.
    last_modified: ArcSwap<(u64, HeaderValue)>,
}

impl Default for AnswerMemo {
    fn default() -> Self {
        AnswerMemo {
            answers: Cache::with_weighter(MEMO_ITEMS, MEMO_BYTES, ByBytes),
            last_modified: ArcSwap::from_pointee((0, http_date(SystemTime::UNIX_EPOCH))),
        }
    }
}

impl AnswerMemo {
    /// The answer made for `key`, if it is still kept.
    pub fn get(&self, key: u64) -> Option<Arc<Memo>> {
        self.answers.get(&key)
    }

    /// Keeps `memo` under `key` when it is small enough, evicting what is least
    /// likely to be asked again when the memo is full.
    pub fn insert(&self, key: u64, memo: Arc<Memo>) {
        if memo.body.len() <= MEMO_MAX_ANSWER {
            self.answers.insert(key, memo);
        }
    }

    /// The `Last-Modified` value of `snapshot`'s catalogue.
    pub fn last_modified(&self, snapshot: &Snapshot) -> HeaderValue {
        let current = self.last_modified.load();
        if current.0 == snapshot.fingerprint {
            return current.1.clone();
        }
        let value = http_date(snapshot.last_modified);
        self.last_modified
            .store(Arc::new((snapshot.fingerprint, value.clone())));
        value
    }

    /// Bytes the kept answers weigh.
    pub fn weight(&self) -> u64 {
        self.answers.weight()
    }
}

fn http_date(time: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&HttpDate::from(time).to_string())
        .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// A memoized answer: its bytes, media type and headers, ready to copy into a
/// response, and its compressed forms once asked for.
#[derive(Debug)]
pub struct Memo {
    /// Its `ETag`.
    pub etag: HeaderValue,
    /// The answer's body.
    pub body: Bytes,
    /// Its `Content-Type`.
    pub content_type: HeaderValue,
    /// Its `Vary`.
    pub vary: HeaderValue,
    /// Extra headers that belong to the answer (`Link`, `X-Total-Count`).
    pub headers: Box<[(HeaderName, HeaderValue)]>,
    /// The route pattern that made it (for metrics), when one matched.
    pub route: Option<Box<str>>,
    /// The body compressed with each [`Coding`], made on first demand.
    encoded: [OnceLock<Option<Bytes>>; 3],
}

/// A content coding answers are stored in besides identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `br` (quality 5).
    Brotli = 0,
    /// `gzip` (level 6).
    Gzip = 1,
    /// `zstd` (level 3).
    Zstd = 2,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub fn header_value(self) -> HeaderValue {
        const BR: HeaderValue = HeaderValue::from_static("br");
        const GZIP: HeaderValue = HeaderValue::from_static("gzip");
        const ZSTD: HeaderValue = HeaderValue::from_static("zstd");
        match self {
            Coding::Brotli => BR,
            Coding::Gzip => GZIP,
            Coding::Zstd => ZSTD,
        }
    }

    fn encode(self, body: &[u8]) -> Option<Bytes> {
        use std::io::Write;
        let mut out = Vec::with_capacity(body.len() / 4 + 64);
        let written = match self {
            Coding::Brotli => {
                let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                writer.write_all(body).and_then(|()| writer.flush())
            }
            Coding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(&mut out, flate2::Compression::new(6));
                encoder
                    .write_all(body)
                    .and_then(|()| encoder.finish().map(drop))
            }
            Coding::Zstd => zstd::stream::copy_encode(body, &mut out, 3),
        };
        // Writing to memory does not fail; should it, the answer goes unencoded.
        written.ok().map(|()| Bytes::from(out))
    }
}

impl Memo {
    /// The body compressed with `coding`: compressed once, on first demand (`None`
    /// if compressing failed).
    pub fn encoded(&self, coding: Coding) -> Option<Bytes> {
        self.encoded[coding as usize]
            .get_or_init(|| coding.encode(&self.body))
            .clone()
    }

    /// A memo of `body`.
    pub fn new(
        etag: HeaderValue,
        body: Bytes,
        content_type: HeaderValue,
        vary: HeaderValue,
        headers: Box<[(HeaderName, HeaderValue)]>,
        route: Option<Box<str>>,
    ) -> Memo {
        Memo {
            etag,
            body,
            content_type,
            vary,
            headers,
            route,
            encoded: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Arc<Memo> {
        Arc::new(Memo::new(
            HeaderValue::from_static("W/\"0\""),
            Bytes::from(vec![b'x'; bytes]),
            HeaderValue::from_static("application/json"),
            HeaderValue::from_static("Accept-Encoding"),
            Box::default(),
            None,
        ))
    }

    /// The memo never holds more than its budget, keeps answering what was just
    /// made when full (old answers are evicted, not new ones refused), and never
    /// keeps an answer over the size limit.
    #[test]
    fn the_memo_is_bounded_by_bytes_and_evicts() {
        let memo = AnswerMemo::default();
        for key in 0..400u64 {
            memo.insert(key, answer(100 * 1024));
            assert!(memo.weight() <= MEMO_BYTES, "{} bytes", memo.weight());
        }
        assert!(memo.get(399).is_some(), "the newest answer is kept");
        let kept = (0..400u64).filter(|&key| memo.get(key).is_some()).count();
        assert!(kept < 400 && kept > 10, "{kept} answers kept");
        memo.insert(1_000, answer(MEMO_MAX_ANSWER + 1));
        assert!(memo.get(1_000).is_none(), "too large to keep");
    }
}
