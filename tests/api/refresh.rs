//! The data refresh: lifecycles re-imported from endoflife.date's front matter,
//! `updated` kept true to each entry's facts, and the committed data equal to what
//! the refresh makes of the reference copy.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use stackatlas::catalogue::refresh::{self, FINGERPRINTS};
use stackatlas::catalogue::{Catalogue, Date};

use crate::helpers::DataDir;

fn day(text: &str) -> Date {
    Date::parse(text).expect("a date")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the reference copy of endoflife.date's data sits beside the checkout.
fn reference_endoflife() -> Option<PathBuf> {
    let dir = repo().join("../shared/reference/endoflife");
    if dir.is_dir() {
        return Some(dir);
    }
    // Written past the test harness's capture, so a skip is never silent.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {} is absent; the checks against endoflife.date's reference data did not run",
        dir.display()
    );
    None
}

/// Every file below `dir`, by path relative to it, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("listable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("readable");
                files.insert(path.strip_prefix(dir).expect("below").to_path_buf(), bytes);
            }
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in snapshot(from) {
        let target = to.join(path);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("folder");
        std::fs::write(target, bytes).expect("write");
    }
}

fn entry(id: &str, endoflife: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "name": format!("Name of {id}"),
        "aliases": [],
        "kind": "database",
        "summary": "A summary.",
        "description": "A description.",
        "strengths": ["fast"],
        "weaknesses": ["young"],
        "use_cases": ["tests"],
        "tags": ["test"],
        "relations": {"written_in": [], "for_language": [], "runs_on": [], "built_on": [], "alternative_to": [], "used_with": []},
        "identifiers": {"purl": ["pkg:github/old/old"], "endoflife": endoflife},
        "sources": ["https://example.org/"],
        "updated": "2026-01-01"
    })
}

/// An endoflife.date checkout with one product page.
fn checkout(name: &str, front_matter: &str) -> DataDir {
    let dir = DataDir::with(name, &[]);
    let products = dir.0.join("products");
    std::fs::create_dir_all(&products).expect("folder");
    std::fs::write(
        products.join("widgetdb.md"),
        format!("---\n{front_matter}---\n\n> Widget DB is a database.\n"),
    )
    .expect("write");
    dir
}

const WIDGETDB_V1: &str = "\
title: Widget DB
category: database
identifiers:
  - purl: pkg:github/widget/widgetdb
  - cpe: cpe:2.3:a:widget:widgetdb
releases:
  - releaseCycle: \"2\"
    releaseDate: 2026-03-01
    eol: 2028-03-01
    latest: \"2.0.1\"
    latestReleaseDate: 2026-04-01
  - releaseCycle: \"1\"
    releaseDate: 2025-01-01
    eol: 2026-09-01
    latest: \"1.9.0\"
    latestReleaseDate: 2026-02-01
";

#[test]
fn a_refresh_writes_lifecycles_and_identifiers_and_a_second_run_changes_nothing() {
    let input = checkout("refresh-input", WIDGETDB_V1);
    let data = DataDir::with("refresh-data", &[entry("widgetdb", "widgetdb")]);
    let report = refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-08-23"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report
            .changes
            .iter()
            .any(|c| c == "widgetdb: cycle 2 added (released 2026-03-01)"),
        "{report}"
    );
    assert!(
        report.changes.iter().any(|c| c.contains("identifiers")),
        "{report}"
    );
    assert_eq!(report.updated, ["widgetdb"]);
    let catalogue = Catalogue::from_dir(&data.0).unwrap_or_else(|e| panic!("{e}"));
    let widget = catalogue.get("widgetdb").expect("entry");
    assert_eq!(widget.identifiers.purl, ["pkg:github/widget/widgetdb"]);
    assert_eq!(widget.identifiers.cpe, ["cpe:2.3:a:widget:widgetdb"]);
    assert_eq!(widget.updated, day("2026-08-23"));
    let position = catalogue.position("widgetdb").expect("position");
    let lifecycle = catalogue.lifecycle(position).expect("lifecycle");
    assert_eq!(lifecycle.as_of, day("2026-08-22"));
    assert_eq!(lifecycle.releases.len(), 2);

    let before = snapshot(&data.0);
    let again = refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-09-30"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(again.changes.is_empty(), "{again}");
    assert!(again.updated.is_empty(), "{again}");
    assert_eq!(again.files_written, 0);
    assert_eq!(snapshot(&data.0), before, "a second run changed the folder");
}

