//! HTTP for frontends and caches: conditional requests, compression, CORS, limits,
//! security headers, request ids, rate limits, metrics.

use actix_web::test::TestRequest;
use actix_web::web;
use stackatlas::api::{AppState, HttpSettings};
use stackatlas::snapshot::{Snapshots, Source};

use crate::helpers::{call, call_with, call_with_state, get, get_with};

const CACHEABLE: &[&str] = &[
    "/v1/technologies",
    "/v1/technologies/nodejs",
    "/v1/technologies/nodejs/releases",
    "/v1/technologies/python/related",
    "/v1/search?q=python",
    "/v1/catalogue",
    "/v1/kinds",
    "/v1/compare?ids=nodejs,deno",
];

#[actix_web::test]
async fn if_none_match_with_the_etag_just_received_answers_304() {
    for path in CACHEABLE {
        let first = get(path).await;
        assert_eq!(first.status, 200, "{path}");
        let etag = first
            .header("etag")
            .unwrap_or_else(|| panic!("{path} has an ETag"))
            .to_owned();
        assert!(etag.starts_with("W/\""), "{path}: weak ETag, got {etag}");
        let cache_control = first
            .header("cache-control")
            .expect("Cache-Control")
            .to_owned();
        assert!(
            cache_control.starts_with("public, max-age="),
            "{cache_control}"
        );
        assert!(
            cache_control.contains("stale-while-revalidate="),
            "{cache_control}"
        );
        assert!(first.header("last-modified").is_some(), "{path}");
        let again = get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}: 304 has no body");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}");
        assert_eq!(
            again.header("cache-control"),
            Some(cache_control.as_str()),
            "{path}"
        );
        assert_eq!(again.header("vary"), first.header("vary"), "{path}");
        let other = get_with(path, &[("if-none-match", "W/\"0000000000000000\"")]).await;
        assert_eq!(other.status, 200, "{path}: a stale tag gets the answer");
        // Weak comparison: the tag strong or weak, in a list, or `*`, all match.
        let strong = etag.trim_start_matches("W/");
        for header in [
            strong.to_owned(),
            format!("\"0000000000000000\", {etag}"),
            "*".to_owned(),
        ] {
            let again = get_with(path, &[("if-none-match", &header)]).await;
            assert_eq!(again.status, 304, "{path}: If-None-Match: {header}");
        }
    }
}

#[actix_web::test]
async fn if_modified_since_works_without_if_none_match() {
    let first = get("/v1/technologies/python").await;
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    let same = get_with(
        "/v1/technologies/python",
        &[("if-modified-since", &last_modified)],
    )
    .await;
    assert_eq!(same.status, 304);
    let old = get_with(
        "/v1/technologies/python",
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(old.status, 200);
    let etag_wins = get_with(
        "/v1/technologies/python",
        &[
            ("if-modified-since", &last_modified),
            ("if-none-match", "W/\"nope\""),
        ],
    )
    .await;
    assert_eq!(
        etag_wins.status, 200,
        "If-None-Match takes precedence (RFC 9110 §13.2.2)"
    );
}

#[actix_web::test]
async fn different_queries_have_different_etags() {
    let a = get("/v1/technologies?per_page=5").await;
    let b = get("/v1/technologies?per_page=6").await;
    assert_ne!(a.header("etag"), b.header("etag"));
}

#[actix_web::test]
async fn head_works_on_every_get_route() {
    for path in CACHEABLE.iter().chain(&[
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api-docs/openapi.json",
    ]) {
        let answer = call("HEAD", path).await;
        assert_eq!(answer.status, 200, "HEAD {path}");
    }
}

#[actix_web::test]
async fn answers_are_compressed_on_request() {
    for (encoding, expected) in [("br", "br"), ("gzip", "gzip"), ("zstd", "zstd")] {
        let answer = get_with("/v1/technologies", &[("accept-encoding", encoding)]).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header("content-encoding"),
            Some(expected),
            "{encoding}"
        );
        assert!(
            answer
                .header("vary")
                .is_some_and(|v| v.contains("Accept-Encoding"))
        );
        let plain = get("/v1/technologies").await;
        assert!(
            answer.body.len() < plain.body.len() / 2,
            "{encoding} shrinks the page"
        );
    }
    let identity = get("/v1/technologies").await;
    assert_eq!(identity.header("content-encoding"), None);
}

