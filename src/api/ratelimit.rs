//! Rate limiting per client address: a fixed window per client, `/v1` requests
//! only, 304 answers given back, the IETF fields (draft-ietf-httpapi-ratelimit-headers,
//! structured-field form) on every charged answer and a 429 problem when the budget
//! is spent.
//!
//! Hand-written, not `actix-extensible-rate-limit`'s middleware, for speed (the
//! issue's rule: a crate that measurably costs speed we must keep is replaced, with
//! its figure here). Paired A/B in interleaved slices (4 pairs of 5 × 2 s, wrk
//! `-t2 -c64`, the default list page, both on `90ccc41`'s code): the crate's store
//! turned off (`--rate-limit 0`) 1.042, its middleware removed 1.045. Its store
//! writes one shared map entry per request under a lock (and allocates the client's
//! key twice); from one address, both workers write that same cache line on every
//! answer. Here each worker leases permits from the shared budget a few at a time
//! and spends them on its own line: the shared bucket is written once per lease.
//! This layer against the crate's, the rest of the code the same (interleaved
//! slices as above): list 1.023 (8 pairs, 1.013–1.084, every pair above 1), detail
//! 1.037 (4 pairs, 1.015–1.054); server user time per list answer 5.65 → 5.13 µs.
//!
//! The budget stays exact. A worker that finds the shared budget spent takes an
//! unspent permit from another worker's lease before it refuses, so a client is
//! refused only when all `quota` requests of the window were answered (less those
//! given back). `RateLimit`'s `r` counts the permits other workers hold as spent:
//! it is never above the true remainder, lower by those (a lease of at most 16 per
//! other worker serving the same client, plus what 304s gave back to it), and
//! exact for a client served by one worker.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{Error, ResponseError};
use futures_util::future::{Either, Ready, ready};

use super::problem::ApiError;

/// `RateLimit-Policy`.
pub const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Shards of the shared budget (by client address).
const SHARDS: usize = 16;
/// A lease takes this share of what is left of a client's budget…
const LEASE_SHARE: u64 = 16;
/// …and at most this many permits: the bound on how far `RateLimit`'s `r` can
/// lag (per other worker serving the same client).
const LEASE_MAX: u64 = 16;

/// A client: its address, or none for clients without a known address (they share
/// one budget).
type Client = Option<IpAddr>;

/// A budget of requests per client per window, shared by every worker.
pub struct Limiter {
    quota: u64,
    window: Duration,
    policy: HeaderValue,
    trust_forwarded_for: bool,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
}

/// One shard of the shared budget.
struct Shard {
    buckets: HashMap<Client, Bucket>,
    /// When ended windows are next swept out.
    next_sweep: Instant,
}

/// A client's window.
struct Bucket {
    /// When the window ends.
    ends: Instant,
    window: Arc<Window>,
    /// The leases made in this window, one per worker that served the client.
    leases: Vec<Arc<Lease>>,
}

/// What every worker may read of a client's window without the lock. Written
/// (under the shard's lock) once per lease; aligned to a line of its own.
#[repr(align(128))]
struct Window {
    /// Permits handed out in this window (leased, spent or not; less those given
    /// back).
    granted: AtomicU64,
}

/// Permits a worker holds and has not spent. Only its worker spends them and
/// another worker takes one only when the shared budget is spent, so the line is
/// its worker's own (aligned so that two leases never share one).
#[repr(align(128))]
struct Lease {
    left: AtomicU64,
    window: Arc<Window>,
}

