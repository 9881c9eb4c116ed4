//! The application's own layers, in the order a request meets them (see
//! [`super::app`]): [`Observe`] (request ids, metrics, the access log, CORS
//! refusals as problems), then `actix-cors` and the rate limiter, then [`Serve`]
//! (method and size limits, `OPTIONS`, `HEAD`, answers already made).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use std::net::IpAddr;

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use futures_util::TryFutureExt;
use futures_util::future::{Either, MapOk, Ready, ready};

use super::problem::ApiError;
use super::{AppState, answer};

thread_local! {
    /// The route pattern of the answer [`Serve`] just gave from the memo (no route
    /// matched that request), with the address of its request's head, for
    /// [`Observe`]'s metrics sample. A cache, not a channel: `Observe` clears it
    /// before each request and takes it on the answer; an entry naming another
    /// request is ignored and the pattern matched afresh, which gives the same
    /// route. Kept in the request's extensions it cost two allocations a request
    /// (the map's table and the box).
    static MEMO_ROUTE: Cell<Option<(usize, Option<&'static str>)>> = const { Cell::new(None) };
}

/// What identifies a request while it is served: the address of its head.
fn request_identity(head: &actix_web::dev::RequestHead) -> usize {
    std::ptr::from_ref(head) as usize
}

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

/// A new id: a per-process random prefix and a counter, 32 hex digits. Each
/// thread counts in its own block of 2^40 (no count shared by the workers).
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static BLOCKS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static NEXT: Cell<u64> = Cell::new(BLOCKS.fetch_add(1 << 40, Ordering::Relaxed));
    }
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
    let count = NEXT.with(|next| {
        let count = next.get();
        next.set(count.wrapping_add(1));
        count
    });
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

/// The outermost layer of the application's own: gives every answer a request
/// id, records a metrics sample and an access-log line, and renders `actix-cors`'s
/// refusals of preflights as problems. A `Transform` of its own rather than
/// `from_fn`, like [`Serve`]: the inner future is wrapped, not boxed. It holds the
/// application's state, so that no request looks it up.
pub struct Observe(pub web::Data<AppState>);

impl<S, B> Transform<S, ServiceRequest> for Observe
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = ObserveService<S>;
    type InitError = ();
    type Future = Ready<Result<ObserveService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ObserveService {
            service,
            state: Rc::new(self.0.clone()),
        }))
    }
}

/// The service of [`Observe`] (one per worker).
pub struct ObserveService<S> {
    service: S,
    /// The state, counted by this worker alone: each request's future holds a
    /// clone, and a clone of the `Arc` would write a count every worker shares.
    state: Rc<web::Data<AppState>>,
}

/// What [`Observe`] notes of a request before passing it on.
struct Noted {
    state: Rc<web::Data<AppState>>,
    started: Instant,
    request_id: HeaderValue,
    /// The method and client address, when the access log is on.
    logged: Option<(Method, Option<IpAddr>)>,
}

impl<S, B> Service<ServiceRequest> for ObserveService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Observed<S::Future>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        MEMO_ROUTE.set(None);
        let state = &self.state;
        let log = state.settings.access_log && crate::logging::access_enabled();
        let request_id = req
            .headers()
            .get(&REQUEST_ID)
            .filter(|v| sane_request_id(v))
            .cloned()
            .unwrap_or_else(new_request_id);
        let logged = log.then(|| {
            (
                req.method().clone(),
                client_address(&req, state.settings.trust_forwarded_for),
            )
        });
        let noted = Noted {
            state: Rc::clone(state),
            started,
            request_id,
            logged,
        };
        Observed {
            inner: self.service.call(req),
            noted: Some(noted),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`ObserveService`]: the inner service's, then [`observed`].
    pub struct Observed<F> {
        #[pin]
        inner: F,
        noted: Option<Noted>,
    }
}

impl<F, B> Future for Observed<F>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: MessageBody + 'static,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(match this.noted.take() {
            Some(noted) => observed(response, noted),
            None => response.map_into_left_body(),
        }))
    }
}

