//! Cross-origin reads (CORS) by `actix-cors`: any origin by default, or an
//! allow-list. Its middleware sits outside every other layer but the security
//! headers and the request log, so a script on another origin can read every
//! answer it gets, problems included.

use actix_cors::Cors;

/// How long browsers may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: usize = 86_400;

/// The CORS middleware for `origins` (any origin when empty). The headers scripts
/// may read (`Access-Control-Expose-Headers`) are a fixed list the security
/// headers' layer adds (actix-cors would list them in a hash set's order, which
/// differs between workers).
///
/// Any origin: every answer says `Access-Control-Allow-Origin: *` (the
/// [`DefaultHeaders`](actix_web::middleware::DefaultHeaders) layer adds it where
/// the request had no `Origin`), so it is the same for every origin and shared
/// caches need no `Vary: Origin`. An allow-list: a listed origin is echoed, with
/// `Vary: Origin`; any other gets no `Access-Control-Allow-Origin`, which the
/// browser refuses. Preflights (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) allow GET, HEAD and OPTIONS with any request
/// header, cached for a day; one asking for anything else is refused with 400.
pub fn middleware(origins: &[String]) -> Cors {
    let cors = if origins.is_empty() {
        Cors::default()
            .allow_any_origin()
            .send_wildcard()
            .disable_vary_header()
    } else {
        origins
            .iter()
            .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
    };
    cors.allowed_methods(super::METHODS)
        .allow_any_header()
        .max_age(PREFLIGHT_MAX_AGE)
        // An actual request from an origin off the list is answered; the browser
        // withholds the answer from the script.
        .block_on_origin_mismatch(false)
}
