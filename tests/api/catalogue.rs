//! Loading and validation: the embedded catalogue is valid, and each broken rule is
//! reported with the file and field at fault.

use stackatlas::catalogue::{Catalogue, LoadErrors, SourceFile};

use crate::helpers::DataDir;

fn entry(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "name": format!("Name of {id}"),
        "aliases": [],
        "kind": "language",
        "summary": "A summary.",
        "description": "A description.",
        "strengths": ["fast"],
        "weaknesses": ["young"],
        "use_cases": ["tests"],
        "tags": ["test"],
        "sources": ["https://example.org/"],
        "updated": "2026-01-01"
    })
}

fn load(entries: &[serde_json::Value]) -> Result<Catalogue, LoadErrors> {
    let files: Vec<SourceFile> = entries
        .iter()
        .map(|e| SourceFile {
            path: format!("data/technologies/{}.json", e["id"].as_str().unwrap_or("x")),
            text: e.to_string(),
        })
        .collect();
    Catalogue::from_files(&files)
}

fn single_error(entries: &[serde_json::Value]) -> String {
    let errors = load(entries).expect_err("the catalogue is rejected");
    assert_eq!(errors.0.len(), 1, "{errors}");
    errors.0[0].to_string()
}

#[test]
fn the_embedded_catalogue_is_valid() {
    let catalogue = Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"));
    assert!(catalogue.get("nodejs").is_some());
}

#[test]
fn a_valid_pair_loads() {
    let mut a = entry("alpha");
    a["relations"] = serde_json::json!({"used_with": ["beta"]});
    let catalogue = load(&[a, entry("beta")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue.len(), 2);
}

#[test]
fn an_unknown_field_names_the_file_and_field() {
    let mut a = entry("alpha");
    a["colour"] = "red".into();
    let message = single_error(&[a]);
    assert!(
        message.starts_with("data/technologies/alpha.json"),
        "{message}"
    );
    assert!(message.contains("colour"), "{message}");
}

#[test]
fn an_unknown_kind_is_rejected_naming_the_field() {
    let mut a = entry("alpha");
    a["kind"] = "spaceship".into();
    let message = single_error(&[a]);
    assert!(message.contains("field `kind`"), "{message}");
}

#[test]
fn a_missing_required_field_is_rejected() {
    let mut a = entry("alpha");
    a.as_object_mut().expect("object").remove("summary");
    let message = single_error(&[a]);
    assert!(message.contains("summary"), "{message}");
}

#[test]
fn blank_text_is_rejected() {
    let mut a = entry("alpha");
    a["description"] = " ".into();
    assert!(single_error(&[a]).contains("field `description`: must not be empty"));
}

#[test]
fn an_unresolved_relation_is_rejected() {
    let mut a = entry("alpha");
    a["relations"] = serde_json::json!({"runs_on": ["ghost"]});
    let message = single_error(&[a]);
    assert!(
        message.contains("field `relations.runs_on[0]`"),
        "{message}"
    );
    assert!(message.contains("ghost"), "{message}");
}

#[test]
fn a_self_edge_is_rejected() {
    let mut a = entry("alpha");
    a["relations"] = serde_json::json!({"alternative_to": ["alpha"]});
    assert!(single_error(&[a]).contains("points at the entry itself"));
}

#[test]
fn an_alias_shared_by_two_entries_is_rejected_case_insensitively() {
    let mut a = entry("alpha");
    a["aliases"] = serde_json::json!(["Shared"]);
    let mut b = entry("beta");
    b["aliases"] = serde_json::json!(["shared"]);
    let message = single_error(&[a, b]);
    assert!(
        message.starts_with("data/technologies/beta.json:1:")
            && message.contains(": field `aliases[0]`"),
        "{message}"
    );
}

#[test]
fn an_alias_equal_to_another_id_is_rejected() {
    let mut a = entry("alpha");
    a["aliases"] = serde_json::json!(["BETA"]);
    let errors = load(&[a, entry("beta")]).expect_err("rejected");
    assert!(
        errors
            .to_string()
            .contains("`beta` already names the entry"),
        "{errors}"
    );
}

#[test]
fn a_plain_http_url_is_rejected() {
    let mut a = entry("alpha");
    a["website"] = "http://example.org/".into();
    assert!(single_error(&[a]).contains("field `website`"));
    let mut b = entry("beta");
    b["sources"] = serde_json::json!(["ftp://example.org/"]);
    assert!(single_error(&[b]).contains("field `sources[0]`"));
}

#[test]
fn an_id_that_is_not_a_slug_or_not_the_file_name_is_rejected() {
    let a = entry("Alpha_1");
    assert!(
        load(&[a])
            .expect_err("rejected")
            .to_string()
            .contains("not a lowercase slug")
    );
    let files = [SourceFile {
        path: "data/technologies/other.json".to_owned(),
        text: entry("alpha").to_string(),
    }];
    let errors = Catalogue::from_files(&files).expect_err("rejected");
    assert!(
        errors.to_string().contains("must match the file name"),
        "{errors}"
    );
}

#[test]
fn malformed_json_names_the_line() {
    let files = [SourceFile {
        path: "data/technologies/alpha.json".to_owned(),
        text: "{\n  \"id\": \"alpha\",\n  oops\n}".to_owned(),
    }];
    let message = Catalogue::from_files(&files)
        .expect_err("rejected")
        .to_string();
    assert!(
        message.contains("data/technologies/alpha.json"),
        "{message}"
    );
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut a = entry("alpha");
    a["website"] = "http://a".into();
    a["tags"] = serde_json::json!(["Not A Slug"]);
    let errors = load(&[a]).expect_err("rejected");
    assert_eq!(errors.0.len(), 2, "{errors}");
}

#[test]
fn problems_across_entries_are_all_reported_in_file_order() {
    // Five entries with a broken relation each, one sharing a name and one an
    // identifier: every problem once, by kind of check, then in file order.
    let ids = ["alpha", "bravo", "charlie", "delta", "echo"];
    let mut entries: Vec<serde_json::Value> = ids.iter().map(|id| entry(id)).collect();
    for (n, entry) in entries.iter_mut().enumerate() {
        entry["relations"] = serde_json::json!({"used_with": [format!("missing-{n}")]});
    }
    entries[3]["aliases"] = serde_json::json!(["Name of alpha"]);
    entries[1]["identifiers"] = serde_json::json!({"purl": ["pkg:generic/shared"]});
    entries[4]["identifiers"] = serde_json::json!({"purl": ["pkg:generic/shared"]});
    let errors = load(&entries).expect_err("rejected");
    let found: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 7, "{errors}");
    assert!(
        found[0].contains("delta.json") && found[0].contains("already names the entry `alpha`"),
        "{errors}"
    );
    assert!(
        found[1].contains("echo.json") && found[1].contains("already identifies the entry `bravo`"),
        "{errors}"
    );
    for (n, id) in ids.iter().enumerate() {
        let message = &found[2 + n];
        assert!(
            message.contains(&format!("{id}.json"))
                && message.contains(&format!("`missing-{n}` is not the id of any entry")),
            "{errors}"
        );
    }
}

