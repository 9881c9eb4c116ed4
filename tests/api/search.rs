//! `GET /v1/search`.

use crate::helpers::get;

fn first_id(path: &str, body: &serde_json::Value) -> String {
    body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: no hits: {body}"))
        .to_owned()
}

#[actix_web::test]
async fn a_name_finds_its_entry_first() {
    for (q, id) in [
        ("node.js", "nodejs"),
        ("Node.js", "nodejs"),
        ("node", "nodejs"),
    ] {
        let path = format!("/v1/search?q={q}");
        let answer = get(&path).await;
        assert_eq!(answer.status, 200);
        let body = answer.json();
        assert_eq!(first_id(&path, &body), id);
        assert!(
            body["items"][0]["matched_fields"]
                .as_array()
                .is_some_and(|f| !f.is_empty())
        );
    }
}

#[actix_web::test]
async fn search_words_match_tags_and_text() {
    let body = get("/v1/search?q=event-loop").await.json();
    let node = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|hit| hit["id"] == "nodejs")
        .unwrap_or_else(|| panic!("Node.js is tagged event-loop: {body}"));
    assert_eq!(node["matched_fields"][0], "tags");
}

#[actix_web::test]
async fn a_query_matching_nothing_answers_zero_hits() {
    let answer = get("/v1/search?q=zzzzqqqq").await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["total"], 0);
    assert_eq!(body["items"], serde_json::json!([]));
}

#[actix_web::test]
async fn a_missing_or_blank_q_is_a_400_problem() {
    for path in ["/v1/search", "/v1/search?q=", "/v1/search?q=%20%20"] {
        let problem = get(path).await.problem(400);
        assert_eq!(problem["parameter"], "q", "{path}");
    }
}

#[actix_web::test]
async fn a_q_over_200_characters_is_a_400_problem() {
    let long = "a".repeat(201);
    let problem = get(&format!("/v1/search?q={long}")).await.problem(400);
    assert_eq!(problem["parameter"], "q");
    let ok = get(&format!("/v1/search?q={}", "a".repeat(200))).await;
    assert_eq!(ok.status, 200);
}

#[actix_web::test]
async fn search_filters_by_kind() {
    let body = get("/v1/search?q=javascript&kind=language").await.json();
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["kind"] == "language")
    );
    assert!(
        body["links"]["first"]
            .as_str()
            .expect("first")
            .contains("kind=language")
    );
}
