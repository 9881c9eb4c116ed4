//! Rate limiting per client address: a fixed window per client in
//! actix-extensible-rate-limit's in-memory store, charged by the edge middleware
//! for `/v1` requests, with the IETF fields (draft-ietf-httpapi-ratelimit-headers,
//! structured-field form) on every charged answer.

use std::sync::OnceLock;
use std::time::Duration;

use actix_extensible_rate_limit::backend::memory::InMemoryBackend;
use actix_extensible_rate_limit::backend::{Backend, SimpleInput, SimpleOutput};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

/// `RateLimit-Policy`.
pub const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// A budget of requests per client per window.
pub struct Limiter {
    quota: u64,
    window: Duration,
    policy: HeaderValue,
    backend: OnceLock<InMemoryBackend>,
}

/// One request's charge against its client's budget.
pub struct Charge {
    /// Whether the request is within the budget.
    pub allowed: bool,
    output: SimpleOutput,
    key: String,
}

impl Limiter {
    /// `quota` requests per `window` per client.
    pub fn new(quota: u64, window: Duration) -> Limiter {
        let seconds = window.as_secs().max(1);
        Limiter {
            quota,
            window,
            policy: HeaderValue::from_str(&format!("\"default\";q={quota};w={seconds}"))
                .unwrap_or(HeaderValue::from_static("\"default\"")),
            backend: OnceLock::new(),
        }
    }

    /// The store, shared by every worker; created on first use, inside a runtime,
    /// so its expiry task can run.
    fn backend(&self) -> &InMemoryBackend {
        self.backend
            .get_or_init(|| InMemoryBackend::builder().build())
    }

    /// Charges one request to `client`, an address as text (clients without a known
    /// address share one budget).
    pub async fn charge(&self, client: Option<String>) -> Charge {
        let key = client.unwrap_or_else(|| "unknown".to_owned());
        let input = SimpleInput {
            interval: self.window,
            max_requests: self.quota,
            key,
        };
        let Ok((decision, output, key)) = self.backend().request(input).await;
        Charge {
            allowed: decision.is_allowed(),
            output,
            key,
        }
    }

    /// Gives back a charged request.
    pub async fn refund(&self, charge: &Charge) {
        let Ok(()) = self.backend().rollback(charge.key.clone()).await;
    }

    /// Whole seconds until `charge`'s window ends.
    pub fn seconds_to_reset(&self, charge: &Charge) -> u64 {
        charge
            .output
            .reset
            .saturating_duration_since(actix_web::rt::time::Instant::now())
            .as_secs()
    }

    /// Adds `RateLimit-Policy: "default";q=…;w=…` and `RateLimit:
    /// "default";r=…;t=…` (`r` counting a refunded request as not made).
    pub fn headers(&self, map: &mut HeaderMap, charge: &Charge, refunded: bool) {
        let output = &charge.output;
        let remaining = if refunded {
            output.remaining + 1
        } else {
            output.remaining
        }
        .min(output.limit);
        let reset = self.seconds_to_reset(charge);
        map.insert(POLICY, self.policy.clone());
        let mut value = Vec::with_capacity(40);
        let mut digits = itoa::Buffer::new();
        value.extend_from_slice(b"\"default\";r=");
        value.extend_from_slice(digits.format(remaining).as_bytes());
        value.extend_from_slice(b";t=");
        value.extend_from_slice(digits.format(reset).as_bytes());
        if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)) {
            map.insert(RATELIMIT, value);
        }
    }
}