#[actix_web::test]
async fn a_preflight_from_any_origin_succeeds_and_lists_exposed_headers() {
    let request = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/v1/technologies")
        .insert_header(("origin", "https://example.org"))
        .insert_header(("access-control-request-method", "GET"))
        .insert_header(("access-control-request-headers", "if-none-match"));
    let answer = call_with(request).await;
    assert!(answer.status.is_success(), "{}", answer.status);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    assert_eq!(answer.header("access-control-max-age"), Some("86400"));
    // The headers a script may read are listed on the actual answers (a preflight's
    // list means nothing to browsers).
    let actual = get_with("/v1/technologies", &[("origin", "https://example.org")]).await;
    assert_eq!(actual.header("access-control-allow-origin"), Some("*"));
    let exposed = actual
        .header("access-control-expose-headers")
        .expect("exposed headers")
        .to_lowercase();
    for name in [
        "etag",
        "link",
        "x-total-count",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
}

fn state_with(settings: HttpSettings) -> web::Data<AppState> {
    let loaded = stackatlas::catalogue::Catalogue::embedded().expect("valid");
    web::Data::new(AppState::new(
        Snapshots::from_catalogue(loaded, Source::Embedded),
        settings,
    ))
}

#[actix_web::test]
async fn an_origin_allow_list_admits_only_its_origins() {
    let state = state_with(HttpSettings {
        cors_origins: vec!["https://good.example".to_owned()],
        access_log: false,
        ..HttpSettings::default()
    });
    let preflight = |origin: &'static str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/v1/technologies")
            .insert_header(("origin", origin))
            .insert_header(("access-control-request-method", "GET"))
    };
    let good = call_with_state(preflight("https://good.example"), state.clone()).await;
    assert_eq!(
        good.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let bad = call_with_state(preflight("https://evil.example"), state.clone()).await;
    assert_ne!(
        bad.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    assert!(bad.header("access-control-allow-origin").is_none());
    let problem = bad.problem(400);
    assert_eq!(problem["type"], "urn:stackatlas:problem:cors-refused");
    assert!(bad.header("x-request-id").is_some());
    let actual = call_with_state(
        TestRequest::get()
            .uri("/v1/technologies/nodejs")
            .insert_header(("origin", "https://good.example")),
        state.clone(),
    )
    .await;
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    assert!(actual.header("vary").is_some_and(|v| v.contains("Origin")));
}

#[actix_web::test]
async fn a_preflight_for_a_method_the_api_lacks_is_a_problem_and_plain_answers_allow_any_origin() {
    let request = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/v1/technologies")
        .insert_header(("origin", "https://example.org"))
        .insert_header(("access-control-request-method", "DELETE"));
    let refused = call_with(request).await;
    let problem = refused.problem(400);
    assert_eq!(problem["type"], "urn:stackatlas:problem:cors-refused");
    assert_eq!(problem["instance"], "/v1/technologies");
    // Without `Origin` (a shared cache filling itself) the answer still admits
    // every origin, so the cached copy serves browsers too.
    let plain = get("/v1/technologies/nodejs").await;
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));
    assert!(plain.header("vary").is_none_or(|v| !v.contains("Origin")));
}

#[actix_web::test]
async fn answers_carry_security_headers_and_no_server_version() {
    for path in [
        "/v1/technologies/nodejs",
        "/v1/technologies/nope",
        "/swagger-ui/",
    ] {
        let answer = get(path).await;
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        let csp = answer.header("content-security-policy").expect("CSP");
        if path.starts_with("/swagger-ui") {
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("http"),
                "{csp}"
            );
        } else {
            assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'");
        }
        assert!(
            answer
                .header("server")
                .is_none_or(|s| !s.chars().any(|c| c.is_ascii_digit()))
        );
    }
}

