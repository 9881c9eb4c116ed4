//! The answer memo: answers already made, kept by their key (the XXH3 of the
//! catalogue's fingerprint, the day and the request target — the ETag's value), so a
//! hot request is a lookup and a byte copy. A layer of the HTTP side: the catalogue
//! snapshot knows nothing of it.
//!
//! The memo is bounded by bytes and evicts (`quick_cache`, weighted by each
//! answer's size): a new catalogue or a new day makes new keys, and the old answers
//! age out as new ones come, instead of the memo filling once and keeping what it
//! has.

use std::cell::RefCell;
use std::rc::Rc;
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

/// The headers a memoized answer carries, besides those every answer gets.
#[derive(Debug, Clone)]
pub struct Head {
    /// Its `ETag`.
    pub etag: HeaderValue,
    /// Its `Content-Type`.
    pub content_type: HeaderValue,
    /// Its `Vary`.
    pub vary: HeaderValue,
    /// Its `Cache-Control`.
    pub cache_control: HeaderValue,
    /// Its `Last-Modified` (the catalogue's: the key names the catalogue).
    pub last_modified: HeaderValue,
    /// Extra headers that belong to the answer (`Link`, `X-Total-Count`).
    pub headers: Box<[(HeaderName, HeaderValue)]>,
}

impl Head {
    /// A copy that shares no bytes with `self` (see [`Memo::local_copy`]).
    fn local_copy(&self) -> Head {
        Head {
            etag: own(&self.etag),
            content_type: own(&self.content_type),
            vary: own(&self.vary),
            cache_control: own(&self.cache_control),
            last_modified: own(&self.last_modified),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), own(value)))
                .collect(),
        }
    }
}

/// `value` in bytes of its own.
fn own(value: &HeaderValue) -> HeaderValue {
    HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone())
}

/// A memoized answer: its bytes, media type and headers, ready to copy into a
/// response, and its compressed forms once asked for.
#[derive(Debug)]
pub struct Memo {
    /// Its headers.
    pub head: Head,
    /// The answer's body.
    pub body: Bytes,
    /// The route pattern that made it (for metrics), when one matched.
    pub route: Option<&'static str>,
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

    /// Bytes of its body and of the compressed forms made so far.
    fn size(&self) -> usize {
        self.body.len()
            + self
                .encoded
                .iter()
                .filter_map(|made| made.get()?.as_ref())
                .map(Bytes::len)
                .sum::<usize>()
    }

    /// The body compressed with `coding` if it was made already.
    fn encoded_if_made(&self, coding: Coding) -> Option<Bytes> {
        self.encoded[coding as usize].get().cloned().flatten()
    }

    /// A memo of `body` made by the route `route`.
    pub fn new(head: Head, body: Bytes, route: Option<String>) -> Memo {
        Memo {
            head,
            body,
            route: route.map(intern),
            encoded: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    /// A copy in bytes of its own: a worker's copy, whose reference counts only
    /// that worker writes (see [`Front`]). Compressed forms already made are
    /// copied too.
    fn local_copy(&self) -> Memo {
        let copy = |bytes: &Bytes| Bytes::copy_from_slice(bytes);
        Memo {
            head: self.head.local_copy(),
            body: copy(&self.body),
            route: self.route,
            encoded: std::array::from_fn(|i| {
                let made = OnceLock::new();
                if let Some(Some(bytes)) = self.encoded[i].get() {
                    let _ = made.set(Some(copy(bytes)));
                }
                made
            }),
        }
    }
}

/// A route pattern as a `&'static str`: patterns are few (one per route), so each
/// is kept once for the life of the process and memo answers name it without a copy.
fn intern(pattern: String) -> &'static str {
    static PATTERNS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut patterns) = PATTERNS.lock() else {
        return String::leak(pattern);
    };
    if let Some(known) = patterns.iter().find(|known| **known == pattern) {
        return known;
    }
    let kept = String::leak(pattern);
    patterns.push(kept);
    kept
}

/// Most answers a worker keeps copies of in its [`Front`].
const FRONT_ANSWERS: usize = 16;
/// Most bytes of copies (bodies and their compressed forms) a worker's front keeps.
const FRONT_BYTES: usize = 512 * 1024;
/// Largest answer a worker copies into its front.
const FRONT_MAX_ANSWER: usize = 64 * 1024;
/// A shared answer is copied into the front on every `PROMOTE_EVERY`-th time it is
/// served from the shared memo: a hot answer gets there within a few requests, and a
/// worker serving many different answers copies only one in `PROMOTE_EVERY`.
const PROMOTE_EVERY: u32 = 4;