#[test]
fn problems_in_many_files_are_reported_in_file_order() {
    // More files than one parsing thread takes at a time: the problems still come
    // in the files' order.
    let ids: Vec<String> = (0..700).map(|n| format!("entry-{n:04}")).collect();
    let entries: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            let mut entry = entry(id);
            entry["website"] = "http://example.org/".into();
            entry
        })
        .collect();
    let errors = load(&entries).expect_err("rejected");
    let files: Vec<String> = errors
        .0
        .iter()
        .map(|error| error.file.split(':').next().unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = ids
        .iter()
        .map(|id| format!("data/technologies/{id}.json"))
        .collect();
    assert_eq!(files, expected);
}

#[test]
fn an_invalid_spdx_licence_is_rejected() {
    let mut a = entry("alpha");
    a["license"] = "MIT-ish".into();
    assert!(single_error(&[a]).contains("field `license`"));
    let mut b = entry("beta");
    b["license"] = "Apache-2.0 OR LicenseRef-Proprietary".into();
    assert!(load(&[b]).is_ok());
}

#[test]
fn a_one_sided_alternative_is_rejected() {
    let mut a = entry("alpha");
    a["relations"] = serde_json::json!({"alternative_to": ["beta"]});
    let message = single_error(&[a, entry("beta")]);
    assert!(message.contains("symmetric"), "{message}");
}

#[test]
fn a_relation_to_the_wrong_kind_is_rejected() {
    let mut a = entry("alpha");
    a["kind"] = "web_framework".into();
    let mut b = entry("beta");
    b["kind"] = "database".into();
    a["relations"] = serde_json::json!({"written_in": ["beta"]});
    let message = single_error(&[a, b]);
    assert!(
        message.contains("relations.written_in[0]") && message.contains("language"),
        "{message}"
    );
}

#[test]
fn an_identifier_shared_by_two_entries_is_rejected() {
    let mut a = entry("alpha");
    a["identifiers"] = serde_json::json!({"purl": ["pkg:npm/shared"]});
    let mut b = entry("beta");
    b["identifiers"] = serde_json::json!({"purl": ["pkg:npm/shared"]});
    assert!(single_error(&[a, b]).contains("already identifies the entry `alpha`"));
}

#[test]
fn lifecycle_rules_name_file_and_field() {
    let mut a = entry("alpha");
    a["identifiers"] = serde_json::json!({"endoflife": "alpha"});
    let technologies = [SourceFile {
        path: "data/technologies/alpha.json".to_owned(),
        text: a.to_string(),
    }];
    let lifecycle = serde_json::json!({
        "product": "alpha", "as_of": "2026-08-22",
        "releases": [{"cycle": "1", "release_date": "2024-01-01", "end_of_life": "2023-01-01"}]
    });
    let files = [SourceFile {
        path: "data/lifecycle/alpha.json".to_owned(),
        text: lifecycle.to_string(),
    }];
    let errors = Catalogue::from_sources(&technologies, &files).expect_err("rejected");
    let message = errors.to_string();
    assert!(
        message.contains("data/lifecycle/alpha.json:1:")
            && message.contains(": field `releases[0].end_of_life`"),
        "{message}"
    );
    let missing = Catalogue::from_sources(&technologies, &[])
        .expect_err("rejected")
        .to_string();
    assert!(
        missing.contains("field `identifiers.endoflife`"),
        "{missing}"
    );
}

