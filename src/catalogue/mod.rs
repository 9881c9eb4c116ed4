//! The catalogue domain: the typed model, loading the data files, validating them,
//! and the immutable [`Catalogue`] snapshot every request reads.
//!
//! Nothing here knows about HTTP: the API layer borrows a snapshot and turns what it
//! finds into answers.

mod embedded;
mod endoflife;
pub mod filter;
pub mod lifecycle;
mod load;
pub mod model;
pub mod refresh;
pub mod schema;
#[cfg(any(test, feature = "synthetic"))]
pub mod synthetic;
mod validate;

use std::collections::HashMap;

use std::fmt;
use xxhash_rust::xxh3::Xxh3;

pub use filter::{Facet, Filter, Status};
pub use lifecycle::{Date, ReleaseCycle, StoredLifecycle};
pub use load::{MAX_THREADS, split_on_threads, worker_threads};
pub use model::{Identifiers, Kind, Relations, Technology};
pub use validate::relation_lists;

/// A data file: the path it was read from (for error messages) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the project root, e.g. `data/technologies/nodejs.json`.
    pub path: String,
    /// The file's JSON text.
    pub text: String,
}

/// Why a catalogue could not be loaded: the file, the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The data file at fault, with the line and column of the field when they can
    /// be told (`data/technologies/nodejs.json:12:3`).
    pub file: String,
    /// The field at fault, as a path (`relations.runs_on[0]`), or empty when the
    /// whole file is at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: field `{}`: {}", self.file, self.field, self.message)
        }
    }
}

impl std::error::Error for LoadError {}

/// Every problem found in a catalogue, in file order; loading reports them all at
/// once so a contributor fixes a batch, not one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the catalogue is invalid ({} problems):", self.0.len())?;
        for error in &self.0 {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// An immutable, validated catalogue with its lookup tables.
#[derive(Debug)]
pub struct Catalogue {
    /// Entries sorted by name (case-insensitive), then id.
    technologies: Vec<Technology>,
    /// Lowercased ids to positions in `technologies`.
    by_id: HashMap<String, usize>,
    /// Lowercased aliases to positions in `technologies`.
    by_alias: HashMap<String, usize>,
    /// Release cycles by technology position.
    lifecycles: HashMap<usize, StoredLifecycle>,
    /// Lowercased, version-less package URLs to positions.
    by_purl: HashMap<String, usize>,
    /// Lowercased CPE names (without version) with positions.
    cpes: Vec<(String, usize)>,
    /// The oldest day any lifecycle fact was taken on.
    lifecycle_as_of: Option<Date>,
    /// The day the catalogue last changed, from `catalogue.json`.
    updated: Option<Date>,
    /// Hash of every data file's path and text.
    fingerprint: u64,
    /// The distinct sets of licence ids the entries' expressions name (the first
    /// empty), see [`filter::license_ids`].
    license_sets: Vec<LicenseSet>,
    /// Per entry, its set in `license_sets`.
    license_of: Vec<u32>,
}

/// Facts about the catalogue as a whole (`data/catalogue.json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueMeta {
    /// The day the catalogue's data last changed: on or after every entry's
    /// `updated` and the lifecycle facts' date.
    pub updated: Date,
}

