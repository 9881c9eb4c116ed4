//! Rate limiting per client address, by actix-extensible-rate-limit's own
//! middleware: a fixed window per client in its in-memory store, `/v1` requests
//! only, 304 answers given back through its rollback, the IETF fields
//! (draft-ietf-httpapi-ratelimit-headers, structured-field form) on every charged
//! answer and a 429 problem when the budget is spent.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_extensible_rate_limit::RateLimiter;
use actix_extensible_rate_limit::backend::memory::InMemoryBackend;
use actix_extensible_rate_limit::backend::{Backend, Decision, SimpleInput, SimpleOutput};
use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::problem::ApiError;

/// `RateLimit-Policy`.
pub const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// A budget of requests per client per window, shared by every worker.
pub struct Limiter {
    quota: u64,
    window: Duration,
    policy: HeaderValue,
    trust_forwarded_for: bool,
    store: OnceLock<InMemoryBackend>,
}

impl Limiter {
    /// `quota` requests per `window` per client; with `trust_forwarded_for` the
    /// client is the last `X-Forwarded-For` address.
    pub fn new(quota: u64, window: Duration, trust_forwarded_for: bool) -> Limiter {
        let seconds = window.as_secs().max(1);
        Limiter {
            quota,
            window,
            policy: HeaderValue::from_str(&format!("\"default\";q={quota};w={seconds}"))
                .unwrap_or(HeaderValue::from_static("\"default\"")),
            trust_forwarded_for,
            store: OnceLock::new(),
        }
    }

    /// The store; made by the first worker that builds its app, inside that
    /// worker's runtime, where its expiry task runs.
    fn store(&self) -> InMemoryBackend {
        self.store
            .get_or_init(|| InMemoryBackend::builder().build())
            .clone()
    }

    /// The charge for `req`: its client's key (clients without a known address
    /// share one), or none off `/v1`.
    fn charge(&self, req: &ServiceRequest) -> Option<Charge> {
        let path = req.path();
        if !(path == "/v1" || path.starts_with("/v1/")) {
            return None;
        }
        let key = super::middleware::client_address(req, self.trust_forwarded_for)
            .map_or_else(|| "unknown".to_owned(), super::middleware::ip_text);
        Some(Charge {
            input: SimpleInput {
                interval: self.window,
                max_requests: self.quota,
                key,
            },
            request: req.request().clone(),
        })
    }
}

/// The middleware charging `/v1` requests to `limiter`'s budget (every other path,
/// and every request when rate limiting is off, passes uncharged).
pub fn middleware(
    limiter: Option<Arc<Limiter>>,
) -> RateLimiter<Budget, Option<Spent>, impl Charger> {
    // This worker's own copy: a clone per answer then counts on a line no other
    // worker writes.
    let policy = limiter.as_ref().map_or(HeaderValue::from_static(""), |l| {
        HeaderValue::from_bytes(l.policy.as_bytes()).unwrap_or_else(|_| l.policy.clone())
    });
    let allowed_policy = policy.clone();
    // One handle per worker (each worker builds its own app): cloned per request
    // by the middleware, an `Rc` count is the worker's own where the store's
    // `Arc` counts are shared by every worker.
    let store = limiter.as_ref().map(|l| Rc::new(l.store()));
    RateLimiter::builder(Budget(store), move |req: &ServiceRequest| {
        ready(Ok(limiter.as_ref().and_then(|l| l.charge(req))))
    })
    .request_allowed_transformation(Some(
        move |headers: &mut HeaderMap, spent: Option<&Option<Spent>>, refunded: bool| {
            if let Some(Some(spent)) = spent {
                fields(headers, &allowed_policy, spent, refunded);
            }
        },
    ))
    .request_denied_response(move |spent: &Option<Spent>| match spent {
        Some(spent) => {
            let retry = spent.seconds_to_reset().max(1);
            let detail = format!("this client used its request budget; retry in {retry} s");
            let mut problem =
                ApiError::rate_limited(spent.instance.clone(), detail).error_response();
            let headers = problem.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
            fields(headers, &policy, spent, false);
            problem
        }
        // Only charged requests are ever denied.
        None => HttpResponse::TooManyRequests().finish(),
    })
    // A revalidation that costs the server nothing costs the client nothing.
    .rollback_condition(Some(|status: StatusCode| {
        status == StatusCode::NOT_MODIFIED
    }))
    .build()
}

/// The rate limiter's input function: a request's charge, or none.
pub trait Charger: Fn(&ServiceRequest) -> Ready<ChargeResult> + 'static {}
impl<F: Fn(&ServiceRequest) -> Ready<ChargeResult> + 'static> Charger for F {}
/// What the input function gives the store.
type ChargeResult = Result<Option<Charge>, actix_web::Error>;

/// One request's charge: its client's key and window, and the request, for a
/// 429 problem's `instance`. The store's adapter drops the request as soon as
/// the store has answered, before routing, which needs the only reference to
/// it.
pub struct Charge {
    input: SimpleInput,
    request: HttpRequest,
}

/// What a charge spent: the store's count and reset, and the target it was for
/// when refused (empty when allowed: only a refusal names it).
pub struct Spent {
    output: SimpleOutput,
    instance: String,
}

impl Spent {
    /// Whole seconds until the window ends.
    fn seconds_to_reset(&self) -> u64 {
        self.output
            .reset
            .saturating_duration_since(actix_web::rt::time::Instant::now())
            .as_secs()
    }
}

/// The in-memory store (none when rate limiting is off) for optional charges:
/// requests without a charge are allowed without touching it.
#[derive(Clone)]
pub struct Budget(Option<Rc<InMemoryBackend>>);

impl Backend<Option<Charge>> for Budget {
    type Output = Option<Spent>;
    type RollbackToken = Option<String>;
    type Error = Infallible;

    async fn request(
        &self,
        charge: Option<Charge>,
    ) -> Result<(Decision, Option<Spent>, Option<String>), Infallible> {
        let (Some(store), Some(Charge { input, request })) = (&self.0, charge) else {
            return Ok((Decision::Allowed, None, None));
        };
        let (decision, output, key) = store.request(input).await?;
        let instance = if decision.is_denied() {
            super::problem::instance(&request)
        } else {
            String::new()
        };
        drop(request);
        Ok((decision, Some(Spent { output, instance }), Some(key)))
    }

    async fn rollback(&self, key: Option<String>) -> Result<(), Infallible> {
        match (&self.0, key) {
            (Some(store), Some(key)) => store.rollback(key).await,
            _ => Ok(()),
        }
    }
}

/// Adds `RateLimit-Policy: "default";q=…;w=…` and `RateLimit: "default";r=…;t=…`
/// (`r` counting a refunded request as not made).
fn fields(headers: &mut HeaderMap, policy: &HeaderValue, spent: &Spent, refunded: bool) {
    let output = &spent.output;
    let remaining = if refunded {
        output.remaining + 1
    } else {
        output.remaining
    }
    .min(output.limit);
    headers.insert(POLICY, policy.clone());
    let mut value = Vec::with_capacity(40);
    let mut digits = itoa::Buffer::new();
    value.extend_from_slice(b"\"default\";r=");
    value.extend_from_slice(digits.format(remaining).as_bytes());
    value.extend_from_slice(b";t=");
    value.extend_from_slice(digits.format(spent.seconds_to_reset()).as_bytes());
    if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)) {
        headers.insert(RATELIMIT, value);
    }
}
