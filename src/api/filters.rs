//! The filters, sort orders, sparse fieldsets and expansions that list-like
//! operations share, parsed strictly from the query string. What a filter means is
//! the domain's ([`Filter`]); this module reads it from a request.

use serde::Deserialize;
use utoipa::ToSchema;

use super::params::Year;
use crate::catalogue::filter::canonical_license_id;
use crate::catalogue::{Catalogue, Date, Facet, Filter, Kind, Status};

/// Longest value of a filter, in characters.
pub const MAX_VALUE_CHARS: usize = 100;

/// Sort orders.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum SortParam {
    /// Name, A to Z.
    #[serde(rename = "name")]
    Name,
    /// Name, Z to A.
    #[serde(rename = "-name")]
    NameDescending,
    /// Oldest first release first.
    #[serde(rename = "first_released")]
    FirstReleased,
    /// Newest first release first.
    #[serde(rename = "-first_released")]
    FirstReleasedDescending,
    /// Oldest latest release first.
    #[serde(rename = "latest_release")]
    LatestRelease,
    /// Newest latest release first.
    #[serde(rename = "-latest_release")]
    LatestReleaseDescending,
    /// Least recently updated first.
    #[serde(rename = "updated")]
    Updated,
    /// Most recently updated first.
    #[serde(rename = "-updated")]
    UpdatedDescending,
}

/// The fields a sparse fieldset may name.
// In `TECHNOLOGY_FIELDS` order: `as_str` indexes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldName {
    Id,
    Name,
    Aliases,
    Kind,
    Summary,
    Description,
    Strengths,
    Weaknesses,
    UseCases,
    Tags,
    Relations,
    FirstReleased,
    License,
    Developer,
    Website,
    Repository,
    Documentation,
    Identifiers,
    Sources,
    Updated,
    Lifecycle,
    Related,
}

/// What `expand` may inline.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpandParam {
    /// The related entries' summaries, grouped by relation.
    Related,
    /// The release cycles with today's status.
    Lifecycle,
}

impl FieldName {
    /// The field's name in answers.
    pub fn as_str(self) -> &'static str {
        TECHNOLOGY_FIELDS[self as usize]
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
    /// The order `sort` asks for (default: name ascending).
    pub fn from_param(sort: Option<SortParam>) -> Sort {
        let (key, descending) = match sort {
            None | Some(SortParam::Name) => (SortKey::Name, false),
            Some(SortParam::NameDescending) => (SortKey::Name, true),
            Some(SortParam::FirstReleased) => (SortKey::FirstReleased, false),
            Some(SortParam::FirstReleasedDescending) => (SortKey::FirstReleased, true),
            Some(SortParam::LatestRelease) => (SortKey::LatestRelease, false),
            Some(SortParam::LatestReleaseDescending) => (SortKey::LatestRelease, true),
            Some(SortParam::Updated) => (SortKey::Updated, false),
            Some(SortParam::UpdatedDescending) => (SortKey::Updated, true),
        };
        Sort { key, descending }
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
    /// The fields `fields` names, each once, in the order given (all when absent).
    pub fn from_param(fields: Option<Vec<FieldName>>) -> Fields {
        Fields::named(fields.map(|named| named.into_iter().map(FieldName::as_str).collect()))
    }

    /// The fields named, each once, in the order given (all when absent), of a
    /// type other than a technology (a search hit).
    pub fn named(fields: Option<Vec<&'static str>>) -> Fields {
        Fields(fields.map(|named| {
            let mut kept: Vec<String> = Vec::new();
            for field in named {
                if !kept.iter().any(|f| f == field) {
                    kept.push(field.to_owned());
                }
            }
            kept
        }))
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
    /// What `expand` asks to inline.
    pub fn from_param(expand: Option<Vec<ExpandParam>>) -> Expand {
        let mut out = Expand::default();
        for value in expand.into_iter().flatten() {
            match value {
                ExpandParam::Related => out.related = true,
                ExpandParam::Lifecycle => out.lifecycle = true,
            }
        }
        out
    }
}

/// One value of a filter: 1 to 100 characters; several may be given
/// comma-separated, none of them blank (only spaces or tabs).
#[derive(Debug, Clone, ToSchema)]
#[schema(
    min_length = 1,
    max_length = 100,
    pattern = r"^[ \t]*[^ \t,][^,]*(,[ \t]*[^ \t,][^,]*)*$",
    example = "python"
)]
pub struct FilterValue(pub String);

impl<'de> Deserialize<'de> for FilterValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > MAX_VALUE_CHARS {
            return Err(serde::de::Error::custom(format!(
                "values must be at most {MAX_VALUE_CHARS} characters"
            )));
        }
        Ok(FilterValue(text.to_lowercase()))
    }
}

/// A licence id: one of the SPDX licence list's ids (any case), or a `LicenseRef-`
/// id; held in its SPDX spelling. Anything else — an operator such as `OR`, an
/// exception, a word — is refused.
#[derive(Debug, Clone)]
pub struct LicenseId(pub String);

impl<'de> Deserialize<'de> for LicenseId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        canonical_license_id(&text).map(LicenseId).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "must name licence ids of the SPDX list (such as `MIT` or `Apache-2.0`; see /v1/licenses), got `{text}`"
            ))
        })
    }
}

