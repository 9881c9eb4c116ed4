//! The filters, sort orders, sparse fieldsets and expansions that list-like
//! operations share, parsed strictly from the query string. What a filter means is
//! the domain's ([`Filter`]); this module reads it from a request.

use crate::catalogue::filter::canonical_license_id;
use crate::catalogue::{Catalogue, Date, Facet, Filter, Kind, Status};

use super::problem::ApiError;
use super::query::QueryPairs;

/// Longest value of a filter, in characters.
pub const MAX_VALUE_CHARS: usize = 100;

/// A filter's values, lowercased: at most [`MAX_VALUES`](super::query::MAX_VALUES) occurrences of at most
/// [`MAX_VALUE_CHARS`] characters each.
fn lowercase_values(query: &QueryPairs<'_>, name: &str) -> Result<Vec<String>, ApiError> {
    if query.raw(name).any(|v| v.chars().count() > MAX_VALUE_CHARS) {
        return Err(ApiError::invalid_parameter(
            query.request(),
            name,
            format!("`{name}` values must be at most {MAX_VALUE_CHARS} characters"),
        ));
    }
    Ok(query
        .all(name)?
        .into_iter()
        .map(str::to_lowercase)
        .collect())
}

/// `license` values: SPDX licence ids (any case) or `LicenseRef-` ids; anything
/// else — an operator such as `OR`, an exception, a word — is a 400 naming it.
fn license_values(query: &QueryPairs<'_>) -> Result<Vec<String>, ApiError> {
    lowercase_values(query, "license")?
        .into_iter()
        .map(|value| {
            canonical_license_id(&value).ok_or_else(|| {
                ApiError::invalid_parameter(
                    query.request(),
                    "license",
                    format!(
                        "`{value}` is not an SPDX licence id (such as `MIT` or `Apache-2.0`; see /v1/licenses)"
                    ),
                )
            })
        })
        .collect()
}

/// The query parameters the filters read, shared by every filtered operation.
pub const PARAMS: &[&str] = &[
    "kind",
    "tag",
    "language",
    "license",
    "written_in",
    "runs_on",
    "built_on",
    "status",
    "released_after",
    "released_before",
    "updated_since",
];

/// Parses every filter from the query.
pub fn parse(query: &QueryPairs<'_>) -> Result<Filter, ApiError> {
    let kinds = query.list("kind", Kind::parse, || {
        Kind::ALL.iter().map(|k| k.as_str().to_owned()).collect()
    })?;
    let status = query.list("status", Status::parse, || {
        Status::NAMES.iter().map(|s| (*s).to_owned()).collect()
    })?;
    let mut values = Vec::new();
    for facet in [
        Facet::Tag,
        Facet::Language,
        Facet::WrittenIn,
        Facet::RunsOn,
        Facet::BuiltOn,
    ] {
        values.push((facet, lowercase_values(query, facet.parameter())?));
    }
    values.push((Facet::License, license_values(query)?));
    values.retain(|(_, wanted)| !wanted.is_empty());
    Ok(Filter {
        kinds,
        values,
        status,
        released_after: year(query, "released_after")?,
        released_before: year(query, "released_before")?,
        updated_since: date(query, "updated_since")?,
    })
}

fn year(query: &QueryPairs<'_>, name: &str) -> Result<Option<u16>, ApiError> {
    match query.single(name)? {
        None => Ok(None),
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|y| (1900..=2100).contains(y))
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    query.request(),
                    name,
                    format!("`{name}` must be a year from 1900 to 2100, got `{text}`"),
                )
            }),
    }
}

fn date(query: &QueryPairs<'_>, name: &str) -> Result<Option<Date>, ApiError> {
    match query.single(name)? {
        None => Ok(None),
        Some(text) => Date::parse(text).map(Some).ok_or_else(|| {
            ApiError::invalid_parameter(
                query.request(),
                name,
                format!("`{name}` must be a date written YYYY-MM-DD, got `{text}`"),
            )
        }),
    }
}

/// What a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The name, case-insensitively.
    Name,
    /// The year of the first release.
    FirstReleased,
    /// The date of the latest release of any cycle.
    LatestRelease,
    /// The day the entry's facts last changed.
    Updated,
}

/// A sort order: key and direction. Ties are broken by name, then id, ascending;
/// entries without the key's value come last in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by.
    pub key: SortKey,
    /// True for descending (`-` prefix).
    pub descending: bool,
}

impl Sort {
    /// The accepted values of `sort`.
    pub const VALUES: [&'static str; 8] = [
        "name",
        "-name",
        "first_released",
        "-first_released",
        "latest_release",
        "-latest_release",
        "updated",
        "-updated",
    ];