/// What a key names: the entry itself, or another name of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The key is the entry's canonical id.
    Canonical(&'a Technology),
    /// The key is an alias or a differently-cased id; the entry's id is canonical.
    Alias(&'a Technology),
}

impl Catalogue {
    /// The catalogue compiled into the binary from `data/`.
    pub fn embedded() -> Result<Catalogue, LoadErrors> {
        let files = |table: &[(&str, &str)]| {
            table
                .iter()
                .map(|(path, text)| SourceFile {
                    path: (*path).to_owned(),
                    text: (*text).to_owned(),
                })
                .collect::<Vec<_>>()
        };
        let meta = embedded::META.map(|(path, text)| SourceFile {
            path: path.to_owned(),
            text: text.to_owned(),
        });
        Catalogue::from_sources(&files(embedded::TECHNOLOGIES), &files(embedded::LIFECYCLES))?
            .with_meta(meta.as_ref())
    }

    /// Applies `catalogue.json` (when there is one): the catalogue's date.
    pub fn with_meta(mut self, meta: Option<&SourceFile>) -> Result<Catalogue, LoadErrors> {
        let Some(file) = meta else {
            return Ok(self);
        };
        let meta: CatalogueMeta =
            load::parse_json(&file.path, &file.text).map_err(|e| LoadErrors(vec![e]))?;
        if let Some(as_of) = self.lifecycle_as_of
            && meta.updated < as_of
        {
            return Err(LoadErrors(vec![LoadError {
                file: file.path.clone(),
                field: "updated".to_owned(),
                message: format!(
                    "{} is before the lifecycle facts' date {as_of}",
                    meta.updated
                ),
            }]));
        }
        if let Some(newest) = self.technologies.iter().max_by_key(|t| t.updated)
            && meta.updated < newest.updated
        {
            return Err(LoadErrors(vec![LoadError {
                file: file.path.clone(),
                field: "updated".to_owned(),
                message: format!(
                    "{} is before `{}`'s `updated` {}",
                    meta.updated, newest.id, newest.updated
                ),
            }]));
        }
        let mut hasher = Xxh3::new();
        hasher.update(&self.fingerprint.to_le_bytes());
        hasher.update(file.text.as_bytes());
        self.fingerprint = hasher.digest();
        self.updated = Some(meta.updated);
        Ok(self)
    }

    /// The day the catalogue last changed, when `catalogue.json` says.
    pub fn updated(&self) -> Option<Date> {
        self.updated
    }

    /// A hash of the catalogue's files: equal catalogues, equal fingerprints.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The release cycles of the entry at `position`, when endoflife.date tracks it.
    pub fn lifecycle(&self, position: usize) -> Option<&StoredLifecycle> {
        self.lifecycles.get(&position)
    }

    /// The oldest day the catalogue's lifecycle facts were taken on.
    pub fn lifecycle_as_of(&self) -> Option<Date> {
        self.lifecycle_as_of
    }

    /// Position of the entry with exactly this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The entry a package URL names, with or without version, qualifiers or subpath
    /// (`pkg:pypi/django@5.0` finds Django). Qualifiers decide only where the
    /// catalogue records them (`pkg:oci/caddy?repository_url=…`).
    pub fn find_by_purl(&self, purl: &str) -> Option<usize> {
        self.by_purl
            .get(&normalise_purl(purl, true))
            .or_else(|| self.by_purl.get(&normalise_purl(purl, false)))
            .copied()
    }

    /// The entry a CPE name names, with or without version and later components
    /// (`cpe:2.3:a:nodejs:node.js:20.1.0:*:*:*:*:*:*:*` finds Node.js).
    pub fn find_by_cpe(&self, cpe: &str) -> Option<usize> {
        let cpe = cpe.to_lowercase();
        self.cpes
            .iter()
            .filter(|(known, _)| {
                cpe == *known
                    || cpe
                        .strip_prefix(known.as_str())
                        .is_some_and(|rest| rest.starts_with(':'))
            })
            .max_by_key(|(known, _)| known.len())
            .map(|(_, position)| *position)
    }

    /// Every entry, sorted by name.
    pub fn technologies(&self) -> &[Technology] {
        &self.technologies
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.technologies.len()
    }

    /// True when the catalogue has no entries.
    pub fn is_empty(&self) -> bool {
        self.technologies.is_empty()
    }

    /// Finds an entry by id or alias, case-insensitively, saying which it was.
    pub fn lookup(&self, key: &str) -> Option<Lookup<'_>> {
        if let Some(technology) = self.by_id.get(key).map(|&p| &self.technologies[p]) {
            return Some(Lookup::Canonical(technology));
        }
        let lower = key.to_lowercase();
        self.by_id
            .get(&lower)
            .or_else(|| self.by_alias.get(&lower))
            .map(|&p| Lookup::Alias(&self.technologies[p]))
    }

    /// The entry with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Technology> {
        self.by_id.get(id).map(|&p| &self.technologies[p])
    }

    /// The licence ids the licence expression of the entry at `position` names.
    pub fn license_ids(&self, position: usize) -> &[Box<str>] {
        &self.license_sets[self.license_of[position] as usize]
    }
}