/// The answer with its request id, its metrics sample and access-log line
/// recorded, and a CORS refusal made a problem.
fn observed<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
    noted: Noted,
) -> ServiceResponse<EitherBody<B>> {
    let refusal = response
        .response()
        .error()
        .and_then(|error| error.as_error::<actix_cors::CorsError>())
        .map(ToString::to_string);
    let mut response = match refusal {
        Some(detail) => {
            let vary = response.headers().get(header::VARY).cloned();
            let problem = ApiError::cors_refused(response.request(), detail).error_response();
            let mut refused = response.into_response(problem);
            if let Some(vary) = vary {
                refused.headers_mut().insert(header::VARY, vary);
            }
            refused.map_into_right_body()
        }
        None => response.map_into_left_body(),
    };

    let status = response.status();
    let elapsed = noted.started.elapsed();
    let request = response.request();
    let metrics = &noted.state.metrics;
    let memo_route = MEMO_ROUTE
        .take()
        .filter(|(identity, _)| *identity == request_identity(request.head()));
    if let Some((_, pattern)) = memo_route {
        metrics.observe(pattern, status.as_u16(), elapsed);
    } else {
        metrics.observe(request.match_pattern().as_deref(), status.as_u16(), elapsed);
    }
    if let Some((method, client)) = noted.logged {
        let size = match response.response().body().size() {
            BodySize::Sized(n) => Some(n),
            _ => None,
        };
        crate::logging::access(&crate::logging::AccessRecord {
            client,
            method: &method,
            target: request.uri().path_and_query().map_or("/", |pq| pq.as_str()),
            version: request.version(),
            status: status.as_u16(),
            size,
            elapsed,
            request_id: &noted.request_id,
            user_agent: request.headers().get(header::USER_AGENT),
        });
    }
    // Moved in, not cloned: a clone of a value made from a slice allocates.
    response.headers_mut().insert(REQUEST_ID, noted.request_id);
    response
}

/// Inside the rate limiter, before routing: answers methods other than GET, HEAD
/// and OPTIONS with 405, over-long query strings with 414, request content with
/// 413, a plain `OPTIONS` with 204 and `Allow`; has `HEAD` answered like `GET`
/// (the HTTP layer sends no body); and answers a request whose target was
/// answered before from the snapshot's memo without routing it
/// ([`answer::from_memo`]). The rest go on to compression and the routes.
///
/// One layer, not two, and a `Transform` of its own rather than `from_fn`: an
/// answer made here is a ready future, and the rest pass on with their inner
/// future unboxed. A layer of its own costs about 120 ns a request
/// (`examples/stack_overhead.rs`, detail 2,414 ns with the checks apart, 2,229 ns
/// without that layer); `from_fn` boxes every request's future. It holds the
/// application's state, so that no request looks it up.
pub struct Serve(pub web::Data<AppState>);

impl<S, B> Transform<S, ServiceRequest> for Serve
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = ServeService<S>;
    type InitError = ();
    type Future = Ready<Result<ServeService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ServeService {
            service,
            state: self.0.clone(),
        }))
    }
}

/// The service of [`Serve`] (one per worker).
pub struct ServeService<S> {
    service: S,
    state: web::Data<AppState>,
}

/// The inner service's answer, its body on the left.
type Passed<S, B> = MapOk<
    <S as Service<ServiceRequest>>::Future,
    fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>,
>;

impl<S, B> Service<ServiceRequest> for ServeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<Ready<Result<Self::Response, Self::Error>>, Passed<S, B>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        match answer_here(&mut req, &self.state) {
            Some(response) => {
                Either::Left(ready(Ok(req.into_response(response).map_into_right_body())))
            }
            None => Either::Right(
                self.service
                    .call(req)
                    .map_ok(ServiceResponse::map_into_left_body as fn(_) -> _),
            ),
        }
    }
}

/// What [`Serve`] answers itself, if anything (a memo answer's route pattern is
/// left for [`Observe`] in `MEMO_ROUTE`, for the metrics).
fn answer_here(req: &mut ServiceRequest, state: &AppState) -> Option<HttpResponse> {
    let max_query = state.settings.max_query_length;
    let refusal = if !super::METHODS.contains(req.method()) {
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
    if let Some(error) = refusal {
        return Some(error.error_response());
    }
    if req.method() == Method::OPTIONS {
        return Some(
            HttpResponse::NoContent()
                .insert_header((header::ALLOW, super::ALLOWED_METHODS))
                .finish(),
        );
    }
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let (answer, pattern) = answer::from_memo(req.request(), &state.snapshots.peek(), state)?;
    MEMO_ROUTE.set(Some((request_identity(req.head()), pattern)));
    Some(answer)
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn generated_request_ids_are_unique_across_threads_and_32_hex_digits() {
        let ids: Vec<Vec<String>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..1000)
                            .map(|_| {
                                let id = super::new_request_id();
                                id.to_str().map(str::to_owned).unwrap_or_default()
                            })
                            .collect::<Vec<String>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().unwrap_or_default())
                .collect()
        });
        let all: Vec<&String> = ids.iter().flatten().collect();
        assert_eq!(all.len(), 4000);
        assert!(all.iter().all(|id| {
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }));
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 4000);
    }
}