/// A worker's own copies of the answers it serves most, in front of the shared
/// memo. An answer from the shared memo touches counts both workers write (the
/// memo's shard lock, the answer's `Arc`, each header value's and the body's
/// reference count); under load those cache lines move between cores on every
/// request. A copy in the front is the worker's alone. Hottest first; at most
/// [`FRONT_ANSWERS`] answers of at most [`FRONT_MAX_ANSWER`] bytes each, and
/// [`FRONT_BYTES`] in all, per worker (a detail answer is ~10 KiB).
#[derive(Default)]
pub struct Front {
    answers: Vec<(u64, Rc<Memo>)>,
    bytes: usize,
    offers: u32,
}

thread_local! {
    static FRONT: RefCell<Front> = RefCell::new(Front::default());
}

impl Front {
    /// This worker's copy of the answer under `key`, if it has one that holds
    /// `coding` (identity when `None`).
    pub fn get(key: u64, coding: Option<Coding>) -> Option<Rc<Memo>> {
        FRONT.with_borrow_mut(|front| front.find(key, coding))
    }

    /// Tells this worker's front that `memo`, under `key`, was served from the
    /// shared memo; every [`PROMOTE_EVERY`]-th time it keeps a copy.
    pub fn offer(key: u64, memo: &Memo) {
        FRONT.with_borrow_mut(|front| front.consider(key, memo));
    }

    fn find(&mut self, key: u64, coding: Option<Coding>) -> Option<Rc<Memo>> {
        let at = self.answers.iter().position(|(k, _)| *k == key)?;
        let memo = &self.answers[at].1;
        if let Some(coding) = coding
            && memo.encoded_if_made(coding).is_none()
        {
            return None;
        }
        let memo = memo.clone();
        // Newest first: a hit moves one step up, so hot answers stay near the top
        // without moving the whole list on every request.
        if at > 0 {
            self.answers.swap(at, at - 1);
        }
        Some(memo)
    }

    fn consider(&mut self, key: u64, memo: &Memo) {
        if memo.body.len() > FRONT_MAX_ANSWER {
            return;
        }
        self.offers = self.offers.wrapping_add(1);
        if !self.offers.is_multiple_of(PROMOTE_EVERY) {
            return;
        }
        let copy = Rc::new(memo.local_copy());
        let size = copy.size();
        // A copy already kept (lacking a compressed form the shared one has now)
        // is replaced in place.
        if let Some(at) = self.answers.iter().position(|(k, _)| *k == key) {
            self.bytes = self.bytes - self.answers[at].1.size() + size;
            self.answers[at].1 = copy;
        } else {
            // In at the middle: an answer must prove itself hot to climb above
            // those that are.
            let at = self.answers.len() / 2;
            self.answers.insert(at, (key, copy));
            self.bytes += size;
        }
        while self.answers.len() > FRONT_ANSWERS || self.bytes > FRONT_BYTES {
            match self.answers.pop() {
                Some((_, dropped)) => self.bytes -= dropped.size(),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: usize) -> Arc<Memo> {
        Arc::new(Memo::new(head(), Bytes::from(vec![b'x'; bytes]), None))
    }

    fn head() -> Head {
        Head {
            etag: HeaderValue::from_static("W/\"0\""),
            content_type: HeaderValue::from_static("application/json"),
            vary: HeaderValue::from_static("Accept-Encoding"),
            cache_control: HeaderValue::from_static("no-cache"),
            last_modified: HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
            headers: Box::default(),
        }
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

    /// A worker's front copies an answer served often from the shared memo, in
    /// bytes of its own; serves it only in the codings it holds; and stays within
    /// its bounds however many answers pass through it.
    #[test]
    fn the_front_keeps_own_copies_of_hot_answers_within_bounds() {
        std::thread::spawn(|| {
            let hot = answer(10 * 1024);
            assert!(Front::get(1, None).is_none());
            for _ in 0..PROMOTE_EVERY {
                Front::offer(1, &hot);
            }
            let copy = Front::get(1, None).expect("copied after a few offers");
            assert_eq!(copy.body, hot.body);
            assert_ne!(copy.body.as_ptr(), hot.body.as_ptr(), "its own bytes");
            assert_eq!(copy.head.etag, hot.head.etag);
            assert!(
                Front::get(1, Some(Coding::Gzip)).is_none(),
                "no gzip copy yet"
            );

            let big = answer(FRONT_MAX_ANSWER + 1);
            for _ in 0..PROMOTE_EVERY {
                Front::offer(2, &big);
            }
            assert!(Front::get(2, None).is_none(), "too large to copy");

            for key in 10..10 + 40 * u64::from(PROMOTE_EVERY) {
                Front::offer(key, &answer(60 * 1024));
            }
            FRONT.with_borrow(|front| {
                assert!(front.answers.len() <= FRONT_ANSWERS);
                let bytes: usize = front.answers.iter().map(|(_, memo)| memo.size()).sum();
                assert_eq!(bytes, front.bytes);
                assert!(front.bytes <= FRONT_BYTES, "{} bytes", front.bytes);
            });
        })
        .join()
        .expect("the test thread");
    }
}