#[actix_web::test]
async fn every_answer_has_a_request_id_and_a_sane_one_is_kept() {
    let generated = get("/healthz").await;
    let id = generated.header("x-request-id").expect("generated id");
    assert_eq!(id.len(), 32);
    let kept = get_with("/v1/technologies/nope", &[("x-request-id", "abc-123_x.y")]).await;
    assert_eq!(kept.header("x-request-id"), Some("abc-123_x.y"));
    let replaced = get_with("/healthz", &[("x-request-id", "no spaces <allowed>")]).await;
    assert_ne!(replaced.header("x-request-id"), Some("no spaces <allowed>"));
}

#[actix_web::test]
async fn limits_answer_414_413_405_and_options() {
    let long = format!("/v1/technologies?tag={}", "a".repeat(3000));
    let problem = get(&long).await.problem(414);
    assert_eq!(problem["type"], "urn:stackatlas:problem:query-too-long");
    let with_body = TestRequest::get()
        .uri("/v1/technologies")
        .insert_header(("content-length", "3"))
        .set_payload("abc");
    call_with(with_body).await.problem(413);
    let post = call("POST", "/anything/at/all").await;
    post.problem(405);
    assert_eq!(post.header("allow"), Some("GET, HEAD, OPTIONS"));
    let options = call("OPTIONS", "/v1/technologies").await;
    assert_eq!(options.status, 204);
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[actix_web::test]
async fn over_budget_is_429_with_retry_after_and_ratelimit_fields() {
    let state = state_with(HttpSettings {
        rate_limit: Some(3),
        access_log: false,
        ..HttpSettings::default()
    });
    let first = call_with_state(
        TestRequest::get().uri("/v1/technologies/nodejs"),
        state.clone(),
    )
    .await;
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"default\";q=3;w=60")
    );
    assert!(
        first
            .header("ratelimit")
            .is_some_and(|v| v.starts_with("\"default\";r=2;t=")),
        "{:?}",
        first.header("ratelimit")
    );
    let etag = first.header("etag").expect("etag").to_owned();
    // Revalidations (304) and health checks are not charged.
    for _ in 0..5 {
        let revalidated = call_with_state(
            TestRequest::get()
                .uri("/v1/technologies/nodejs")
                .insert_header(("if-none-match", etag.as_str())),
            state.clone(),
        )
        .await;
        assert_eq!(revalidated.status, 304);
        let health = call_with_state(TestRequest::get().uri("/healthz"), state.clone()).await;
        assert_eq!(health.status, 200);
    }
    for _ in 0..2 {
        let ok = call_with_state(TestRequest::get().uri("/v1/technologies"), state.clone()).await;
        assert_eq!(ok.status, 200);
    }
    let limited = call_with_state(TestRequest::get().uri("/v1/technologies"), state.clone()).await;
    let problem = limited.problem(429);
    assert_eq!(problem["type"], "urn:stackatlas:problem:rate-limited");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
    assert!(
        limited
            .header("ratelimit")
            .is_some_and(|v| v.contains("r=0"))
    );
    let other_client = call_with_state(
        TestRequest::get()
            .uri("/v1/technologies")
            .peer_addr("10.9.8.7:1234".parse().expect("addr")),
        state,
    )
    .await;
    assert_eq!(
        other_client.status, 200,
        "each client address has its own budget"
    );
}