impl Lease {
    /// Spends one permit if there is one.
    fn take(&self) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// What a worker holds for a client.
struct Held {
    ends: Instant,
    lease: Arc<Lease>,
}

/// A worker's leases, by client.
#[derive(Default)]
struct Leases {
    held: RefCell<HashMap<Client, Held>>,
    next_sweep: Cell<Option<Instant>>,
}

/// What a charge gave: the window, and what the `RateLimit` field needs.
struct Spent {
    ends: Instant,
    now: Instant,
    /// The worker's lease the permit came from (none when taken from another's).
    lease: Option<Arc<Lease>>,
}

impl Limiter {
    /// `quota` requests per `window` per client; with `trust_forwarded_for` the
    /// client is the last `X-Forwarded-For` address.
    pub fn new(quota: u64, window: Duration, trust_forwarded_for: bool) -> Limiter {
        let seconds = window.as_secs().max(1);
        let now = Instant::now();
        Limiter {
            quota,
            window,
            policy: HeaderValue::from_str(&format!("\"default\";q={quota};w={seconds}"))
                .unwrap_or(HeaderValue::from_static("\"default\"")),
            trust_forwarded_for,
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        buckets: HashMap::new(),
                        next_sweep: now + window,
                    })
                })
                .collect(),
            hasher: RandomState::new(),
        }
    }

    /// `client`'s shard, locked (a worker that panicked holding it left it
    /// consistent: every change is one assignment).
    fn shard(&self, client: &Client) -> MutexGuard<'_, Shard> {
        let index = usize::try_from(self.hasher.hash_one(client) % SHARDS as u64).unwrap_or(0);
        let shard = &self.shards[index];
        shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Charges one request of `client` to the budget: `Ok` with what it spent, or
    /// `Err` with the window's end when the budget is spent.
    fn charge(&self, own: &Leases, client: Client, now: Instant) -> Result<Spent, Instant> {
        if let Some(held) = own.held.borrow().get(&client)
            && held.ends > now
            && held.lease.take()
        {
            return Ok(Spent {
                ends: held.ends,
                now,
                lease: Some(held.lease.clone()),
            });
        }
        let mut shard = self.shard(&client);
        if now >= shard.next_sweep {
            shard.buckets.retain(|_, bucket| bucket.ends > now);
            shard.next_sweep = now + self.window;
        }
        let bucket = shard.buckets.entry(client).or_insert_with(|| Bucket {
            ends: now,
            window: Arc::new(Window {
                granted: AtomicU64::new(0),
            }),
            leases: Vec::new(),
        });
        if bucket.ends <= now {
            // A new window: the old one's leases are left to their workers, who
            // find them ended.
            bucket.ends = now + self.window;
            bucket.window = Arc::new(Window {
                granted: AtomicU64::new(0),
            });
            bucket.leases.clear();
        }
        let granted = bucket.window.granted.load(Ordering::Relaxed);
        let available = self.quota.saturating_sub(granted);
        if available == 0 {
            // Spent here; a permit another worker holds is still the client's.
            return if bucket.leases.iter().any(|lease| lease.take()) {
                Ok(Spent {
                    ends: bucket.ends,
                    now,
                    lease: None,
                })
            } else {
                Err(bucket.ends)
            };
        }
        let take = (available / LEASE_SHARE).clamp(1, LEASE_MAX);
        bucket
            .window
            .granted
            .store(granted + take, Ordering::Relaxed);
        let mut held = own.held.borrow_mut();
        if own.next_sweep.get().is_none_or(|at| now >= at) {
            held.retain(|_, held| held.ends > now);
            own.next_sweep.set(Some(now + self.window));
        }
        let lease = match held.get(&client) {
            Some(held) if held.ends == bucket.ends => held.lease.clone(),
            _ => {
                let lease = Arc::new(Lease {
                    left: AtomicU64::new(0),
                    window: bucket.window.clone(),
                });
                bucket.leases.push(lease.clone());
                lease
            }
        };
        // The first permit is this request's.
        lease.left.fetch_add(take - 1, Ordering::Relaxed);
        let spent = Spent {
            ends: bucket.ends,
            now,
            lease: Some(lease.clone()),
        };
        held.insert(
            client,
            Held {
                ends: bucket.ends,
                lease,
            },
        );
        Ok(spent)
    }

    /// Gives back the permit `spent` took (a revalidation costs the client nothing).
    fn refund(&self, client: Client, spent: &Spent) {
        match &spent.lease {
            Some(lease) => {
                lease.left.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                let mut shard = self.shard(&client);
                if let Some(bucket) = shard.buckets.get_mut(&client)
                    && bucket.ends == spent.ends
                {
                    let granted = bucket.window.granted.load(Ordering::Relaxed);
                    bucket
                        .window
                        .granted
                        .store(granted.saturating_sub(1), Ordering::Relaxed);
                }
            }
        }
    }

    /// The client's remainder as this worker knows it: the permits not handed
    /// out, and those it holds (never more than the true remainder).
    fn remaining(&self, spent: &Spent) -> u64 {
        spent.lease.as_ref().map_or(0, |lease| {
            let granted = lease.window.granted.load(Ordering::Relaxed);
            (self.quota.saturating_sub(granted) + lease.left.load(Ordering::Relaxed))
                .min(self.quota)
        })
    }
}

/// The layer charging `/v1` requests to the limiter's budget (every other path, and
/// every request when rate limiting is off, passes uncharged).
pub struct RateLimit(pub Option<Arc<Limiter>>);

