//! List filters, sort, sparse fieldsets, expansion, comparison, taxonomy, export.

use std::collections::HashMap;

use serde_json::Value;

use crate::helpers::{catalogue, get, get_with};

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn values_of_one_filter_are_or_and_filters_are_and() {
    let snapshot = catalogue();
    let all = snapshot.catalogue.technologies();
    let python = get("/v1/technologies?language=python&per_page=100")
        .await
        .json();
    let expected = all
        .iter()
        .filter(|t| t.relations.for_language.iter().any(|l| l == "python") || t.id == "python")
        .count();
    assert_eq!(python["total"], expected);
    let either = get("/v1/technologies?language=python,ruby&per_page=100")
        .await
        .json();
    let both_ways = get("/v1/technologies?language=python&language=ruby&per_page=100")
        .await
        .json();
    assert_eq!(either["total"], both_ways["total"]);
    assert!(either["total"].as_u64() > python["total"].as_u64());
    let anded = get("/v1/technologies?language=python&kind=web_framework&per_page=100")
        .await
        .json();
    let expected = all
        .iter()
        .filter(|t| {
            t.kind.as_str() == "web_framework"
                && t.relations.for_language.iter().any(|l| l == "python")
        })
        .count();
    assert_eq!(anded["total"], expected);
    assert!(ids(&anded).contains(&"django".to_owned()));
}

#[actix_web::test]
async fn every_facet_filters() {
    let snapshot = catalogue();
    let all = snapshot.catalogue.technologies();
    let count = |pred: &dyn Fn(&stackatlas::catalogue::Technology) -> bool| {
        all.iter().filter(|t| pred(t)).count()
    };
    let cases: Vec<(&str, usize)> = vec![
        (
            "runs_on=nodejs",
            count(&|t| t.relations.runs_on.iter().any(|r| r == "nodejs")),
        ),
        (
            "written_in=rust",
            count(&|t| t.relations.written_in.iter().any(|r| r == "rust")),
        ),
        (
            "built_on=spring-framework",
            count(&|t| t.relations.built_on.iter().any(|r| r == "spring-framework")),
        ),
        (
            "license=BSD-3-Clause",
            count(&|t| {
                t.license
                    .as_deref()
                    .is_some_and(|l| l.split(' ').any(|p| p == "BSD-3-Clause"))
            }),
        ),
        (
            "released_after=2015",
            count(&|t| t.first_released.is_some_and(|y| y > 2015)),
        ),
        (
            "released_before=1995",
            count(&|t| t.first_released.is_some_and(|y| y < 1995)),
        ),
        (
            "tag=relational",
            count(&|t| t.tags.iter().any(|x| x == "relational")),
        ),
    ];
    for (query, expected) in cases {
        assert!(expected > 0, "{query} has matches in the catalogue");
        let body = get(&format!("/v1/technologies?{query}&per_page=1"))
            .await
            .json();
        assert_eq!(body["total"], expected, "{query}");
    }
    let supported = get("/v1/technologies?status=supported&kind=runtime&per_page=100&fields=id")
        .await
        .json();
    assert!(ids(&supported).contains(&"nodejs".to_owned()));
    let ended = get("/v1/technologies?status=end_of_life&kind=runtime&per_page=100&fields=id")
        .await
        .json();
    assert!(!ids(&ended).contains(&"nodejs".to_owned()));
    get("/v1/technologies?status=retired").await.problem(400);
    get("/v1/technologies?released_after=soon")
        .await
        .problem(400);
}

#[actix_web::test]
async fn sort_orders_with_stable_ties_and_missing_values_last() {
    let body =
        get("/v1/technologies?sort=-first_released&per_page=100&fields=id,name,first_released")
            .await
            .json();
    let items = body["items"].as_array().expect("items");
    let years: Vec<Option<u64>> = items.iter().map(|i| i["first_released"].as_u64()).collect();
    for pair in years.windows(2) {
        match (pair[0], pair[1]) {
            (Some(a), Some(b)) => assert!(a >= b, "{years:?}"),
            (None, Some(_)) => panic!("entries without a year come last"),
            _ => {}
        }
    }
    for pair in items.windows(2) {
        if pair[0]["first_released"] == pair[1]["first_released"] {
            let (a, b) = (
                pair[0]["name"].as_str().unwrap_or(""),
                pair[1]["name"].as_str().unwrap_or(""),
            );
            assert!(
                a.to_lowercase() <= b.to_lowercase(),
                "ties by name: {a} {b}"
            );
        }
    }
    let by_name_desc = get("/v1/technologies?sort=-name&per_page=3&fields=name")
        .await
        .json();
    let total = catalogue().catalogue.len();
    let last_by_name = get(&format!(
        "/v1/technologies?sort=name&per_page=1&page={total}&fields=name"
    ))
    .await
    .json();
    assert_eq!(by_name_desc["items"][0], last_by_name["items"][0]);
    let latest = get("/v1/technologies?sort=-latest_release&per_page=5&fields=id")
        .await
        .json();
    assert_eq!(latest["items"].as_array().map(Vec::len), Some(5));
    let problem = get("/v1/technologies?sort=popularity").await.problem(400);
    assert_eq!(problem["parameter"], "sort");
}

