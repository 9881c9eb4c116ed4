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

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Every hit of a query, page by page.
async fn all_hits(query: &str) -> Vec<serde_json::Value> {
    let mut hits = Vec::new();
    for page in 1.. {
        let body = get(&format!("/v1/search?{query}&per_page=100&page={page}"))
            .await
            .json();
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        hits.extend(items);
    }
    hits
}

/// Facet counts computed by hand over the entries `ids`, in answer order.
fn brute_force_facets(ids: &[String]) -> serde_json::Value {
    let snapshot = crate::helpers::catalogue();
    let mut facets: std::collections::BTreeMap<&str, std::collections::HashMap<String, u64>> =
        Default::default();
    for id in ids {
        let t = snapshot.catalogue.get(id).expect("a hit is an entry");
        let mut add = |facet: &'static str, value: &str| {
            *facets
                .entry(facet)
                .or_default()
                .entry(value.to_owned())
                .or_default() += 1;
        };
        add("kind", t.kind.as_str());
        t.tags.iter().for_each(|tag| add("tag", tag));
        t.relations
            .for_language
            .iter()
            .for_each(|language| add("language", language));
        // A language counts under its own id, as `language=<id>` keeps it.
        if t.kind.as_str() == "language" && !t.relations.for_language.contains(&t.id) {
            add("language", &t.id);
        }
    }
    let mut out = serde_json::Map::new();
    for facet in ["kind", "tag", "language"] {
        let mut counts: Vec<(String, u64)> = facets
            .remove(facet)
            .unwrap_or_default()
            .into_iter()
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts.truncate(stackatlas::search::MAX_FACET_VALUES);
        out.insert(
            facet.to_owned(),
            counts
                .into_iter()
                .map(|(value, count)| (value, serde_json::json!(count)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
    }
    out.into()
}

#[actix_web::test]
async fn facets_count_the_whole_matching_set_after_filters() {
    for query in [
        "q=python",
        "q=database",
        "q=framework&kind=web_framework",
        "q=event%20loop&tag=javascript,rust",
        "q=a",
    ] {
        let body = get(&format!("/v1/search?{query}&per_page=5")).await.json();
        let ids: Vec<String> = all_hits(query)
            .await
            .iter()
            .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(body["total"], ids.len(), "{query}");
        assert!(ids.len() > 5, "{query} should match more than a page");
        assert_eq!(body["facets"], brute_force_facets(&ids), "{query}");
    }
}

#[actix_web::test]
async fn a_query_matching_nothing_has_empty_facets_and_a_processing_time() {
    let body = get("/v1/search?q=zzzzqqqq").await.json();
    assert_eq!(
        body["facets"],
        serde_json::json!({"kind": {}, "tag": {}, "language": {}})
    );
    assert!(body["processing_time_us"].is_u64(), "{body}");
    assert_eq!(body["query"], "zzzzqqqq");
}

#[actix_web::test]
async fn hits_carry_their_rule_values_and_come_in_score_order() {
    let body = get("/v1/search?q=python%20web%20framework&per_page=50")
        .await
        .json();
    let items = body["items"].as_array().expect("items");
    assert!(items.len() > 5);
    for hit in items {
        let ranking = &hit["ranking"];
        for rule in [
            "words_matched",
            "typos",
            "field_rank",
            "proximity",
            "exact",
            "importance",
        ] {
            assert!(ranking[rule].is_u64(), "{rule} in {hit}");
        }
        assert!(ranking["exact_name"].is_boolean());
        assert!(ranking["field"].is_string());
    }
    let scores: Vec<u64> = items.iter().filter_map(|h| h["score"].as_u64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(items[0]["ranking"]["words_matched"], 3);
}

/// The UTF-16 code units of `text` in `range`, as JavaScript's slice cuts them.
fn slice_utf16(text: &str, start: u64, length: u64) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (start as usize, (start + length) as usize);
    assert!(end <= units.len(), "range {start}..{end} past {text:?}");
    String::from_utf16(&units[start..end]).expect("ranges cut at character boundaries")
}

/// Every highlighted piece of `hit`, as (field, text cut by the range).
fn highlighted(hit: &serde_json::Value) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    for highlight in hit["highlights"].as_array().expect("highlights") {
        let field = highlight["field"].as_str().expect("field").to_owned();
        let text = match field.as_str() {
            "name" | "summary" => hit[field.as_str()].as_str(),
            _ => highlight["text"].as_str(),
        }
        .unwrap_or_else(|| panic!("no text for {highlight}"));
        let mut previous_end = 0;
        for range in highlight["ranges"].as_array().expect("ranges") {
            let (start, length) = (
                range["start"].as_u64().expect("start"),
                range["length"].as_u64().expect("length"),
            );
            assert!(length > 0 && start >= previous_end, "{highlight}");
            previous_end = start + length;
            pieces.push((field.clone(), slice_utf16(text, start, length)));
        }
    }
    pieces
}

async fn hit(query: &str, id: &str) -> serde_json::Value {
    let body = get(&format!("/v1/search?q={}&per_page=100", encode(query)))
        .await
        .json();
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|hit| hit["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{query} finds {id}: {body}"))
}