impl<S, B> Transform<S, ServiceRequest> for RateLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RateLimitService<S>;
    type InitError = ();
    type Future = Ready<Result<RateLimitService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        // This worker's own copy of the policy field: a clone per answer then
        // counts on a line no other worker writes.
        let policy = self.0.as_ref().map(|limiter| {
            HeaderValue::from_bytes(limiter.policy.as_bytes())
                .unwrap_or_else(|_| limiter.policy.clone())
        });
        ready(Ok(RateLimitService {
            service,
            limiter: self.0.clone(),
            policy,
            own: Leases::default(),
        }))
    }
}

/// The service of [`RateLimit`]: one per worker, with that worker's leases.
pub struct RateLimitService<S> {
    service: S,
    limiter: Option<Arc<Limiter>>,
    policy: Option<HeaderValue>,
    own: Leases,
}

impl<S: Service<ServiceRequest>> RateLimitService<S> {
    /// Passes `req` on uncharged.
    fn passed(&self, req: ServiceRequest) -> Charged<S::Future> {
        Charged {
            inner: self.service.call(req),
            charged: None,
        }
    }
}

impl<S, B> Service<ServiceRequest> for RateLimitService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Either<Ready<Result<Self::Response, Error>>, Charged<S::Future>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let path = req.path();
        let (Some(limiter), Some(policy)) = (&self.limiter, &self.policy) else {
            return Either::Right(self.passed(req));
        };
        if !(path == "/v1" || path.starts_with("/v1/")) {
            return Either::Right(self.passed(req));
        }
        let client = super::middleware::client_address(&req, limiter.trust_forwarded_for);
        let now = Instant::now();
        match limiter.charge(&self.own, client, now) {
            Ok(spent) => Either::Right(Charged {
                inner: self.service.call(req),
                charged: Some(Charge {
                    limiter: limiter.clone(),
                    policy: policy.clone(),
                    client,
                    spent,
                }),
            }),
            Err(ends) => {
                let retry = ends.saturating_duration_since(now).as_secs().max(1);
                let detail = format!("this client used its request budget; retry in {retry} s");
                let instance = super::problem::instance(req.request());
                let mut problem = ApiError::rate_limited(instance, detail).error_response();
                let headers = problem.headers_mut();
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
                fields(headers, policy, 0, retry);
                Either::Left(ready(Ok(req.into_response(problem).map_into_right_body())))
            }
        }
    }
}

/// A charged request: the limiter, and what its answer's fields need.
pub struct Charge {
    limiter: Arc<Limiter>,
    policy: HeaderValue,
    client: Client,
    spent: Spent,
}

pin_project_lite::pin_project! {
    /// The inner service's future, then (for a charged request) its answer's
    /// fields, and its permit given back when it is a 304.
    pub struct Charged<F> {
        #[pin]
        inner: F,
        charged: Option<Charge>,
    }
}

impl<F, B> Future for Charged<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        if let Some(charge) = this.charged.take() {
            if response.status() == StatusCode::NOT_MODIFIED {
                charge.limiter.refund(charge.client, &charge.spent);
            }
            let spent = &charge.spent;
            let reset = spent.ends.saturating_duration_since(spent.now).as_secs();
            let remaining = charge.limiter.remaining(spent);
            fields(response.headers_mut(), &charge.policy, remaining, reset);
        }
        Poll::Ready(Ok(response.map_into_left_body()))
    }
}

