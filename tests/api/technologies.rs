//! `GET /v1/technologies` and `GET /v1/technologies/{id}`.

use crate::helpers::get;
use serde_json::Value;

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

#[actix_web::test]
async fn list_answers_the_first_page_sorted_by_name() {
    let answer = get("/v1/technologies").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    let total = crate::helpers::catalogue().catalogue.len();
    assert_eq!(body["total"], total);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 20);
    assert_eq!(body["schema_version"], "1");
    let names: Vec<String> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_lowercase())
        .collect();
    assert_eq!(names.len(), total.min(20));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(
        answer.header("x-total-count"),
        Some(total.to_string().as_str())
    );
}

#[actix_web::test]
async fn list_pages_carry_links_in_body_and_link_header() {
    let answer = get("/v1/technologies?per_page=1&page=2").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let total = crate::helpers::catalogue().catalogue.len();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["links"]["prev"], "/v1/technologies?page=1&per_page=1");
    assert_eq!(body["links"]["next"], "/v1/technologies?page=3&per_page=1");
    assert_eq!(
        body["links"]["last"],
        format!("/v1/technologies?page={total}&per_page=1")
    );
    let link = answer.header("link").expect("a Link header");
    assert!(
        link.contains(r#"</v1/technologies?page=1&per_page=1>; rel="first""#),
        "{link}"
    );
    assert!(
        link.contains(r#"</v1/technologies?page=3&per_page=1>; rel="next""#),
        "{link}"
    );
    assert!(
        link.contains(r#"</v1/technologies?page=1&per_page=1>; rel="prev""#),
        "{link}"
    );
    let second = ids(&body);
    let first = ids(&get("/v1/technologies?per_page=1&page=1").await.json());
    assert_ne!(first, second, "pages do not overlap");
}

#[actix_web::test]
async fn a_page_past_the_end_is_empty_not_an_error() {
    let answer = get("/v1/technologies?page=9999").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["items"], Value::Array(vec![]));
    assert!(body["links"].get("next").is_none());
}

#[actix_web::test]
async fn list_filters_by_kind_and_keeps_the_filter_in_links() {
    let answer = get("/v1/technologies?kind=runtime&per_page=1").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    let expected = crate::helpers::catalogue()
        .catalogue
        .technologies()
        .iter()
        .filter(|t| t.kind.as_str() == "runtime")
        .count();
    assert!(expected > 0);
    assert_eq!(body["total"], expected);
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["kind"] == "runtime")
    );
    assert!(
        body["links"]["first"]
            .as_str()
            .expect("first")
            .contains("kind=runtime")
    );
}

#[actix_web::test]
async fn list_filters_by_tag_and_any_of_several_values() {
    let body = get("/v1/technologies?tag=javascript&per_page=100")
        .await
        .json();
    let with_tag = |tag: &str| {
        crate::helpers::catalogue()
            .catalogue
            .technologies()
            .iter()
            .filter(|t| t.tags.iter().any(|x| x == tag))
            .count()
    };
    assert_eq!(body["total"], with_tag("javascript"));
    assert!(ids(&body).contains(&"nodejs".to_owned()));
    let both = get("/v1/technologies?kind=runtime&kind=language&per_page=100")
        .await
        .json();
    let kinds: Vec<&str> = both["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert!(kinds.iter().all(|k| *k == "runtime" || *k == "language"));
    assert!(kinds.contains(&"runtime"));
}

#[actix_web::test]
async fn detail_answers_the_full_entry() {
    let answer = get("/v1/technologies/nodejs").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["id"], "nodejs");
    assert_eq!(body["name"], "Node.js");
    assert_eq!(body["kind"], "runtime");
    assert_eq!(body["license"], "MIT");
    assert_eq!(body["first_released"], 2009);
    assert!(body["sources"].as_array().is_some_and(|s| !s.is_empty()));
}

#[actix_web::test]
async fn an_alias_redirects_permanently_to_the_canonical_url() {
    for alias in ["node", "NodeJS", "node.js"] {
        let answer = get(&format!("/v1/technologies/{alias}")).await;
        assert_eq!(answer.status, 308, "{alias}");
        assert_eq!(
            answer.header("location"),
            Some("/v1/technologies/nodejs"),
            "{alias}"
        );
    }
}

#[actix_web::test]
async fn an_unknown_id_is_a_404_problem() {
    let problem = get("/v1/technologies/no-such-thing").await.problem(404);
    assert_eq!(problem["parameter"], "id");
    assert_eq!(problem["instance"], "/v1/technologies/no-such-thing");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("no-such-thing")
    );
}