impl utoipa::PartialSchema for LicenseId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let listed: Vec<&str> = spdx::identifiers::LICENSES
            .iter()
            .map(|license| license.name)
            .collect();
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("An id of the SPDX licence list."))
                    .enum_values(Some(listed)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("A licence outside the SPDX list."))
                    .pattern(Some("^LicenseRef-[A-Za-z0-9.-]+$"))
                    .max_length(Some(100)),
            )
            .description(Some(
                "A licence id: one of the SPDX licence list, or a `LicenseRef-` id.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for LicenseId {}

/// Lifecycle status values.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusParam {
    /// At least one release cycle is supported today.
    Supported,
    /// Every release cycle has reached its end of life.
    EndOfLife,
}

impl From<StatusParam> for Status {
    fn from(status: StatusParam) -> Status {
        match status {
            StatusParam::Supported => Status::Supported,
            StatusParam::EndOfLife => Status::EndOfLife,
        }
    }
}

/// A day written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy)]
pub struct DateValue(pub Date);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map(DateValue).ok_or_else(|| {
            serde::de::Error::custom(format!("must be a date written YYYY-MM-DD, got `{text}`"))
        })
    }
}

/// The filter fields a query struct of [`filtered_query!`] holds, turned into the
/// domain's [`Filter`].
pub fn to_filter(
    kind: &Option<Vec<Kind>>,
    values: [(Facet, &Option<Vec<FilterValue>>); 5],
    license: &Option<Vec<LicenseId>>,
    status: &Option<Vec<StatusParam>>,
    released_after: Option<Year>,
    released_before: Option<Year>,
    updated_since: Option<DateValue>,
) -> Filter {
    let mut facet_values: Vec<(Facet, Vec<String>)> = values
        .into_iter()
        .filter_map(|(facet, wanted)| {
            let wanted = wanted.as_ref()?;
            Some((facet, wanted.iter().map(|v| v.0.clone()).collect()))
        })
        .collect();
    if let Some(licenses) = license {
        facet_values.push((
            Facet::License,
            licenses.iter().map(|l| l.0.clone()).collect(),
        ));
    }
    Filter {
        kinds: kind.clone().unwrap_or_default(),
        values: facet_values,
        status: status.iter().flatten().map(|&s| Status::from(s)).collect(),
        released_after: released_after.map(|y| y.0 as u16),
        released_before: released_before.map(|y| y.0 as u16),
        updated_since: updated_since.map(|d| d.0),
    }
}

/// Declares an operation's query struct — the parser of its query string and the
/// documentation of its parameters — with its own fields first, then the filters
/// the list and search share, and `filter()`, the domain's [`Filter`] they ask for.
macro_rules! filtered_query {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* $field:ident : $type:ty,)*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* $field: $type,)*
        /// Only entries of these kinds.
        #[param(example = json!(["web_framework"]), max_items = 20)]
        kind: Option<Vec<$crate::catalogue::Kind>>,
        /// Only entries with these tags.
        #[param(example = json!(["python"]), max_items = 20)]
        tag: Option<Vec<$crate::api::filters::FilterValue>>,
        /// Only entries for these languages (by language id, e.g. `python`; a language
        /// entry matches its own id).
        #[param(example = json!(["python"]), max_items = 20)]
        language: Option<Vec<$crate::api::filters::FilterValue>>,
        /// Only entries whose licence expression names one of these licences: ids of
        /// the SPDX licence list or `LicenseRef-` ids (`MIT` matches `MIT OR
        /// Apache-2.0`; an exception after `WITH` is not a licence). Any case is
        /// accepted; anything that is not a licence id (`or`, `WITH`, a word) is a 400
        /// naming `license`. `/v1/licenses` lists the catalogue's licences.
        #[param(example = json!(["MIT"]), max_items = 20)]
        license: Option<Vec<$crate::api::filters::LicenseId>>,
        /// Only entries written in these languages (ids).
        #[param(example = json!(["rust"]), max_items = 20)]
        written_in: Option<Vec<$crate::api::filters::FilterValue>>,
        /// Only entries that run on these runtimes or platforms (ids).
        #[param(example = json!(["nodejs"]), max_items = 20)]
        runs_on: Option<Vec<$crate::api::filters::FilterValue>>,
        /// Only entries built on these entries (ids).
        #[param(example = json!(["spring-framework"]), max_items = 20)]
        built_on: Option<Vec<$crate::api::filters::FilterValue>>,
        /// Only entries with a release cycle supported today (`supported`) or whose
        /// every cycle has reached its end of life (`end_of_life`); entries without a
        /// tracked lifecycle match neither.
        #[param(inline, example = json!(["supported"]), max_items = 20)]
        status: Option<Vec<$crate::api::filters::StatusParam>>,
        /// Only entries first released after this year.
        #[param(value_type = Option<u16>, minimum = 1900, maximum = 2100, example = 2010)]
        released_after: Option<$crate::api::params::Year>,
        /// Only entries first released before this year.
        #[param(value_type = Option<u16>, minimum = 1900, maximum = 2100, example = 2020)]
        released_before: Option<$crate::api::params::Year>,
        /// Only entries whose facts changed on or after this day (`YYYY-MM-DD`): a
        /// mirror passes the day of its last sync to fetch only what changed.
        #[param(value_type = Option<String>, format = Date, example = "2026-12-01")]
        updated_since: Option<$crate::api::filters::DateValue>,
        }

        impl $name {
            /// The filters this query asks for.
            pub fn filter(&self) -> $crate::catalogue::Filter {
                use $crate::catalogue::Facet;
                $crate::api::filters::to_filter(
                    &self.kind,
                    [
                        (Facet::Tag, &self.tag),
                        (Facet::Language, &self.language),
                        (Facet::WrittenIn, &self.written_in),
                        (Facet::RunsOn, &self.runs_on),
                        (Facet::BuiltOn, &self.built_on),
                    ],
                    &self.license,
                    &self.status,
                    self.released_after,
                    self.released_before,
                    self.updated_since,
                )
            }
        }
    };
}

pub(crate) use filtered_query;