/// The licence ids one expression names.
type LicenseSet = Box<[Box<str>]>;

/// Each entry's licence ids, the expressions parsed once each: the distinct sets
/// (the first empty) and per entry its set.
fn license_sets(technologies: &[Technology]) -> (Vec<LicenseSet>, Vec<u32>) {
    let mut sets: Vec<LicenseSet> = vec![Box::default()];
    let mut by_expression: HashMap<&str, u32> = HashMap::new();
    let of = technologies
        .iter()
        .map(|t| match t.license.as_deref() {
            None => 0,
            Some(expression) => *by_expression.entry(expression).or_insert_with(|| {
                sets.push(filter::license_ids(expression).into_boxed_slice());
                (sets.len() - 1) as u32
            }),
        })
        .collect();
    (sets, of)
}

/// Where a field (`relations.runs_on[0]`) is written in a JSON text, as a 1-based
/// line and column: the position of its innermost key, found by following the
/// path's keys in order.
fn locate(text: &str, field: &str) -> Option<(usize, usize)> {
    if field.is_empty() {
        return None;
    }
    let mut position = 0;
    for key in field.split('.') {
        let key = key.split('[').next().unwrap_or(key);
        position += text[position..].find(&format!("\"{key}\""))?;
    }
    let before = &text[..position];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    Some((line, column))
}

/// A package URL without version and subpath, lowercased; with its qualifiers
/// when `keep_qualifiers`.
fn normalise_purl(purl: &str, keep_qualifiers: bool) -> String {
    let purl = purl.split('#').next().unwrap_or_default();
    let (base, qualifiers) = match purl.split_once('?') {
        Some((base, qualifiers)) => (base, Some(qualifiers)),
        None => (purl, None),
    };
    let base = base
        .split('@')
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    match qualifiers {
        Some(qualifiers) if keep_qualifiers => format!("{base}?{qualifiers}").to_lowercase(),
        _ => base.to_lowercase(),
    }
}

/// The tables that find an entry's position by key.
struct Lookups {
    by_id: HashMap<String, usize>,
    by_alias: HashMap<String, usize>,
    by_purl: HashMap<String, usize>,
    cpes: Vec<(String, usize)>,
}

impl Lookups {
    /// The tables of the entries in `sorted`, at their positions there.
    fn of(sorted: &[&Technology]) -> Lookups {
        let by_id = sorted
            .iter()
            .enumerate()
            .map(|(position, t)| (t.id.to_lowercase(), position))
            .collect();
        let by_alias = sorted
            .iter()
            .enumerate()
            .flat_map(|(position, t)| t.aliases.iter().map(move |a| (a.to_lowercase(), position)))
            .collect();
        // Each purl is found as recorded and, where no other entry claims it,
        // without its qualifiers.
        let mut by_purl = HashMap::new();
        for keep_qualifiers in [true, false] {
            for (position, technology) in sorted.iter().enumerate() {
                for purl in &technology.identifiers.purl {
                    by_purl
                        .entry(normalise_purl(purl, keep_qualifiers))
                        .or_insert(position);
                }
            }
        }
        let cpes = sorted
            .iter()
            .enumerate()
            .flat_map(|(position, t)| {
                t.identifiers
                    .cpe
                    .iter()
                    .map(move |c| (c.to_lowercase(), position))
            })
            .collect();
        Lookups {
            by_id,
            by_alias,
            by_purl,
            cpes,
        }
    }
}