#[test]
fn a_refresh_reports_changed_dates_and_cycles_newly_end_of_life() {
    let input = checkout("refresh-changes-input", WIDGETDB_V1);
    let data = DataDir::with("refresh-changes-data", &[entry("widgetdb", "widgetdb")]);
    refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-08-22"))
        .unwrap_or_else(|e| panic!("{e}"));
    let newer = WIDGETDB_V1
        .replace("latest: \"2.0.1\"", "latest: \"2.0.2\"")
        .replace(
            "releases:\n",
            "releases:\n  - releaseCycle: \"3\"\n    releaseDate: 2026-10-01\n    eol: false\n",
        );
    std::fs::write(
        input.0.join("products/widgetdb.md"),
        format!("---\n{newer}---\n"),
    )
    .expect("write");
    let report = refresh::refresh(&input.0, &data.0, day("2026-10-15"), day("2026-10-16"))
        .unwrap_or_else(|e| panic!("{e}"));
    let lines = report.changes.join("\n");
    assert!(
        lines.contains("widgetdb: cycle 3 added (released 2026-10-01)"),
        "{lines}"
    );
    assert!(
        lines.contains("widgetdb: cycle 2: latest 2.0.1 -> 2.0.2"),
        "{lines}"
    );
    assert!(
        lines.contains("widgetdb: cycle 1 newly end-of-life"),
        "{lines}"
    );
    assert!(!lines.contains("cycle 2 newly"), "{lines}");
    let catalogue = Catalogue::from_dir(&data.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        catalogue.get("widgetdb").expect("entry").updated,
        day("2026-10-16")
    );
}

#[test]
fn a_rejected_input_names_file_and_field_and_writes_nothing() {
    let cases = [
        (
            WIDGETDB_V1.replace("    releaseDate: 2025-01-01\n", ""),
            "field `releases[1].releaseDate`",
        ),
        (
            WIDGETDB_V1.replace("eol: 2028-03-01", "eol: someday"),
            "field `releases[0].eol`",
        ),
        ("title: [unclosed\n".to_owned(), "invalid YAML"),
    ];
    for (front_matter, expected) in cases {
        let input = checkout("refresh-bad-input", &front_matter);
        let data = DataDir::with("refresh-bad-data", &[entry("widgetdb", "widgetdb")]);
        let before = snapshot(&data.0);
        let errors = refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-08-22"))
            .expect_err("the input is rejected");
        let message = errors.to_string();
        assert!(message.contains("products/widgetdb.md"), "{message}");
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(snapshot(&data.0), before, "{expected}: the folder changed");
    }
    let input = checkout("refresh-missing-input", WIDGETDB_V1);
    let data = DataDir::with("refresh-missing-data", &[entry("gadgetdb", "gadgetdb")]);
    let errors = refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-08-22"))
        .expect_err("an entry names a product the input lacks");
    let message = errors.to_string();
    assert!(
        message.contains("gadgetdb.json") && message.contains("identifiers.endoflife"),
        "{message}"
    );
}

#[test]
fn a_folder_of_yaml_files_is_read_like_a_checkout() {
    let input = DataDir::with("refresh-yaml-input", &[]);
    std::fs::write(input.0.join("widgetdb.yml"), WIDGETDB_V1).expect("write");
    let data = DataDir::with("refresh-yaml-data", &[entry("widgetdb", "widgetdb")]);
    let report = refresh::refresh(&input.0, &data.0, day("2026-08-22"), day("2026-08-22"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.updated, ["widgetdb"]);
    assert!(data.0.join("lifecycle/widgetdb.json").is_file());
}

#[test]
fn the_committed_data_is_what_a_refresh_of_the_reference_makes() {
    let Some(reference) = reference_endoflife() else {
        return;
    };
    let catalogue = Catalogue::embedded().unwrap_or_else(|e| panic!("{e}"));
    let as_of = catalogue.lifecycle_as_of().expect("lifecycles have a date");
    let copy = DataDir::with("refresh-committed", &[]);
    copy_dir(&repo().join("data"), &copy.0);
    let before = snapshot(&copy.0);
    let report = refresh::refresh(&reference, &copy.0, as_of, Date::today())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.changes.is_empty() && report.files_written == 0,
        "data/ is not what `cargo run -- --refresh-lifecycle {} --as-of {as_of}` makes:\n{report}",
        reference.display()
    );
    assert_eq!(snapshot(&copy.0), before);
}