#[actix_web::test]
async fn fields_returns_only_those_fields_and_unknown_fields_are_400() {
    let body = get("/v1/technologies?fields=id,name,kind&per_page=5")
        .await
        .json();
    for item in body["items"].as_array().expect("items") {
        let keys: Vec<&String> = item.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["id", "name", "kind"]);
    }
    let detail = get("/v1/technologies/nodejs?fields=name,lifecycle")
        .await
        .json();
    assert_eq!(detail.as_object().map(|o| o.len()), Some(2));
    assert!(detail["lifecycle"]["releases"].is_array());
    let problem = get("/v1/technologies?fields=id,colour").await.problem(400);
    assert_eq!(problem["parameter"], "fields");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("colour"))
    );
    assert!(
        problem["allowed"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "summary"))
    );
}

#[actix_web::test]
async fn expand_related_inlines_summaries() {
    let body =
        get("/v1/technologies?language=python&kind=web_framework&expand=related&per_page=100")
            .await
            .json();
    let django = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "django")
        .expect("django");
    let languages = django["related"]["for_language"]
        .as_array()
        .expect("for_language inlined");
    assert_eq!(languages[0]["id"], "python");
    assert!(languages[0]["summary"].is_string());
    let detail = get("/v1/technologies/django?expand=related").await.json();
    assert!(
        detail["related"]["alternative_to"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    get("/v1/technologies?expand=everything").await.problem(400);
}

#[actix_web::test]
async fn compare_lines_technologies_up_field_by_field() {
    let body = get("/v1/compare?ids=nodejs,python,java").await.json();
    assert_eq!(body["ids"], serde_json::json!(["nodejs", "python", "java"]));
    let rows = body["rows"].as_array().expect("rows");
    let license = rows
        .iter()
        .find(|r| r["field"] == "license")
        .expect("license row");
    assert_eq!(license["values"]["nodejs"], "MIT");
    assert_eq!(license["same"], false);
    assert!(rows.iter().any(|r| r["field"] == "lifecycle"));
    let trimmed = get("/v1/compare?ids=nodejs&ids=deno&fields=kind")
        .await
        .json();
    assert_eq!(trimmed["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(trimmed["rows"][0]["same"], true);
    let alias = get("/v1/compare?ids=node,python").await.json();
    assert_eq!(alias["ids"][0], "nodejs");
}

#[actix_web::test]
async fn compare_rejects_unknown_duplicate_and_out_of_range_ids() {
    let unknown = get("/v1/compare?ids=nodejs,ghost").await.problem(400);
    assert_eq!(unknown["parameter"], "ids");
    assert!(
        unknown["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ghost"))
    );
    let duplicate = get("/v1/compare?ids=nodejs,node").await.problem(400);
    assert!(
        duplicate["detail"]
            .as_str()
            .is_some_and(|d| d.contains("node"))
    );
    get("/v1/compare?ids=nodejs").await.problem(400);
    let eleven = [
        "nodejs", "python", "java", "php", "ruby", "go", "rust", "c", "cpp", "csharp", "deno",
    ]
    .join(",");
    get(&format!("/v1/compare?ids={eleven}")).await.problem(400);
}

#[actix_web::test]
async fn taxonomy_counts_equal_the_catalogue() {
    let snapshot = catalogue();
    let all = snapshot.catalogue.technologies();
    let kinds = get("/v1/kinds?per_page=100").await.json();
    let present: std::collections::HashSet<_> = all.iter().map(|t| t.kind).collect();
    assert_eq!(kinds["total"], present.len());
    for item in kinds["items"].as_array().expect("items") {
        let count = all
            .iter()
            .filter(|t| t.kind.as_str() == item["value"])
            .count();
        assert_eq!(item["count"], count, "{item}");
        let listed = get(item["href"].as_str().expect("href")).await.json();
        assert_eq!(listed["total"], count);
    }
    let tags = get("/v1/tags?per_page=100").await.json();
    let mut expected: HashMap<&str, usize> = HashMap::new();
    for t in all {
        for tag in &t.tags {
            *expected.entry(tag).or_default() += 1;
        }
    }
    assert_eq!(tags["total"], expected.len());
    for item in tags["items"].as_array().expect("items") {
        assert_eq!(
            item["count"],
            expected[item["value"].as_str().expect("value")]
        );
    }
    for path in ["/v1/languages", "/v1/licenses", "/v1/runtimes"] {
        let body = get(path).await.json();
        assert!(body["total"].as_u64().is_some_and(|t| t > 3), "{path}");
        assert_eq!(body["schema_version"], "1");
        assert!(body["links"]["first"].is_string());
    }
    let python = get("/v1/languages?per_page=100").await.json();
    let entry = python["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["value"] == "python")
        .expect("python");
    assert_eq!(entry["name"], "Python");
}

#[actix_web::test]
async fn the_catalogue_exports_as_json_ndjson_and_csv() {
    let total = catalogue().catalogue.len();
    let json = get("/v1/catalogue").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
    let body = json.json();
    assert_eq!(body["schema_version"], "1");
    assert_eq!(body["total"], total);
    assert!(body["catalogue_updated"].is_string());
    assert_eq!(body["items"].as_array().map(Vec::len), Some(total));
    assert!(json.header("vary").is_some_and(|v| v.contains("Accept")));

    let ndjson = get_with("/v1/catalogue", &[("accept", "application/x-ndjson")]).await;
    assert_eq!(ndjson.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(ndjson.header("x-schema-version"), Some("1"));
    let text = String::from_utf8(ndjson.body.clone()).expect("utf-8");
    assert_eq!(text.lines().count(), total);
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(value["id"].is_string());
    }

    let csv = get_with("/v1/catalogue", &[("accept", "text/csv")]).await;
    assert!(
        csv.header("content-type")
            .is_some_and(|v| v.starts_with("text/csv"))
    );
    let text = String::from_utf8(csv.body.clone()).expect("utf-8");
    assert!(text.starts_with("id,name,kind,summary,"));
    assert_eq!(
        text.matches("\r\n").count(),
        total + 1,
        "a header and one row each (no raw line breaks in fields)"
    );

    let refused = get_with("/v1/catalogue", &[("accept", "application/xml")])
        .await
        .problem(406);
    assert!(
        refused["allowed"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "text/csv"))
    );
    let csv_tag = csv.header("etag").map(str::to_owned);
    assert_ne!(
        csv_tag.as_deref(),
        json.header("etag"),
        "each representation has its own validator"
    );
}

/// The app over a synthetic catalogue of `count` entries.
fn synthetic_state(count: usize) -> actix_web::web::Data<stackatlas::api::AppState> {
    use stackatlas::api::{AppState, HttpSettings};
    use stackatlas::snapshot::{Snapshots, Source};
    let base = &catalogue().catalogue;
    let synthetic = stackatlas::catalogue::synthetic::catalogue(base, count, 7)
        .unwrap_or_else(|errors| panic!("{errors}"));
    let settings = HttpSettings {
        access_log: false,
        rate_limit: None,
        ..HttpSettings::default()
    };
    actix_web::web::Data::new(AppState::new(
        Snapshots::from_catalogue(synthetic, Source::Embedded),
        settings,
    ))
}

#[actix_web::test]
async fn an_export_larger_than_the_memo_streams_every_entry_and_revalidates() {
    use actix_web::test::TestRequest;

    use crate::helpers::call_with_state;
    let state = synthetic_state(1500);
    let get = |accept: &'static str| {
        TestRequest::get()
            .uri("/v1/catalogue")
            .insert_header(("accept", accept))
    };

    let json = call_with_state(get("application/json"), state.clone()).await;
    assert_eq!(json.status, 200);
    assert!(
        json.body.len() > 1024 * 1024,
        "the answer is larger than one memo entry ({} bytes)",
        json.body.len()
    );
    // Made while sent: no length up front.
    assert_eq!(json.header("content-length"), None);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.header("x-schema-version"), Some("1"));
    let body = json.json();
    assert_eq!(body["total"], 1500);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1500);
    let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    let snapshot = state.snapshots.current();
    let expected: Vec<&str> = snapshot
        .catalogue
        .technologies()
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, expected, "every entry once, in catalogue order");

    // The same answer again, and a 304 for its validator.
    let again = call_with_state(get("application/json"), state.clone()).await;
    assert_eq!(again.body, json.body);
    let etag = json.header("etag").expect("an ETag").to_owned();
    let revalidated = call_with_state(
        get("application/json").insert_header(("if-none-match", etag)),
        state.clone(),
    )
    .await;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty());

    let ndjson = call_with_state(get("application/x-ndjson"), state.clone()).await;
    let text = String::from_utf8(ndjson.body).expect("utf-8");
    assert_eq!(text.lines().count(), 1500);
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(value["id"].is_string());
    }

    let csv = call_with_state(get("text/csv"), state.clone()).await;
    let text = String::from_utf8(csv.body).expect("utf-8");
    assert!(text.starts_with("id,name,kind,summary,"));
    assert_eq!(text.matches("\r\n").count(), 1501);

    // Compressed on the fly when asked.
    let gzip = call_with_state(
        get("application/json").insert_header(("accept-encoding", "gzip")),
        state.clone(),
    )
    .await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzip.body.as_slice()),
        &mut plain,
    )
    .expect("gzip");
    assert_eq!(plain, json.body);
}