#[test]
fn a_repeat_in_a_list_is_rejected_case_insensitively() {
    let mut a = entry("alpha");
    a["strengths"] = serde_json::json!(["Fast", "small", "fast"]);
    let message = single_error(&[a]);
    assert!(
        message.contains("field `strengths[2]`") && message.contains("`fast` is listed twice"),
        "{message}"
    );
}

#[test]
fn a_repeated_relation_is_rejected() {
    let mut a = entry("alpha");
    a["relations"] = serde_json::json!({"used_with": ["beta", "beta"]});
    let message = single_error(&[a, entry("beta")]);
    assert!(
        message.contains("field `relations.used_with[1]`")
            && message.contains("`beta` is listed twice"),
        "{message}"
    );
}

#[test]
fn a_name_taken_by_another_entry_names_the_name_field() {
    let a = entry("alpha");
    let mut b = entry("beta");
    b["name"] = "NAME OF ALPHA".into();
    let message = single_error(&[a, b]);
    assert!(
        message.starts_with("data/technologies/beta.json:")
            && message.contains("field `name`")
            && message.contains("`name of alpha` already names the entry `alpha`"),
        "{message}"
    );
}

#[test]
fn a_data_dir_loads_in_name_order_with_a_fingerprint_of_its_files() {
    let entries: Vec<_> = ["delta", "alpha", "charlie", "bravo"]
        .into_iter()
        .map(entry)
        .collect();
    let dir = DataDir::with("order", &entries);
    let catalogue = Catalogue::from_dir(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = catalogue
        .technologies()
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, ["alpha", "bravo", "charlie", "delta"]);
    let again = Catalogue::from_dir(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue.fingerprint(), again.fingerprint());

    let mut changed = entry("bravo");
    changed["summary"] = "Another summary.".into();
    std::fs::write(
        dir.0.join("technologies/bravo.json"),
        serde_json::to_string_pretty(&changed).expect("JSON"),
    )
    .expect("write");
    let edited = Catalogue::from_dir(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(catalogue.fingerprint(), edited.fingerprint());
}

#[cfg(all(target_os = "linux", target_env = "gnu"))] // O_NOATIME
#[test]
fn loading_a_data_dir_leaves_its_files_access_times_alone() {
    // An access time two days old is one a `relatime` mount (the usual default)
    // would update on the next read.
    let dir = DataDir::with("atime", &[entry("alpha"), entry("bravo")]);
    let now = std::time::SystemTime::now();
    let accessed = now - std::time::Duration::from_secs(2 * 86_400);
    let modified = now - std::time::Duration::from_secs(3 * 86_400);
    let files = ["alpha", "bravo"].map(|id| dir.0.join(format!("technologies/{id}.json")));
    for file in &files {
        let times = std::fs::FileTimes::new()
            .set_accessed(accessed)
            .set_modified(modified);
        std::fs::File::options()
            .write(true)
            .open(file)
            .and_then(|f| f.set_times(times))
            .expect("set the file's times");
    }
    let catalogue = Catalogue::from_dir(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue.len(), 2);
    for file in &files {
        let metadata = std::fs::metadata(file).expect("metadata");
        assert_eq!(
            metadata.accessed().ok(),
            Some(accessed),
            "{}",
            file.display()
        );
    }
}

#[test]
fn a_data_dir_reports_every_file_at_fault_with_line_and_column() {
    let mut a = entry("alpha");
    a["website"] = "http://alpha.example.org/".into();
    let mut b = entry("bravo");
    b["aliases"] = serde_json::json!(["Name of alpha"]);
    let mut c = entry("charlie");
    c["colour"] = "red".into();
    let dir = DataDir::with("faults", &[a, b, c, entry("delta")]);
    let errors = Catalogue::from_dir(&dir.0).expect_err("rejected");
    let messages: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{errors}");
    let folder = dir.0.join("technologies").display().to_string();
    // Pretty-printed files put each field on its own line, so every error has
    // a line past the first: the entry's own check, the check across entries
    // (the file is read again) and the parse error.
    let at = |file: &str, field: &str| {
        messages.iter().any(|m| {
            m.starts_with(&format!("{folder}/{file}.json:"))
                && !m.starts_with(&format!("{folder}/{file}.json:1:"))
                && m.contains(field)
        })
    };
    assert!(at("alpha", "field `website`"), "{errors}");
    assert!(at("bravo", "field `aliases[0]`"), "{errors}");
    assert!(at("charlie", "colour"), "{errors}");
}
