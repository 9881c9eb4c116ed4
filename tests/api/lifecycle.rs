//! Release lifecycles: stored facts match the reference data, status is computed
//! for the day of the answer, and the endpoint serves them.

use stackatlas::catalogue::Date;

use crate::helpers::get;

/// Facts copied from the endoflife.date reference files
/// (`../shared/reference/endoflife/{nodejs,python,ruby-on-rails}.yml`):
/// (technology, cycle, release date, LTS from, end of active support, end of life).
type ReferenceCycle = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const REFERENCE_SAMPLE: &[ReferenceCycle] = &[
    (
        "nodejs",
        "22",
        "2024-04-24",
        Some("2024-10-29"),
        "2025-10-21",
        "2027-04-30",
    ),
    (
        "nodejs",
        "20",
        "2023-04-18",
        Some("2023-10-24"),
        "2024-10-22",
        "2026-04-30",
    ),
    (
        "python",
        "3.12",
        "2023-10-02",
        None,
        "2025-04-02",
        "2028-10-31",
    ),
    (
        "ruby-on-rails",
        "7.2",
        "2024-08-09",
        None,
        "2025-08-09",
        "2026-08-09",
    ),
];

#[actix_web::test]
async fn releases_match_the_reference_data() {
    for (id, cycle, released, lts, eoas, eol) in REFERENCE_SAMPLE {
        let answer = get(&format!("/v1/technologies/{id}/releases")).await;
        assert_eq!(answer.status, 200, "{id}");
        let body = answer.json();
        assert_eq!(body["source"], "endoflife.date");
        assert_eq!(body["as_of"], "2026-08-22");
        let release = body["releases"]
            .as_array()
            .expect("releases")
            .iter()
            .find(|r| r["cycle"] == *cycle)
            .unwrap_or_else(|| panic!("{id} {cycle} is listed"));
        assert_eq!(release["release_date"], *released, "{id} {cycle}");
        assert_eq!(release["lts_from"].as_str(), *lts, "{id} {cycle}");
        assert_eq!(release["end_of_active_support"], *eoas, "{id} {cycle}");
        assert_eq!(release["end_of_life"], *eol, "{id} {cycle}");
    }
}

#[actix_web::test]
async fn status_is_computed_for_today() {
    let body = get("/v1/technologies/nodejs/releases").await.json();
    let today = Date::today().to_string();
    assert_eq!(body["status_on"], today);
    for release in body["releases"].as_array().expect("releases") {
        let released = release["release_date"].as_str().expect("release date");
        // Old cycles are recorded as ended without a date.
        let ended = release["end_of_life"]
            .as_str()
            .is_none_or(|eol| eol <= today.as_str());
        assert_eq!(release["is_end_of_life"], ended, "{release}");
        assert_eq!(
            release["is_supported"],
            released <= today.as_str() && !ended,
            "{release}"
        );

        if let Some(lts) = release["lts_from"].as_str() {
            assert_eq!(release["is_lts"], lts <= today.as_str(), "{release}");
        }
    }
}

#[test]
fn status_changes_with_the_day_not_the_build() {
    let snapshot = crate::helpers::catalogue();
    let catalogue = &snapshot.catalogue;
    let position = catalogue.position("nodejs").expect("nodejs");
    let cycle = catalogue
        .lifecycle(position)
        .expect("Node.js is tracked")
        .releases
        .iter()
        .find(|c| c.cycle == "20")
        .expect("cycle 20");
    let day = |text| Date::parse(text).expect("a date");
    let before_lts = cycle.on(day("2023-10-01"));
    assert!(before_lts.is_supported && !before_lts.is_lts && before_lts.is_actively_supported);
    let maintenance = cycle.on(day("2025-01-01"));
    assert!(maintenance.is_lts && maintenance.is_supported && !maintenance.is_actively_supported);
    let last_day = cycle.on(day("2026-04-29"));
    assert!(last_day.is_supported && !last_day.is_end_of_life);
    let after = cycle.on(day("2026-04-30"));
    assert!(after.is_end_of_life && !after.is_supported);
}

#[actix_web::test]
async fn the_detail_carries_the_lifecycle() {
    let body = get("/v1/technologies/nodejs").await.json();
    assert_eq!(body["lifecycle"]["product"], "nodejs");
    assert!(
        body["lifecycle"]["releases"]
            .as_array()
            .is_some_and(|r| r.len() > 10)
    );
    let sql = get("/v1/technologies/sql").await.json();
    assert!(
        sql.get("lifecycle").is_none(),
        "untracked entries carry no lifecycle"
    );
}

#[actix_web::test]
async fn an_untracked_technology_has_no_releases_resource() {
    let problem = get("/v1/technologies/sql/releases").await.problem(404);
    assert_eq!(problem["type"], "urn:stackatlas:problem:no-lifecycle");
    get("/v1/technologies/nope/releases").await.problem(404);
    let redirect = get("/v1/technologies/node/releases").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(
        redirect.header("location"),
        Some("/v1/technologies/nodejs/releases")
    );
}

#[test]
fn every_tracked_entry_has_its_cycles() {
    let snapshot = crate::helpers::catalogue();
    let catalogue = &snapshot.catalogue;
    for (position, technology) in catalogue.technologies().iter().enumerate() {
        match &technology.identifiers.endoflife {
            Some(product) => {
                let lifecycle = catalogue
                    .lifecycle(position)
                    .unwrap_or_else(|| panic!("{}", technology.id));
                assert_eq!(&lifecycle.product, product);
                assert!(!lifecycle.releases.is_empty(), "{}", technology.id);
            }
            None => assert!(catalogue.lifecycle(position).is_none(), "{}", technology.id),
        }
    }
}