#[actix_web::test]
async fn updated_since_and_sort_by_updated_serve_a_mirror_only_what_changed() {
    let snapshot = crate::helpers::catalogue();
    let technologies = snapshot.catalogue.technologies();
    let mut days: Vec<_> = technologies.iter().map(|t| t.updated).collect();
    days.sort();
    days.dedup();
    for day in &days {
        let expected = technologies.iter().filter(|t| t.updated >= *day).count();
        let body = get(&format!("/v1/technologies?updated_since={day}&per_page=1"))
            .await
            .json();
        assert_eq!(body["total"], expected, "updated_since={day}");
    }
    let newest = days.last().expect("a day");
    let later = stackatlas::catalogue::Date::from_days_since_epoch(newest.days_since_epoch() + 1);
    let none = get(&format!("/v1/technologies?updated_since={later}"))
        .await
        .json();
    assert_eq!(none["total"], 0);
    assert!(none["items"].as_array().is_some_and(Vec::is_empty));

    let body = get("/v1/technologies?sort=-updated&per_page=100&fields=id,updated")
        .await
        .json();
    let stamps: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["updated"].as_str().expect("every entry has updated"))
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");
    assert_eq!(stamps[0], newest.to_string());

    for bad in ["2026-13-01", "yesterday", "2026-02-30", "20261201"] {
        let problem = get(&format!("/v1/technologies?updated_since={bad}"))
            .await
            .problem(400);
        assert_eq!(problem["parameter"], "updated_since", "{bad}");
    }
}