#[actix_web::test]
async fn highlight_ranges_cut_the_matched_words_out_of_their_texts() {
    let python = highlighted(&hit("pyhton", "python").await);
    assert!(
        python.contains(&("name".into(), "Python".into())),
        "{python:?}"
    );
    let node = highlighted(&hit("node.js", "nodejs").await);
    assert!(
        node.contains(&("name".into(), "Node.js".into())),
        "{node:?}"
    );
    assert!(
        node.contains(&("aliases".into(), "node.js".into())),
        "{node:?}"
    );
    let rails = highlighted(&hit("rails", "ruby-on-rails").await);
    assert!(
        rails.contains(&("name".into(), "Rails".into())),
        "{rails:?}"
    );
    assert!(rails.contains(&("id".into(), "rails".into())), "{rails:?}");
}

#[actix_web::test]
async fn highlight_ranges_count_utf16_code_units() {
    // "Sebastián Ramírez" sits after ASCII text; "ØMQ" starts with a two-byte
    // character that is one UTF-16 code unit.
    let fastapi = highlighted(&hit("sebastian ramirez", "fastapi").await);
    assert!(
        fastapi.contains(&("description".into(), "Sebastián".into())),
        "{fastapi:?}"
    );
    assert!(
        fastapi.contains(&("description".into(), "Ramírez".into())),
        "{fastapi:?}"
    );
    let zeromq = highlighted(&hit("ømq", "zeromq").await);
    assert!(
        zeromq.contains(&("aliases".into(), "ØMQ".into())),
        "{zeromq:?}"
    );
}

#[actix_web::test]
async fn every_highlight_cuts_a_word_the_query_matched() {
    for query in [
        "python web framework",
        "postgre",
        "kuberntes",
        "c#",
        "event-loop",
    ] {
        let body = get(&format!("/v1/search?q={}&per_page=20", encode(query)))
            .await
            .json();
        for hit in body["items"].as_array().expect("items") {
            let pieces = highlighted(hit);
            assert!(!pieces.is_empty(), "{query}: {hit}");
            for (field, piece) in pieces {
                assert_eq!(piece.trim(), piece, "{query} {field}: {piece:?}");
                assert!(
                    hit["matched_fields"].as_array().is_some_and(|f| f
                        .iter()
                        .any(|m| m == field.as_str() || (field == "id" && m == "name"))),
                    "{query}: {field} is a matched field of {hit}"
                );
            }
        }
    }
}

fn ids_of(body: &serde_json::Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|h| h["id"].as_str()).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_query_the_normal_rules_miss_is_relaxed_and_says_so() {
    for (q, id) in [
        ("flsk", "flask"),
        ("rsut", "rust"),
        ("deon", "deno"),
        ("ehco", "echo"),
        ("bnu", "bun"),
        ("gni", "gin"),
        ("kao", "koa"),
        ("vlask", "flask"),
    ] {
        let path = format!("/v1/search?q={q}");
        let body = get(&path).await.json();
        assert_eq!(body["relaxed"], true, "{path}: {body}");
        assert_eq!(first_id(&path, &body), id, "{path}");
        assert_eq!(body["did_you_mean"], serde_json::json!([]), "{path}");
        assert!(
            body["facets"]["kind"]
                .as_object()
                .is_some_and(|k| !k.is_empty()),
            "{path}: the facets count the relaxed hits"
        );
    }
}

#[actix_web::test]
async fn a_query_the_normal_rules_find_is_not_relaxed() {
    for q in ["flask", "gin", "bun", "pyhton", "python%20web%20framework"] {
        let body = get(&format!("/v1/search?q={q}")).await.json();
        assert!(body["total"].as_u64().is_some_and(|t| t > 0), "{q}");
        assert_eq!(body["relaxed"], false, "{q}");
        assert_eq!(body["did_you_mean"], serde_json::json!([]), "{q}");
    }
}

