//! The OpenAPI document: served, committed, and equal.

use crate::helpers::get;

const REGENERATE: &str = "cargo run --quiet -- --print-openapi > openapi/openapi.json";

#[actix_web::test]
async fn the_served_document_equals_the_committed_file() {
    let answer = get("/api-docs/openapi.json").await;
    assert_eq!(answer.status, 200);
    let served = answer.json();
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap_or_else(|e| {
            panic!("openapi/openapi.json is not JSON ({e}); regenerate it with: {REGENERATE}")
        });
    assert!(
        served == committed,
        "openapi/openapi.json differs from the document the code generates; regenerate it with: {REGENERATE}"
    );
}

#[actix_web::test]
async fn the_document_revalidates_and_takes_no_parameters() {
    let first = get("/api-docs/openapi.json").await;
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    let etag = first.header("etag").expect("ETag").to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    let again =
        crate::helpers::get_with("/api-docs/openapi.json", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other =
        crate::helpers::get_with("/api-docs/openapi.json", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(other.status, 200);
    let problem = get("/api-docs/openapi.json?format=yaml").await.problem(400);
    assert_eq!(problem["parameter"], "format");
}

#[actix_web::test]
async fn every_operation_is_documented() {
    let document = get("/api-docs/openapi.json").await.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    assert_eq!(document["info"]["title"], "Stack Atlas");
    assert_eq!(
        document["info"]["license"]["identifier"],
        "MIT OR Apache-2.0"
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/v1/technologies",
        "/v1/technologies/{id}",
        "/v1/search",
        "/v1/suggest",
        "/healthz",
        "/",
    ] {
        let operation = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented"))["get"];
        for field in ["summary", "description", "operationId"] {
            assert!(operation[field].is_string(), "{path} has a {field}");
        }
        assert!(
            operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{path} has a tag"
        );
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            assert!(parameter["description"].is_string(), "{path} {parameter}");
        }
    }
    assert!(document["components"]["schemas"]["ProblemDetails"].is_object());
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary() {
    let answer = get("/swagger-ui/").await;
    assert_eq!(answer.status, 200);
    assert!(String::from_utf8_lossy(&answer.body).contains("swagger-ui"));
    let init = get("/swagger-ui/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    let script = String::from_utf8_lossy(&init.body);
    assert!(script.contains("/api-docs/openapi.json"), "{script}");
    assert!(
        !script.contains("https://"),
        "Swagger UI must not load anything remote: {script}"
    );
    let redirect = get("/swagger-ui").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/swagger-ui/"));
}

#[actix_web::test]
async fn the_index_links_every_endpoint() {
    let body = get("/").await.json();
    let hrefs: Vec<&str> = body["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["href"].as_str())
        .collect();
    for href in [
        "/v1/technologies",
        "/v1/search?q={query}",
        "/v1/suggest?q={prefix}",
        "/api-docs/openapi.json",
        "/swagger-ui/",
        "/healthz",
    ] {
        assert!(hrefs.contains(&href), "{href} in {hrefs:?}");
    }
    assert_eq!(get("/healthz").await.json()["status"], "ok");
}

/// Every problem answer of the document shows an example of its own status (Swagger
/// UI shows it under that status), of the problem shape.
#[actix_web::test]
async fn every_problem_response_shows_an_example_of_its_own_status() {
    let document = crate::helpers::get("/api-docs/openapi.json").await.json();
    let mut seen = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                let Some(content) = response["content"].get("application/problem+json") else {
                    continue;
                };
                let example = &content["example"];
                assert_eq!(
                    example["status"].as_u64().map(|s| s.to_string()).as_deref(),
                    Some(status.as_str()),
                    "{method} {path} {status}: {example}"
                );
                assert!(
                    example["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("urn:stackatlas:problem:")),
                    "{method} {path} {status}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 40, "{seen} problem responses");
}