#[test]
fn every_entry_s_facts_match_its_recorded_fingerprint() {
    let data = repo().join("data");
    let recorded: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(data.join(FINGERPRINTS)).expect("data/fingerprints.json"),
    )
    .expect("JSON");
    let current = refresh::fingerprints(&data).unwrap_or_else(|e| panic!("{e}"));
    let changed: Vec<&String> = current
        .iter()
        .filter(|(id, print)| recorded.get(*id) != Some(*print))
        .map(|(id, _)| id)
        .collect();
    assert!(
        changed.is_empty() && recorded.len() == current.len(),
        "facts changed without their `updated` day moving: {changed:?}; run `cargo run -- --stamp`"
    );
}

#[test]
fn a_stamp_moves_updated_only_where_facts_changed() {
    let data = DataDir::with("stamp", &[entry("alpha", "alpha"), entry("beta", "beta")]);
    for id in ["alpha", "beta"] {
        let path = data.0.join("technologies").join(format!("{id}.json"));
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        value["identifiers"] = serde_json::json!({});
        std::fs::write(&path, refresh::pretty(&value)).expect("write");
    }
    let first = refresh::stamp(&data.0, day("2026-05-01")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        first.updated,
        ["alpha", "beta"],
        "unrecorded entries are stamped"
    );
    let path = data.0.join("technologies/beta.json");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("A summary.", "A better summary.")).expect("write");
    let second = refresh::stamp(&data.0, day("2026-06-01")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.updated, ["beta"]);
    let catalogue = Catalogue::from_dir(&data.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        catalogue.get("alpha").expect("alpha").updated,
        day("2026-05-01")
    );
    assert_eq!(
        catalogue.get("beta").expect("beta").updated,
        day("2026-06-01")
    );
    assert_eq!(catalogue.updated(), Some(day("2026-06-01")));
    let third = refresh::stamp(&data.0, day("2026-07-01")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        third.updated.is_empty() && third.files_written == 0,
        "{third}"
    );
}

#[test]
fn every_data_file_is_in_the_form_the_tools_write() {
    let dir = repo().join("data/technologies");
    for entry in std::fs::read_dir(&dir)
        .expect("data/technologies")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("readable");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert!(
            refresh::pretty(&value) == text,
            "{} is not pretty-printed with two-space indents and a final newline",
            entry.path().display()
        );
    }
}

/// Products of endoflife.date that deliberately have no entry, each with its reason.
fn exclusions() -> BTreeMap<String, String> {
    serde_json::from_str(include_str!("../../data/endoflife-excluded.json"))
        .expect("data/endoflife-excluded.json is an object of product -> reason")
}

#[test]
fn every_endoflife_product_has_an_entry_or_a_reason_to_have_none() {
    let Some(reference) = reference_endoflife() else {
        return;
    };
    let catalogue = Catalogue::embedded().unwrap_or_else(|e| panic!("{e}"));
    let named: BTreeMap<&str, &str> = catalogue
        .technologies()
        .iter()
        .filter_map(|t| {
            t.identifiers
                .endoflife
                .as_deref()
                .map(|p| (p, t.id.as_str()))
        })
        .collect();
    let excluded = exclusions();
    let mut products = Vec::new();
    for entry in std::fs::read_dir(&reference).expect("listable").flatten() {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|ext| ext == "yml" || ext == "yaml")
        {
            let slug = path.file_stem().and_then(|s| s.to_str()).expect("a name");
            products.push(slug.to_owned());
        }
    }
    assert!(products.len() > 300, "{} products", products.len());
    let dangling: Vec<&String> = products
        .iter()
        .filter(|p| !named.contains_key(p.as_str()) && !excluded.contains_key(*p))
        .collect();
    assert!(
        dangling.is_empty(),
        "endoflife.date products with neither an entry (identifiers.endoflife) nor a reason in data/endoflife-excluded.json: {dangling:?}"
    );
    for (product, reason) in &excluded {
        assert!(
            products.contains(product),
            "{product} is excluded but not a product of the reference"
        );
        assert!(
            !named.contains_key(product.as_str()),
            "{product} is excluded but named by `{}`",
            named[product.as_str()]
        );
        assert!(!reason.trim().is_empty(), "{product} has no reason");
    }
}

#[test]
fn every_exclusion_has_a_one_line_reason() {
    for (product, reason) in exclusions() {
        assert!(
            !reason.trim().is_empty() && !reason.contains('\n') && reason.len() <= 120,
            "{product}: {reason:?}"
        );
    }
}
