//! What entries are filtered and counted by, defined once: an entry's values for
//! each facet ([`Facet::values`]), which the list and search filters ([`Filter`]),
//! the search facets and the taxonomy all read — so a facet's count is always the
//! number of entries its filter keeps.

use super::{Catalogue, Date, Kind, Technology};

/// A dimension entries are filtered and counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// The entry's kind.
    Kind,
    /// One of its tags.
    Tag,
    /// A language it is for (`relations.for_language`), or its own id when it is a
    /// language: `language=python` keeps Python itself and what is for Python.
    Language,
    /// A licence id its SPDX expression names (`MIT OR Apache-2.0` names both; an
    /// exception after `WITH` is not a licence).
    License,
    /// A language it is written in.
    WrittenIn,
    /// A runtime or platform it runs on.
    RunsOn,
    /// What it is built on.
    BuiltOn,
}

impl Facet {
    /// The query parameter of the filter this facet's values go to.
    pub fn parameter(self) -> &'static str {
        match self {
            Facet::Kind => "kind",
            Facet::Tag => "tag",
            Facet::Language => "language",
            Facet::License => "license",
            Facet::WrittenIn => "written_in",
            Facet::RunsOn => "runs_on",
            Facet::BuiltOn => "built_on",
        }
    }

    /// The entry's distinct values, in the order the entry gives them.
    pub fn values(self, catalogue: &Catalogue, position: usize) -> Vec<&str> {
        let mut values: Vec<&str> = Vec::new();
        self.any(catalogue, position, |value| {
            if !values.contains(&value) {
                values.push(value);
            }
            false
        });
        values
    }

    /// True when `test` holds for one of the entry's values (tried in order, with
    /// repeats, until one holds).
    pub fn any<'c>(
        self,
        catalogue: &'c Catalogue,
        position: usize,
        mut test: impl FnMut(&'c str) -> bool,
    ) -> bool {
        let t = &catalogue.technologies()[position];
        let strings = |list: &'c [String]| list.iter().map(String::as_str);
        match self {
            Facet::Kind => test(t.kind.as_str()),
            Facet::Tag => strings(&t.tags).any(test),
            Facet::Language => language_values(t).any(test),
            Facet::License => catalogue
                .license_ids(position)
                .iter()
                .map(|id| &**id)
                .any(test),
            Facet::WrittenIn => strings(&t.relations.written_in).any(test),
            Facet::RunsOn => strings(&t.relations.runs_on).any(test),
            Facet::BuiltOn => strings(&t.relations.built_on).any(test),
        }
    }
}

/// The values of [`Facet::Language`] for one entry.
fn language_values(t: &Technology) -> impl Iterator<Item = &str> {
    let own = (t.kind == Kind::Language).then_some(t.id.as_str());
    t.relations
        .for_language
        .iter()
        .map(String::as_str)
        .chain(own)
}

/// The licence ids an SPDX expression names, as written in the SPDX licence list
/// (`LicenseRef-…` kept as is); nothing when the expression does not parse.
pub fn license_ids(expression: &str) -> Vec<Box<str>> {
    let Ok(parsed) = spdx::Expression::parse(expression) else {
        return Vec::new();
    };
    let mut ids: Vec<Box<str>> = Vec::new();
    for requirement in parsed.requirements() {
        let id: Box<str> = requirement.req.license.to_string().into();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The licence id `value` names, in its SPDX spelling: an id of the SPDX licence
/// list, any case (`mit` → `MIT`), or a `LicenseRef-` id as given.
pub fn canonical_license_id(value: &str) -> Option<String> {
    // The list itself, not `spdx::license_id`, which takes `MIT+` for `MIT`.
    if let Some(license) = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(value))
    {
        return Some(license.name.to_owned());
    }
    let prefix = "licenseref-";
    let is_ref = value.len() > prefix.len()
        && value.is_char_boundary(prefix.len())
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        && value[prefix.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    is_ref.then(|| format!("LicenseRef-{}", &value[prefix.len()..]))
}

/// Lifecycle status an entry can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// At least one release cycle is supported today.
    Supported,
    /// Every release cycle has reached its end of life.
    EndOfLife,
}

impl Status {
    /// The accepted values, as the filter takes them.
    pub const NAMES: [&'static str; 2] = ["supported", "end_of_life"];

    /// The status a filter value names.
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "supported" => Some(Status::Supported),
            "end_of_life" => Some(Status::EndOfLife),
            _ => None,
        }
    }

    /// True when the entry at `position` has this status on `today` (never for an
    /// entry without release cycles).
    pub fn holds(self, catalogue: &Catalogue, position: usize, today: Date) -> bool {
        let Some(lifecycle) = catalogue.lifecycle(position) else {
            return false;
        };
        let mut cycles = lifecycle.releases.iter().map(|c| c.on(today));
        match self {
            Status::Supported => cycles.any(|c| c.is_supported),
            Status::EndOfLife => cycles.all(|c| c.is_end_of_life),
        }
    }
}