#[actix_web::test]
async fn the_licence_filter_takes_spdx_ids_and_rejects_anything_else() {
    for word in [
        "or",
        "OR",
        "WITH",
        "and",
        "Classpath-exception-2.0",
        "not-a-licence",
    ] {
        let problem = get(&format!("/v1/technologies?license={word}"))
            .await
            .problem(400);
        assert_eq!(problem["parameter"], "license", "{word}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("SPDX")),
            "{word}: {problem}"
        );
        let problem = get(&format!("/v1/search?q=web&license={word}"))
            .await
            .problem(400);
        assert_eq!(problem["parameter"], "license", "{word}");
    }
    // An id matches every expression naming it, in any case, never a longer id.
    let dual = get("/v1/technologies?license=mit&per_page=100&fields=id,license")
        .await
        .json();
    let licences: Vec<&str> = dual["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["license"].as_str())
        .collect();
    assert!(licences.contains(&"MIT OR Apache-2.0"), "{licences:?}");
    let names_mit = |l: &&str| l.split([' ', '(', ')']).any(|id| id == "MIT");
    assert!(licences.iter().all(names_mit), "{licences:?}");
}

#[actix_web::test]
async fn every_taxonomy_count_is_the_total_of_its_filter() {
    for path in ["/v1/languages", "/v1/licenses", "/v1/runtimes", "/v1/kinds"] {
        let mut checked = 0;
        for page in 1.. {
            let body = get(&format!("{path}?per_page=100&page={page}"))
                .await
                .json();
            let items = body["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            for item in items {
                let href = item["href"].as_str().expect("href");
                let listed = get(&format!("{href}&per_page=1")).await.json();
                assert_eq!(listed["total"], item["count"], "{path}: {href}");
                checked += 1;
            }
        }
        assert!(checked > 3, "{path}: {checked}");
    }
    // Python counts itself: the language facet, the filter and /v1/languages agree.
    let search = get("/v1/search?q=python&per_page=1").await.json();
    let filtered = get("/v1/search?q=python&language=python&per_page=1")
        .await
        .json();
    assert_eq!(search["facets"]["language"]["python"], filtered["total"]);
}
