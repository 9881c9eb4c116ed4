//! The catalogue domain: the typed model, loading the data files, validating them,
//! and the immutable [`Catalogue`] snapshot every request reads.
//!
//! Nothing here knows about HTTP: the API layer borrows a snapshot and turns what it
//! finds into answers.

mod embedded;
pub mod model;
mod validate;

use std::collections::HashMap;
use std::fmt;

pub use model::{Identifiers, Kind, Relations, Technology};

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
    /// The data file at fault.
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
        let files = embedded::TECHNOLOGIES
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect::<Vec<_>>();
        Catalogue::from_files(&files)
    }

    /// The catalogue in a directory laid out like `data/`: every
    /// `technologies/*.json` file below `dir`.
    pub fn from_dir(dir: &std::path::Path) -> Result<Catalogue, LoadErrors> {
        let technologies = dir.join("technologies");
        let fail = |message: String| {
            LoadErrors(vec![LoadError {
                file: technologies.display().to_string(),
                field: String::new(),
                message,
            }])
        };
        let entries = std::fs::read_dir(&technologies)
            .map_err(|e| fail(format!("cannot read the directory: {e}")))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| fail(format!("cannot list the directory: {e}")))?
                .path();
            if path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                LoadErrors(vec![LoadError {
                    file: path.display().to_string(),
                    field: String::new(),
                    message: format!("cannot read the file: {e}"),
                }])
            })?;
            files.push(SourceFile {
                path: path.display().to_string(),
                text,
            });
        }
        Catalogue::from_files(&files)
    }

    /// Parses and validates technology files into a catalogue.
    pub fn from_files(files: &[SourceFile]) -> Result<Catalogue, LoadErrors> {
        let mut errors = Vec::new();
        let mut parsed = Vec::with_capacity(files.len());
        for file in files {
            match parse_technology(file) {
                Ok(technology) => parsed.push((file.path.clone(), technology)),
                Err(error) => errors.push(error),
            }
        }
        errors.extend(validate::catalogue(&parsed));
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        let mut technologies: Vec<Technology> = parsed.into_iter().map(|(_, t)| t).collect();
        technologies.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        let by_id = technologies
            .iter()
            .enumerate()
            .map(|(position, t)| (t.id.to_lowercase(), position))
            .collect();
        let by_alias = technologies
            .iter()
            .enumerate()
            .flat_map(|(position, t)| t.aliases.iter().map(move |a| (a.to_lowercase(), position)))
            .collect();
        Ok(Catalogue {
            technologies,
            by_id,
            by_alias,
        })
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
}

fn parse_technology(file: &SourceFile) -> Result<Technology, LoadError> {
    let deserializer = &mut serde_json::Deserializer::from_str(&file.text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        LoadError {
            file: file.path.clone(),
            field: if field == "." { String::new() } else { field },
            message: format!("invalid JSON: {inner}"),
        }
    })
}