#[actix_web::test]
async fn a_zero_hit_answer_offers_corrections_that_have_hits() {
    for (q, filter, first) in [
        ("mnogdb", "", "mongodb"),
        ("mnogdb", "&kind=database", "mongodb"),
        ("jvascrpt", "", "javascript"),
        ("ptyhno", "", "python"),
        ("mnogdb%20rdeiss", "", "mongodb redis"),
    ] {
        let path = format!("/v1/search?q={q}{filter}");
        let body = get(&path).await.json();
        assert_eq!(body["total"], 0, "{path}: {body}");
        assert_eq!(body["relaxed"], false, "{path}");
        let corrections = body["did_you_mean"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {body}"));
        assert!(
            (1..=3).contains(&corrections.len()),
            "{path}: {corrections:?}"
        );
        assert_eq!(corrections[0], first, "{path}");
        for correction in corrections {
            let correction = correction.as_str().unwrap_or_default();
            let encoded: String = form_urlencoded::byte_serialize(correction.as_bytes()).collect();
            let followed = format!("/v1/search?q={encoded}{filter}");
            let answer = get(&followed).await.json();
            assert!(
                answer["total"].as_u64().is_some_and(|t| t > 0),
                "{followed}: a correction must have hits: {answer}"
            );
        }
    }
}

#[actix_web::test]
async fn corrections_keep_to_the_filters() {
    // Under a filter, every correction offered has hits under that filter too.
    let body = get("/v1/search?q=mnogdb&kind=language").await.json();
    assert_eq!(body["total"], 0);
    for correction in body["did_you_mean"].as_array().into_iter().flatten() {
        let q = correction.as_str().unwrap_or_default();
        let answer = get(&format!("/v1/search?q={q}&kind=language")).await.json();
        assert!(
            answer["total"].as_u64().is_some_and(|t| t > 0),
            "{q} has no language hits: {answer}"
        );
    }
}

#[actix_web::test]
async fn nonsense_gets_no_hits_and_no_corrections() {
    for q in ["zzzzqqqq", "qwertyuiop", "xq"] {
        let body = get(&format!("/v1/search?q={q}")).await.json();
        assert_eq!(body["total"], 0, "{q}: {body}");
        assert!(ids_of(&body).is_empty());
        assert_eq!(body["relaxed"], false, "{q}");
        assert_eq!(body["did_you_mean"], serde_json::json!([]), "{q}: {body}");
    }
}

/// Every facet value's count is the total of the same search with that value's
/// filter added, over many queries (words of real entries, some misspelt or cut
/// short, as people type them).
#[actix_web::test]
async fn every_facet_count_is_the_total_of_its_filter() {
    let catalogue = &crate::helpers::catalogue().catalogue;
    let mut queries = stackatlas::catalogue::synthetic::search_queries(catalogue, 60, 16);
    queries.extend(["python", "javascript", "database", "web framework"].map(String::from));
    let mut checked = 0;
    for q in &queries {
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let body = get(&format!("/v1/search?q={encoded}&per_page=1"))
            .await
            .json();
        for (facet, filter) in [("kind", "kind"), ("tag", "tag"), ("language", "language")] {
            let counts = body["facets"][facet]
                .as_object()
                .cloned()
                .unwrap_or_default();
            // The five largest and the smallest value of each facet.
            let mut values: Vec<(&String, &serde_json::Value)> = counts.iter().collect();
            values.sort_by_key(|(_, count)| std::cmp::Reverse(count.as_u64()));
            let picked = values.iter().take(5).chain(values.last());
            for (value, count) in picked {
                let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
                let path = format!("/v1/search?q={encoded}&{filter}={value}&per_page=1");
                let filtered = get(&path).await.json();
                assert_eq!(&filtered["total"], *count, "{path}");
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} facet values checked");
}

#[actix_web::test]
async fn fields_trims_search_hits_as_it_trims_list_items() {
    let body = get("/v1/search?q=pyhton&fields=id,name&per_page=3")
        .await
        .json();
    let items = body["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{body}");
    for hit in items {
        let keys: Vec<&String> = hit.as_object().expect("a hit").keys().collect();
        assert_eq!(keys, ["id", "name"], "{hit}");
    }
    assert_eq!(items[0]["id"], "python");
    // Everything else of the answer is whole.
    assert!(body["total"].as_u64().is_some_and(|t| t > 0));
    assert!(body["facets"]["kind"].is_object());
    let whole = get("/v1/search?q=pyhton&per_page=3").await.json();
    assert!(whole["items"][0]["ranking"].is_object());
    let problem = get("/v1/search?q=python&fields=id,colour")
        .await
        .problem(400);
    assert_eq!(problem["parameter"], "fields");
    let allowed = problem["allowed"].as_array().expect("allowed");
    assert!(allowed.iter().any(|a| a == "highlights"), "{allowed:?}");
}

#[actix_web::test]
async fn an_unknown_search_parameter_lists_every_parameter_search_takes() {
    let problem = get("/v1/search?q=python&colour=red").await.problem(400);
    assert_eq!(problem["parameter"], "colour");
    let allowed: Vec<&str> = problem["allowed"]
        .as_array()
        .expect("allowed")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    for name in [
        "q",
        "page",
        "per_page",
        "fields",
        "kind",
        "license",
        "updated_since",
    ] {
        assert!(allowed.contains(&name), "{name}: {allowed:?}");
    }
}
