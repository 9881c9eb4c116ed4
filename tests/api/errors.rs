//! Bad requests answer RFC 9457 problems naming what is wrong.

use crate::helpers::{call, get};

#[actix_web::test]
async fn a_malformed_page_is_a_400_problem_naming_page() {
    for query in ["page=abc", "page=0", "page=-1", "page=1.5", "page="] {
        let problem = get(&format!("/v1/technologies?{query}")).await.problem(400);
        assert_eq!(problem["parameter"], "page", "{query}");
    }
}

#[actix_web::test]
async fn per_page_outside_1_to_100_is_a_400_problem() {
    for query in ["per_page=0", "per_page=101", "per_page=99999999999"] {
        let problem = get(&format!("/v1/technologies?{query}")).await.problem(400);
        assert_eq!(problem["parameter"], "per_page", "{query}");
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("1 to 100")
        );
    }
}

#[actix_web::test]
async fn a_repeated_single_valued_parameter_is_a_400_problem() {
    let problem = get("/v1/technologies?page=1&page=2").await.problem(400);
    assert_eq!(problem["parameter"], "page");
}

#[actix_web::test]
async fn an_unknown_query_parameter_is_a_400_problem_naming_it() {
    let problem = get("/v1/technologies?per_pgae=5").await.problem(400);
    assert_eq!(problem["parameter"], "per_pgae");
    assert_eq!(problem["type"], "urn:stackatlas:problem:unknown-parameter");
    assert!(
        problem["allowed"]
            .as_array()
            .expect("allowed")
            .iter()
            .any(|v| v == "per_page")
    );
    let problem = get("/v1/technologies/nodejs?verbose=1").await.problem(400);
    assert_eq!(problem["parameter"], "verbose");
}

#[actix_web::test]
async fn an_unknown_kind_is_a_400_problem_listing_the_kinds() {
    let problem = get("/v1/technologies?kind=spaceship").await.problem(400);
    assert_eq!(problem["parameter"], "kind");
    let allowed = problem["allowed"].as_array().expect("allowed");
    assert_eq!(allowed.len(), 21);
    assert!(allowed.iter().any(|v| v == "web_framework"));
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let problem = get("/v2/everything").await.problem(404);
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["instance"], "/v2/everything");
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    for (method, path) in [
        ("POST", "/v1/technologies"),
        ("DELETE", "/v1/technologies/nodejs"),
        ("PUT", "/v1/search"),
        ("PATCH", "/healthz"),
    ] {
        let answer = call(method, path).await;
        answer.problem(405);
        assert_eq!(
            answer.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{method} {path}"
        );
    }
}

#[actix_web::test]
async fn head_answers_like_get() {
    let answer = call("HEAD", "/v1/technologies/nodejs").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
}