#[actix_web::test]
async fn refused_requests_count_against_the_budget() {
    let state = state_with(HttpSettings {
        rate_limit: Some(2),
        access_log: false,
        ..HttpSettings::default()
    });
    for _ in 0..2 {
        let refused =
            call_with_state(TestRequest::post().uri("/v1/technologies"), state.clone()).await;
        refused.problem(405);
        assert!(refused.header("ratelimit").is_some());
    }
    let limited = call_with_state(TestRequest::get().uri("/v1/technologies"), state).await;
    assert_eq!(
        limited.problem(429)["instance"],
        "/v1/technologies",
        "a client sending what the API refuses still spends its budget"
    );
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern() {
    get("/v1/technologies/python").await;
    get("/no/such/route").await;
    let metrics = String::from_utf8(get("/metrics").await.body).expect("text");
    assert!(
        metrics.contains(
            "stackatlas_http_requests_total{route=\"/v1/technologies/{id}\",status=\"2xx\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"unmatched\",status=\"4xx\""),
        "{metrics}"
    );
    assert!(metrics.contains("stackatlas_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/v1/technologies/{id}\"}"));
    assert!(metrics.contains("stackatlas_catalogue_technologies "));
    assert!(metrics.contains("stackatlas_catalogue_reloads_total{outcome=\"failure\"}"));
    let ready = get("/readyz").await.json();
    assert_eq!(ready["status"], "ready");
    assert!(ready["technologies"].as_u64().is_some_and(|n| n >= 250));
}

#[actix_web::test]
async fn a_browser_gets_a_landing_page_and_a_client_json() {
    let page = get_with(
        "/",
        &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let html = String::from_utf8_lossy(&page.body);
    // Every link of the page leads somewhere that answers 200 (no dead ends).
    for link in ["/swagger-ui/", "/api-docs/openapi.json", "/embed/"] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
        assert_eq!(get(link).await.status, 200, "{link}");
    }
    let json = get_with("/", &[("accept", "application/json")]).await;
    assert_eq!(json.json()["name"], "Stack Atlas");
}

#[actix_web::test]
async fn the_embed_example_is_served_with_its_script_apart_under_its_own_csp() {
    let page = get("/embed/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    for directive in [
        "script-src 'self'",
        "connect-src 'self'",
        "default-src 'none'",
    ] {
        assert!(csp.contains(directive), "{directive}: {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"));
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(r#"<script src="/embed/app.js"></script>"#));
    assert!(!html.contains("<script>"), "no inline script");
    let script = get("/embed/app.js").await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let js = String::from_utf8_lossy(&script.body);
    assert!(
        js.contains("const DEFAULT_API = location.origin;"),
        "talks to its own server"
    );
    let redirect = get("/embed").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/embed/"));
    assert_eq!(
        get("/embed/?nope=1").await.problem(400)["parameter"],
        "nope"
    );
}

/// A body decoded by its `Content-Encoding`.
fn decoded(answer: &crate::helpers::Answer) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match answer.header("content-encoding") {
        None => out.extend_from_slice(&answer.body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(&answer.body[..])
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(&answer.body[..])
                .read_to_end(&mut out)
                .expect("deflate");
        }
        Some("br") => {
            brotli::Decompressor::new(&answer.body[..], 4096)
                .read_to_end(&mut out)
                .expect("br");
        }
        Some("zstd") => out = zstd::decode_all(&answer.body[..]).expect("zstd"),
        Some(other) => panic!("unexpected coding {other}"),
    }
    out
}

#[actix_web::test]
async fn each_accept_encoding_gets_its_own_coding_however_often_and_in_whatever_order() {
    // One state and one thread, so the memo answers and the thread's remembered
    // negotiations (a few values at a time) are reused; more distinct values than
    // it remembers, asked in two orders, each answered as negotiated afresh.
    // `None` for identity; `Some("406")` for nothing acceptable.
    let cases: [(&str, Option<&str>); 16] = [
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("zstd", Some("zstd")),
        ("identity", None),
        ("gzip;q=0, br", Some("br")),
        ("br;q=0.5, gzip", Some("gzip")),
        ("*;q=0, identity", None),
        ("zstd;q=0.1, gzip;q=0.2", Some("gzip")),
        ("deflate", Some("deflate")),
        ("gzip, deflate, br, zstd", Some("br")),
        ("*", None),
        ("identity;q=0", Some("406")),
        ("*;q=0", Some("406")),
        ("GZIP", Some("gzip")),
        ("x-unknown", None),
        ("gzip;q=0.5, zstd;q=0.5", Some("zstd")),
    ];
    let state = state_with(HttpSettings {
        access_log: false,
        rate_limit: None,
        ..HttpSettings::default()
    });
    let order = (0..cases.len())
        .chain((0..cases.len()).rev())
        .chain((0..cases.len()).map(|i| (i * 7) % cases.len()));
    for i in order {
        let (value, expected) = cases[i];
        let request = TestRequest::get()
            .uri("/v1/technologies/nodejs")
            .insert_header(("accept-encoding", value));
        let answer = call_with_state(request, state.clone()).await;
        match expected {
            Some("406") => assert_eq!(answer.status, 406, "{value}"),
            expected => {
                assert_eq!(answer.status, 200, "{value}");
                assert_eq!(answer.header("content-encoding"), expected, "{value}");
                assert_eq!(
                    decoded(&answer),
                    get("/v1/technologies/nodejs").await.body,
                    "{value}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn a_repeated_request_gets_the_answer_its_handler_gave() {
    // Answers are memoized per target and day; a repeated target is answered from
    // the memo without routing. Whatever the request headers, the answer must be
    // the one the handler gives.
    let variants: &[&[(&str, &str)]] = &[
        &[],
        &[("accept-encoding", "gzip")],
        &[("accept-encoding", "br;q=1, gzip;q=0.5")],
        &[("accept-encoding", "gzip, deflate, br, zstd")],
        &[("accept-encoding", "zstd")],
        &[("accept-encoding", "deflate")],
        &[("origin", "https://example.org")],
        &[("if-none-match", "W/\"0000000000000000\"")],
    ];
    let paths = [
        "/v1/technologies/nodejs",
        "/v1/technologies?kind=database&sort=-first_released&page=2&per_page=5",
        "/v1/technologies/nodejs/releases",
        "/v1/search?q=pyhton&kind=language",
        "/v1/suggest?q=dja",
        "/v1/compare?ids=nodejs,deno",
        "/v1/tags",
    ];
    for path in paths {
        let request = |headers: &[(&str, &str)]| {
            let mut request = TestRequest::get().uri(path);
            for (name, value) in headers {
                request = request.insert_header((*name, *value));
            }
            request
        };
        for headers in variants {
            // A fresh state: the first request is answered by the handler.
            let state = state_with(HttpSettings {
                access_log: false,
                rate_limit: None,
                ..HttpSettings::default()
            });
            let by_handler = call_with_state(request(headers), state.clone()).await;
            let by_memo = call_with_state(request(headers), state.clone()).await;
            assert_eq!(by_handler.status, 200, "{path} {headers:?}");
            assert_eq!(by_memo.status, 200, "{path} {headers:?}");
            for name in [
                "content-type",
                "content-encoding",
                "etag",
                "cache-control",
                "last-modified",
                "vary",
                "link",
                "x-total-count",
                "access-control-allow-origin",
                "access-control-expose-headers",
                "content-security-policy",
                "x-content-type-options",
                "referrer-policy",
            ] {
                assert_eq!(
                    by_handler.header(name),
                    by_memo.header(name),
                    "{path} {headers:?}: {name}"
                );
            }
            assert_eq!(
                decoded(&by_handler),
                decoded(&by_memo),
                "{path} {headers:?}: body"
            );
        }
    }
}

#[actix_web::test]
async fn refusals_are_readable_from_other_origins() {
    let post = call_with(
        TestRequest::post()
            .uri("/v1/technologies")
            .insert_header(("origin", "https://example.org")),
    )
    .await;
    post.problem(405);
    assert_eq!(post.header("access-control-allow-origin"), Some("*"));
    let long = format!("/v1/search?q={}", "a".repeat(5000));
    let too_long = get_with(&long, &[("origin", "https://example.org")]).await;
    too_long.problem(414);
    assert_eq!(too_long.header("access-control-allow-origin"), Some("*"));
}

#[actix_web::test]
async fn search_right_after_start_waits_for_the_index_and_readyz_tells() {
    let state = state_with(HttpSettings {
        access_log: false,
        rate_limit: None,
        ..HttpSettings::default()
    });
    // The index is built on its own thread; these requests may arrive before it is
    // done and must get the full answer, not an error.
    let suggest = call_with_state(TestRequest::get().uri("/v1/suggest?q=dja"), state.clone()).await;
    assert_eq!(suggest.status, 200);
    assert_eq!(suggest.json()["items"][0]["id"], "django");
    let search =
        call_with_state(TestRequest::get().uri("/v1/search?q=pyhton"), state.clone()).await;
    assert_eq!(search.status, 200);
    assert_eq!(search.json()["items"][0]["id"], "python");
    let ready = call_with_state(TestRequest::get().uri("/readyz"), state).await;
    assert_eq!(ready.json()["search_index"], "ready");
}