    /// Parses `sort` (default: name ascending).
    pub fn parse(query: &QueryPairs<'_>) -> Result<Sort, ApiError> {
        let Some(text) = query.single("sort")? else {
            return Ok(Sort {
                key: SortKey::Name,
                descending: false,
            });
        };
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let key = match name {
            "name" => SortKey::Name,
            "first_released" => SortKey::FirstReleased,
            "latest_release" => SortKey::LatestRelease,
            "updated" => SortKey::Updated,
            _ => {
                return Err(ApiError::not_one_of(
                    query.request(),
                    "sort",
                    text,
                    Sort::VALUES.iter().map(|v| (*v).to_owned()).collect(),
                ));
            }
        };
        Ok(Sort { key, descending })
    }

    /// Orders positions of the catalogue (which is already sorted by name, then id,
    /// so a stable sort keeps that as the tie-break).
    pub fn apply(&self, catalogue: &Catalogue, positions: &mut [usize]) {
        match self.key {
            SortKey::Name => {
                if self.descending {
                    positions.reverse();
                }
            }
            SortKey::FirstReleased => {
                let value = |p: usize| catalogue.technologies()[p].first_released;
                self.by(positions, value);
            }
            SortKey::LatestRelease => {
                let value = |p: usize| {
                    catalogue.lifecycle(p).and_then(|l| {
                        l.releases
                            .iter()
                            .filter_map(|c| c.latest_release_date.or(Some(c.release_date)))
                            .max()
                    })
                };
                self.by(positions, value);
            }
            SortKey::Updated => {
                self.by(positions, |p| Some(catalogue.technologies()[p].updated));
            }
        }
    }

    fn by<V: Ord>(&self, positions: &mut [usize], value: impl Fn(usize) -> Option<V>) {
        positions.sort_by(|&a, &b| match (value(a), value(b)) {
            (Some(x), Some(y)) if self.descending => y.cmp(&x),
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
}

/// The top-level fields of a technology, in answer order.
pub const TECHNOLOGY_FIELDS: &[&str] = &[
    "id",
    "name",
    "aliases",
    "kind",
    "summary",
    "description",
    "strengths",
    "weaknesses",
    "use_cases",
    "tags",
    "relations",
    "first_released",
    "license",
    "developer",
    "website",
    "repository",
    "documentation",
    "identifiers",
    "sources",
    "updated",
    "lifecycle",
    "related",
];

/// A sparse fieldset (`fields=id,name,kind`): which top-level fields to keep.
#[derive(Debug, Clone, Default)]
pub struct Fields(Option<Vec<String>>);

impl Fields {
    /// Parses `fields`; an unknown field is a 400 listing the valid ones.
    pub fn parse(query: &QueryPairs<'_>) -> Result<Fields, ApiError> {
        let values = query.all("fields")?;
        if values.is_empty() {
            return Ok(Fields(None));
        }
        let mut fields = Vec::new();
        for value in values {
            let value = value.trim();
            if !TECHNOLOGY_FIELDS.contains(&value) {
                return Err(ApiError::not_one_of(
                    query.request(),
                    "fields",
                    value,
                    TECHNOLOGY_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
                ));
            }
            if !fields.iter().any(|f| f == value) {
                fields.push(value.to_owned());
            }
        }
        Ok(Fields(Some(fields)))
    }

    /// True when every field is kept.
    pub fn is_all(&self) -> bool {
        self.0.is_none()
    }

    /// True when `field` is kept.
    pub fn keeps(&self, field: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|fields| fields.iter().any(|f| f == field))
    }

    /// Keeps only the selected fields of a JSON object.
    pub fn select(&self, value: serde_json::Value) -> serde_json::Value {
        match (&self.0, value) {
            (Some(fields), serde_json::Value::Object(mut map)) => {
                let mut kept = serde_json::Map::new();
                for field in fields {
                    if let Some(v) = map.remove(field) {
                        kept.insert(field.clone(), v);
                    }
                }
                serde_json::Value::Object(kept)
            }
            (_, value) => value,
        }
    }
}

/// What `expand` may inline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expand {
    /// Inline the related entries' summaries under `related`.
    pub related: bool,
    /// Inline the release lifecycle under `lifecycle`.
    pub lifecycle: bool,
}

impl Expand {
    /// The accepted values of `expand`.
    pub const VALUES: [&'static str; 2] = ["related", "lifecycle"];

    /// Parses `expand`.
    pub fn parse(query: &QueryPairs<'_>) -> Result<Expand, ApiError> {
        let mut expand = Expand::default();
        for value in query.all("expand")? {
            match value.trim() {
                "related" => expand.related = true,
                "lifecycle" => expand.lifecycle = true,
                other => {
                    return Err(ApiError::not_one_of(
                        query.request(),
                        "expand",
                        other,
                        Expand::VALUES.iter().map(|v| (*v).to_owned()).collect(),
                    ));
                }
            }
        }
        Ok(expand)
    }
}