/// Filters over entries: the values of one filter are alternatives (OR), different
/// filters must all hold (AND). Values compare case-insensitively (licence ids in
/// their SPDX spelling, see [`canonical_license_id`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Kinds, any of.
    pub kinds: Vec<Kind>,
    /// Values of the other facets, any of per facet (lowercase, licences in their
    /// SPDX spelling).
    pub values: Vec<(Facet, Vec<String>)>,
    /// Lifecycle statuses, any of.
    pub status: Vec<Status>,
    /// First released after this year.
    pub released_after: Option<u16>,
    /// First released before this year.
    pub released_before: Option<u16>,
    /// Facts changed on or after this day.
    pub updated_since: Option<Date>,
}

impl Filter {
    /// True when nothing is filtered: every entry passes.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.values.iter().all(|(_, values)| values.is_empty())
            && self.status.is_empty()
            && self.released_after.is_none()
            && self.released_before.is_none()
            && self.updated_since.is_none()
    }

    /// True when the filter depends on the day (lifecycle status).
    pub fn depends_on_today(&self) -> bool {
        !self.status.is_empty()
    }

    /// True when the entry at `position` passes every filter on `today`.
    pub fn admits(&self, catalogue: &Catalogue, position: usize, today: Date) -> bool {
        let t = &catalogue.technologies()[position];
        (self.kinds.is_empty() || self.kinds.contains(&t.kind))
            && self.values.iter().all(|(facet, wanted)| {
                wanted.is_empty()
                    || facet.any(catalogue, position, |have| {
                        wanted.iter().any(|w| w.eq_ignore_ascii_case(have))
                    })
            })
            && (self.status.is_empty()
                || self
                    .status
                    .iter()
                    .any(|s| s.holds(catalogue, position, today)))
            && self
                .released_after
                .is_none_or(|y| t.first_released.is_some_and(|r| r > y))
            && self
                .released_before
                .is_none_or(|y| t.first_released.is_some_and(|r| r < y))
            && self.updated_since.is_none_or(|day| t.updated >= day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(expression: &str) -> Vec<String> {
        license_ids(expression)
            .iter()
            .map(|id| id.to_string())
            .collect()
    }

    #[test]
    fn licence_ids_are_the_expressions_licences_without_operators_or_exceptions() {
        assert_eq!(ids("MIT OR Apache-2.0"), ["MIT", "Apache-2.0"]);
        assert_eq!(
            ids("GPL-2.0-only WITH Classpath-exception-2.0"),
            ["GPL-2.0-only"]
        );
        assert_eq!(
            ids("(MIT AND BSD-3-Clause) OR LicenseRef-Proprietary"),
            ["MIT", "BSD-3-Clause", "LicenseRef-Proprietary"]
        );
        assert_eq!(ids("MIT OR MIT"), ["MIT"]);
        assert!(ids("not a licence (").is_empty());
    }

    #[test]
    fn filter_values_name_spdx_ids_in_any_case_and_nothing_else() {
        assert_eq!(canonical_license_id("mit").as_deref(), Some("MIT"));
        assert_eq!(
            canonical_license_id("apache-2.0").as_deref(),
            Some("Apache-2.0")
        );
        // Deprecated ids of the list stay ids (`GPL-2.0+` is one).
        assert_eq!(
            canonical_license_id("GPL-2.0+").as_deref(),
            Some("GPL-2.0+")
        );
        // The part after `LicenseRef-` is kept as given (the filter compares it
        // case-insensitively).
        assert_eq!(
            canonical_license_id("licenseref-proprietary").as_deref(),
            Some("LicenseRef-proprietary")
        );
        for word in [
            "or",
            "OR",
            "WITH",
            "and",
            "Classpath-exception-2.0",
            "LicenseRef-",
            "",
            "MIT+",
        ] {
            assert_eq!(canonical_license_id(word), None, "{word}");
        }
    }
}