/// Adds `RateLimit-Policy: "default";q=…;w=…` and `RateLimit: "default";r=…;t=…`.
fn fields(headers: &mut HeaderMap, policy: &HeaderValue, remaining: u64, reset: u64) {
    headers.insert(POLICY, policy.clone());
    // Made on the stack and copied once (a `Vec` made into `Bytes` allocates twice).
    let mut value = [0u8; 64];
    let mut len = 0;
    let mut put = |part: &[u8]| {
        value[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    };
    put(b"\"default\";r=");
    put(itoa::Buffer::new().format(remaining).as_bytes());
    put(b";t=");
    put(itoa::Buffer::new().format(reset).as_bytes());
    if let Ok(value) = HeaderValue::from_bytes(&value[..len]) {
        headers.insert(RATELIMIT, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(quota: u64) -> Limiter {
        Limiter::new(quota, Duration::from_secs(60), false)
    }

    const CLIENT: Client = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    /// Charges `n` requests through `own`, giving back none; how many were allowed.
    fn allowed(limiter: &Limiter, own: &Leases, n: u64, now: Instant) -> u64 {
        (0..n)
            .filter(|_| limiter.charge(own, CLIENT, now).is_ok())
            .count() as u64
    }

    #[test]
    fn the_budget_is_exact_however_the_workers_share_a_client() {
        let now = Instant::now();
        for quota in [1, 2, 3, 17, 64, 100, 1_200, 5_000] {
            let limiter = limiter(quota);
            let (a, b, c) = (Leases::default(), Leases::default(), Leases::default());
            // Each worker leases a few permits and leaves them unspent, then one
            // worker alone serves the client: it is refused only after `quota`.
            let mut served = u64::from(limiter.charge(&a, CLIENT, now).is_ok());
            served += u64::from(limiter.charge(&b, CLIENT, now).is_ok());
            served += allowed(&limiter, &c, quota + 10, now);
            assert_eq!(served, quota, "quota {quota}");
            for own in [&a, &b, &c] {
                assert!(limiter.charge(own, CLIENT, now).is_err(), "quota {quota}");
            }
        }
    }

    #[test]
    fn given_back_permits_are_spent_again_and_a_new_window_starts_afresh() {
        let limiter = limiter(100);
        let (a, b) = (Leases::default(), Leases::default());
        let now = Instant::now();
        // Two workers, alternately, every third answer a 304 given back.
        let mut served = 0;
        for i in 0..200 {
            let own = if i % 2 == 0 { &a } else { &b };
            if let Ok(spent) = limiter.charge(own, CLIENT, now) {
                if i % 3 == 0 {
                    limiter.refund(CLIENT, &spent);
                } else {
                    served += 1;
                }
            }
        }
        assert_eq!(served, 100);
        assert!(limiter.charge(&a, CLIENT, now).is_err());
        let later = now + Duration::from_secs(60);
        assert_eq!(allowed(&limiter, &a, 150, later), 100);
        let other = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
        assert!(
            limiter.charge(&a, other, now).is_ok(),
            "each client its own budget"
        );
    }

    #[test]
    fn a_permit_taken_from_another_worker_and_given_back_is_spent_again() {
        let limiter = limiter(100);
        let (a, b) = (Leases::default(), Leases::default());
        let now = Instant::now();
        // `a` leases a few permits and leaves them; `b` spends the budget, then
        // takes `a`'s, and gives the first one it takes back (a 304).
        let mut served = u64::from(limiter.charge(&a, CLIENT, now).is_ok());
        let mut given_back = false;
        while let Ok(spent) = limiter.charge(&b, CLIENT, now) {
            if !given_back && spent.lease.is_none() {
                limiter.refund(CLIENT, &spent);
                given_back = true;
            } else {
                served += 1;
            }
        }
        assert!(given_back, "b took a permit of a's lease");
        assert_eq!(served, 100);
    }

    #[test]
    fn the_remainder_counts_down_by_one_for_a_client_of_one_worker() {
        let limiter = limiter(1_200);
        let own = Leases::default();
        let now = Instant::now();
        let remainders: Vec<u64> = (0..300)
            .map(|_| {
                let spent = limiter.charge(&own, CLIENT, now).expect("allowed");
                limiter.remaining(&spent)
            })
            .collect();
        let expected: Vec<u64> = (900..1_200).rev().collect();
        assert_eq!(remainders, expected);
        let spent = limiter.charge(&own, CLIENT, now).expect("allowed");
        limiter.refund(CLIENT, &spent);
        assert_eq!(limiter.remaining(&spent), 900, "a 304 costs nothing");
    }

    #[test]
    fn the_remainder_lags_by_at_most_a_lease_when_two_workers_serve_a_client() {
        let limiter = limiter(1_200);
        let (a, b) = (Leases::default(), Leases::default());
        let now = Instant::now();
        for served in 1..=1_200u64 {
            let own = if served % 3 == 0 { &a } else { &b };
            let spent = limiter.charge(own, CLIENT, now).expect("allowed");
            let remaining = limiter.remaining(&spent);
            let exact = 1_200 - served;
            assert!(
                remaining <= exact && exact - remaining <= LEASE_MAX,
                "after {served}: r={remaining}, exact {exact}"
            );
        }
        assert!(limiter.charge(&a, CLIENT, now).is_err());
    }

    #[test]
    fn ended_windows_are_swept_from_both_maps() {
        let limiter = limiter(10);
        let own = Leases::default();
        let now = Instant::now();
        for last in 0..=255u8 {
            let client = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, last)));
            assert!(limiter.charge(&own, client, now).is_ok());
        }
        // A window later, other clients: each shard sweeps when next used.
        let later = now + Duration::from_secs(61);
        for last in 0..=255u8 {
            let client = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 1, last)));
            assert!(limiter.charge(&own, client, later).is_ok());
        }
        let buckets: usize = limiter
            .shards
            .iter()
            .map(|shard| shard.lock().map_or(0, |s| s.buckets.len()))
            .sum();
        assert_eq!(buckets, 256, "only this window's clients are kept");
        assert_eq!(own.held.borrow().len(), 256);
    }
}
