//! `GET /v1/suggest`.

use crate::helpers::get;

async fn suggested(path: &str) -> Vec<String> {
    let answer = get(path).await;
    assert_eq!(answer.status, 200, "{path}");
    let body = answer.json();
    assert_eq!(body["schema_version"], "1");
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: {body}"))
        .iter()
        .map(|item| {
            assert!(
                item["name"].is_string() && item["kind"].is_string(),
                "{item}"
            );
            item["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn a_prefix_completes_to_its_entry_first() {
    for (q, id) in [
        ("pyth", "python"),
        ("Postg", "postgresql"),
        ("kub", "kubernetes"),
        ("node", "nodejs"),
        ("c%23", "csharp"),
        ("ruby%20on", "ruby-on-rails"),
        ("rai", "ruby-on-rails"),
        ("spring%20b", "spring-boot"),
    ] {
        let ids = suggested(&format!("/v1/suggest?q={q}")).await;
        assert_eq!(ids.first().map(String::as_str), Some(id), "{q}: {ids:?}");
    }
}

#[actix_web::test]
async fn completions_tolerate_typos_from_five_characters() {
    for (q, id) in [("kuberne", "kubernetes"), ("elastc", "elasticsearch")] {
        let ids = suggested(&format!("/v1/suggest?q={q}")).await;
        assert_eq!(ids.first().map(String::as_str), Some(id), "{q}: {ids:?}");
    }
    assert_eq!(suggested("/v1/suggest?q=kbe").await, Vec::<String>::new());
}

#[actix_web::test]
async fn two_typos_from_nine_characters_when_nothing_lies_within_one() {
    // Two typos (a letter left out, two letters swapped): nothing within one.
    let ids = suggested("/v1/suggest?q=elastcsearhc").await;
    assert_eq!(
        ids.first().map(String::as_str),
        Some("elasticsearch"),
        "{ids:?}"
    );
    // One typo: what lies within one typo is answered, nothing two typos away
    // (`apache axt` is one typo from Apache ActiveMQ, ActiveMQ Artemis and Apache
    // Ant, two from Apache HTTP Server and Apache Struts).
    let ids = suggested("/v1/suggest?q=apache%20axt").await;
    for id in ["apache-activemq", "activemq-artemis", "apache-ant"] {
        assert!(ids.iter().any(|i| i == id), "{id}: {ids:?}");
    }
    for id in ["apache-http-server", "apache-struts"] {
        assert!(!ids.iter().any(|i| i == id), "{id}: {ids:?}");
    }
    // Three typos: nothing.
    assert_eq!(
        suggested("/v1/suggest?q=elastcsaerhc").await,
        Vec::<String>::new()
    );
}

#[actix_web::test]
async fn limit_caps_the_completions_at_10_by_default() {
    assert_eq!(suggested("/v1/suggest?q=a").await.len(), 10);
    assert_eq!(suggested("/v1/suggest?q=a&limit=3").await.len(), 3);
    assert_eq!(suggested("/v1/suggest?q=zzzzqq").await.len(), 0);
    let body = get("/v1/suggest?q=Pyth").await.json();
    assert_eq!(body["query"], "Pyth");
}

#[actix_web::test]
async fn invalid_suggest_parameters_are_400_problems_naming_them() {
    for (path, parameter) in [
        ("/v1/suggest", "q"),
        ("/v1/suggest?q=%20", "q"),
        ("/v1/suggest?q=py&limit=0", "limit"),
        ("/v1/suggest?q=py&limit=11", "limit"),
        ("/v1/suggest?q=py&limit=x", "limit"),
        ("/v1/suggest?q=py&page=2", "page"),
    ] {
        let problem = get(path).await.problem(400);
        assert_eq!(problem["parameter"], parameter, "{path}");
    }
    let long = "a".repeat(201);
    let problem = get(&format!("/v1/suggest?q={long}")).await.problem(400);
    assert_eq!(problem["parameter"], "q");
}

#[actix_web::test]
async fn short_slips_still_complete_when_nothing_else_does() {
    for (q, id) in [
        ("flsk", "flask"),
        ("djng", "django"),
        ("pstgr", "postgresql"),
        ("bnu", "bun"),
        ("kao", "koa"),
        ("gni", "gin"),
        ("rsut", "rust"),
        ("fjang", "django"),
    ] {
        let ids = suggested(&format!("/v1/suggest?q={q}")).await;
        assert_eq!(ids.first().map(String::as_str), Some(id), "{q}: {ids:?}");
    }
    // What completes under the normal rules is not loosened: `gin` completes to Gin
    // and the entries starting so, never to nginx by a swap.
    let ids = suggested("/v1/suggest?q=gin").await;
    assert_eq!(ids.first().map(String::as_str), Some("gin"));
    assert!(!ids.iter().any(|id| id == "nginx"), "{ids:?}");
}
