//! Property tests: whatever a client sends, the API answers a 2xx, 3xx or 4xx — never a
//! 5xx or a panic — and whatever a data file holds, loading reports or accepts it
//! without panicking.

use proptest::prelude::*;
use stackatlas::catalogue::{Catalogue, SourceFile};

use crate::helpers::get;

/// Characters worth throwing at query strings: separators, escapes, multibyte text.
fn query_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just(",".to_owned()),
            Just("%".to_owned()),
            Just("%00".to_owned()),
            Just("%ZZ".to_owned()),
            Just("+".to_owned()),
            Just("-".to_owned()),
            Just("é".to_owned()),
            Just("😀".to_owned()),
            "[a-z_]{1,12}",
            "[0-9]{1,12}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

const ROUTES: &[&str] = &[
    "/v1/technologies",
    "/v1/technologies/nodejs",
    "/v1/technologies/node",
    "/v1/technologies/nodejs/releases",
    "/v1/technologies/python/related",
    "/v1/compare",
    "/v1/search",
    "/v1/kinds",
    "/v1/catalogue",
];

const PARAMETERS: &[&str] = &[
    "page",
    "per_page",
    "kind",
    "tag",
    "language",
    "license",
    "status",
    "sort",
    "fields",
    "expand",
    "purl",
    "cpe",
    "ids",
    "q",
    "released_after",
    "written_in",
];

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'&'
            | b'='
            | b','
            | b'%'
            | b'+' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_query_string_causes_a_server_error(
        route in proptest::sample::select(ROUTES),
        pairs in proptest::collection::vec((proptest::sample::select(PARAMETERS), query_text()), 0..5),
        raw in query_text(),
    ) {
        let mut query: Vec<String> = pairs.iter().map(|(name, value)| format!("{name}={value}")).collect();
        query.push(raw);
        let path = format!("{route}?{}", percent_encode(&query.join("&")));
        let status = actix_web::rt::System::new().block_on(async { get(&path).await.status });
        prop_assert!(status.as_u16() < 500, "{} answered {}", path, status);
    }

    #[test]
    fn no_path_causes_a_server_error(segment in "[^/?#]{0,40}") {
        let path = format!("/v1/technologies/{}", percent_encode(&segment));
        let status = actix_web::rt::System::new().block_on(async { get(&path).await.status });
        prop_assert!(status.as_u16() < 500, "{} answered {}", path, status);
    }

    #[test]
    fn the_loader_never_panics_on_a_mutated_file(position in 0usize..3000, byte in any::<u8>(), cut in any::<bool>()) {
        let mut text = include_str!("../../data/technologies/nodejs.json").as_bytes().to_vec();
        let position = position % text.len();
        if cut {
            text.truncate(position);
        } else {
            text[position] = byte;
        }
        let files = [SourceFile {
            path: "data/technologies/nodejs.json".to_owned(),
            text: String::from_utf8_lossy(&text).into_owned(),
        }];
        // Either outcome is fine; a panic is not.
        let _ = Catalogue::from_files(&files);
    }
}
