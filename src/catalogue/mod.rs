//! The catalogue domain: the typed model, loading the data files, validating them,
//! and the immutable [`Catalogue`] snapshot every request reads.
//!
//! Nothing here knows about HTTP: the API layer borrows a snapshot and turns what it
//! finds into answers.

mod embedded;
pub mod filter;
pub mod lifecycle;
pub mod model;
pub mod refresh;
pub mod schema;
pub mod synthetic;
mod validate;

use std::collections::HashMap;

use std::fmt;
use xxhash_rust::xxh3::Xxh3;

pub use filter::{Facet, Filter, Status};
pub use lifecycle::{Date, ReleaseCycle, StoredLifecycle};
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
            parse_json(&file.path, &file.text).map_err(|e| LoadErrors(vec![e]))?;
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

    /// The catalogue in a directory laid out like `data/`: every
    /// `technologies/*.json` and `lifecycle/*.json` file below `dir` (the
    /// `lifecycle` folder may be absent).
    pub fn from_dir(dir: &std::path::Path) -> Result<Catalogue, LoadErrors> {
        let started = std::time::Instant::now();
        let technologies_dir = dir.join("technologies");
        let technologies = json_files(&technologies_dir, true)?;
        log::debug!(
            "{} technology files listed in {} ms",
            technologies.len(),
            started.elapsed().as_millis()
        );
        let lifecycles = json_files(&dir.join("lifecycle"), false)?
            .into_iter()
            .map(|path| read_file(&path))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| LoadErrors(vec![error]))?;
        let meta_path = dir.join("catalogue.json");
        let meta = match std::fs::read_to_string(&meta_path) {
            Ok(text) => Some(SourceFile {
                path: meta_path.display().to_string(),
                text,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(LoadErrors(vec![LoadError {
                    file: meta_path.display().to_string(),
                    field: String::new(),
                    message: format!("cannot read the file: {error}"),
                }]));
            }
        };
        let folder = Folder::open(technologies_dir);
        let technologies: Vec<Input<'_>> = technologies.into_iter().map(Input::Disk).collect();
        Catalogue::from_inputs(&technologies, &lifecycles, folder.as_ref())?
            .with_meta(meta.as_ref())
    }

    /// Parses and validates technology files into a catalogue without lifecycles.
    pub fn from_files(files: &[SourceFile]) -> Result<Catalogue, LoadErrors> {
        Catalogue::from_sources(files, &[])
    }

    /// Parses and validates technology and lifecycle files into a catalogue.
    pub fn from_sources(
        files: &[SourceFile],
        lifecycle_files: &[SourceFile],
    ) -> Result<Catalogue, LoadErrors> {
        let inputs: Vec<Input<'_>> = files.iter().map(Input::Loaded).collect();
        Catalogue::from_inputs(&inputs, lifecycle_files, None)
    }

    /// Parses and validates technology files (read from disk by the parsing
    /// threads where they are not loaded yet, through `folder` when they are in it)
    /// and lifecycle files.
    fn from_inputs(
        inputs: &[Input<'_>],
        lifecycle_files: &[SourceFile],
        folder: Option<&Folder>,
    ) -> Result<Catalogue, LoadErrors> {
        let mut errors = Vec::new();
        let mut parsed = Vec::with_capacity(inputs.len());
        // The worker threads read and parse the files (start-up time is mostly this and
        // indexing); each also runs the checks that need one entry only and hashes
        // the file for the fingerprint, so a file's text is dropped once parsed.
        let started = std::time::Instant::now();
        let results = Parsed::all(inputs, folder);
        let mut found = Vec::new();
        let mut hasher = Xxh3::new();
        // Texts of the files with a problem, to say where in the file it is.
        let mut kept: HashMap<String, String> = HashMap::new();
        for result in results {
            match result {
                Ok(parsed_file) => {
                    hasher.update(&parsed_file.hash.to_le_bytes());
                    if let Some(text) = parsed_file.kept_text {
                        kept.insert(parsed_file.path.clone(), text);
                    }
                    parsed.push((parsed_file.path, parsed_file.technology));
                    found.extend(parsed_file.errors);
                }
                Err(error) => errors.push(error),
            }
        }
        let mut stored_lifecycles = Vec::with_capacity(lifecycle_files.len());
        for file in lifecycle_files {
            hasher.update(&file_hash(&file.path, &file.text).to_le_bytes());
            match parse_json::<StoredLifecycle>(&file.path, &file.text) {
                Ok(lifecycle) => stored_lifecycles.push((file.path.clone(), lifecycle)),
                Err(error) => errors.push(error),
            }
        }
        let parsed_in = started.elapsed();
        // The names' check across entries on one thread; the name order, the lookup
        // tables (which need no valid catalogue to be made) and the identifiers'
        // check on this one; then the relations' check on both.
        let (checks, order, lookups) = std::thread::scope(|scope| {
            let names = scope.spawn(|| validate::unique_names(&parsed));
            // Ids are unique, so the order is total; each name is lowercased once.
            let mut order: Vec<usize> = (0..parsed.len()).collect();
            order.sort_by_cached_key(|&i| (parsed[i].1.name.to_lowercase(), &parsed[i].1.id));
            let sorted: Vec<&Technology> = order.iter().map(|&i| &parsed[i].1).collect();
            let lookups = Lookups::of(&sorted);
            let identifiers = validate::unique_identifiers(&parsed);
            let (mut checks, names) = names
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            checks.extend(identifiers);
            checks.extend(
                in_order_on_threads(&parsed, 1024, |entry, _: &mut ()| {
                    validate::relations(std::slice::from_ref(entry), &names)
                })
                .flatten(),
            );
            checks.extend(validate::lifecycles(&parsed, &stored_lifecycles));
            (checks, order, lookups)
        });
        found.extend(checks);
        for error in &mut found {
            let loaded = inputs
                .iter()
                .filter_map(|input| match input {
                    Input::Loaded(file) => Some(*file),
                    Input::Disk(_) => None,
                })
                .chain(lifecycle_files)
                .find(|f| f.path == error.file)
                .map(|f| std::borrow::Cow::Borrowed(f.text.as_str()));
            // A file whose problem shows only beside other entries is read again.
            let text = loaded
                .or_else(|| kept.get(&error.file).map(|t| t.as_str().into()))
                .or_else(|| std::fs::read_to_string(&error.file).ok().map(Into::into));
            if let Some((line, column)) = text.and_then(|text| locate(&text, &error.field)) {
                error.file = format!("{}:{line}:{column}", error.file);
            }
        }
        errors.extend(found);
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        let checked_in = started.elapsed();
        let lifecycle_as_of = stored_lifecycles.iter().map(|(_, l)| l.as_of).min();
        let fingerprint = hasher.digest();
        let mut by_product: HashMap<String, StoredLifecycle> = stored_lifecycles
            .into_iter()
            .map(|(_, l)| (l.product.clone(), l))
            .collect();
        // Put into name order where they are (`order` holds every position once),
        // then the paths dropped in the same allocation: no second copy of the
        // entries (65 MB of fresh pages at 100,000 entries).
        permute(&mut parsed, &order);
        let technologies: Vec<Technology> = parsed.into_iter().map(|(_, t)| t).collect();
        let lifecycles = technologies
            .iter()
            .enumerate()
            .filter_map(|(position, t)| {
                let product = t.identifiers.endoflife.as_ref()?;
                by_product.remove(product).map(|l| (position, l))
            })
            .collect();
        let Lookups {
            by_id,
            by_alias,
            by_purl,
            cpes,
        } = lookups;
        log::debug!(
            "{} files read, parsed and checked on their own in {} ms, across entries by {} ms, in name order by {} ms",
            inputs.len(),
            parsed_in.as_millis(),
            checked_in.as_millis(),
            started.elapsed().as_millis()
        );
        let (license_sets, license_of) = license_sets(&technologies);
        Ok(Catalogue {
            technologies,
            by_id,
            by_alias,
            lifecycles,
            by_purl,
            cpes,
            lifecycle_as_of,
            updated: None,
            fingerprint,
            license_sets,
            license_of,
        })
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

/// Rearranges `items` so that position `k` holds what was at `order[k]`
/// (`order` a permutation of the positions), by swaps along each cycle.
fn permute<T>(items: &mut [T], order: &[usize]) {
    debug_assert_eq!(items.len(), order.len());
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// A technology file to parse: already in memory, or to be read from disk.
enum Input<'a> {
    Loaded(&'a SourceFile),
    Disk(std::path::PathBuf),
}

/// A technology file parsed and checked on its own.
struct Parsed {
    path: String,
    technology: Technology,
    /// What [`validate::entry`] found.
    errors: Vec<LoadError>,
    /// Hash of the path and text, for the catalogue's fingerprint.
    hash: u64,
    /// The text of a file read from disk that has a problem.
    kept_text: Option<String>,
}

impl Parsed {
    /// Parses and checks one file; `buffer` is reused from file to file.
    fn of(
        input: &Input<'_>,
        folder: Option<&Folder>,
        buffer: &mut Vec<u8>,
    ) -> Result<Parsed, LoadError> {
        let (path, text, from_disk) = match input {
            Input::Loaded(file) => (file.path.clone(), file.text.as_str(), false),
            Input::Disk(path) => (shown(path), read_into(path, folder, buffer)?, true),
        };
        let technology = parse_json::<Technology>(&path, text)?;
        let errors = validate::entry(&path, &technology);
        Ok(Parsed {
            hash: file_hash(&path, text),
            kept_text: (from_disk && !errors.is_empty()).then(|| text.to_owned()),
            path,
            technology,
            errors,
        })
    }

    /// Parses and checks `inputs` on the worker threads, in order, each thread reusing
    /// one read buffer.
    fn all(
        inputs: &[Input<'_>],
        folder: Option<&Folder>,
    ) -> impl Iterator<Item = Result<Parsed, LoadError>> {
        in_order_on_threads(inputs, 256, move |input, buffer: &mut Vec<u8>| {
            Parsed::of(input, folder, buffer)
        })
    }
}

/// Threads to share CPU-bound work between: the cores this process may use
/// (`std::thread::available_parallelism`), at most [`MAX_THREADS`], at least one.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_THREADS)
}

/// Most threads one piece of CPU-bound work is shared between.
pub const MAX_THREADS: usize = 16;

/// `work` on contiguous parts of `0..len`, one part per worker thread (fewer for
/// small `len`), the results in order. A panic in any part is raised again here:
/// work that failed is never silently redone or left out.
pub fn split_on_threads<R: Send>(
    len: usize,
    work: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    let parts = worker_threads().min(len.max(1));
    let bounds: Vec<std::ops::Range<usize>> = (0..parts)
        .map(|part| part * len / parts..(part + 1) * len / parts)
        .collect();
    std::thread::scope(|scope| {
        let work = &work;
        let others: Vec<_> = bounds[1..]
            .iter()
            .map(|range| {
                let range = range.clone();
                scope.spawn(move || work(range))
            })
            .collect();
        let mut results = vec![work(bounds[0].clone())];
        for other in others {
            results.push(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    })
}

/// `work` done on every item on [`worker_threads`] threads, the results in the
/// items' order. The threads take `chunk` items at a time as they go, so a thread
/// slowed down (its core busy with something else) leaves more items to the others:
/// with fixed halves, one half of 100,000 files took up to 0.4 s longer than the
/// other. Each thread keeps its own `S` from item to item; a panic in any thread is
/// raised again here.
fn in_order_on_threads<T: Sync, S: Default, R: Send>(
    items: &[T],
    chunk: usize,
    work: impl Fn(&T, &mut S) -> R + Sync,
) -> impl Iterator<Item = R> {
    in_order_on(worker_threads(), items, chunk, work)
}

/// [`in_order_on_threads`] on `threads` threads.
fn in_order_on<T: Sync, S: Default, R: Send>(
    threads: usize,
    items: &[T],
    chunk: usize,
    work: impl Fn(&T, &mut S) -> R + Sync,
) -> impl Iterator<Item = R> {
    let chunk = chunk.max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let mut state = S::default();
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(chunk, std::sync::atomic::Ordering::Relaxed);
            if start >= items.len() {
                break;
            }
            let end = start.saturating_add(chunk).min(items.len());
            let results: Vec<R> = items[start..end]
                .iter()
                .map(|item| work(item, &mut state))
                .collect();
            done.push((start, results));
        }
        done
    };
    let mut done = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads.max(1)).map(|_| scope.spawn(take)).collect();
        let mut done = take();
        for other in others {
            done.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(start, _)| *start);
    done.into_iter().flat_map(|(_, results)| results)
}

/// A folder of data files. Files are opened without updating their access time
/// where the server may (it owns them): reading the catalogue should not write to
/// the disk, and the first start after the files were written would otherwise dirty
/// every file's inode (25 MB to write back at 100,000 entries). `O_NOATIME` is asked
/// through `OpenOptionsExt::custom_flags`, a safe API; opening each file relative to
/// a folder descriptor (`openat`) saved one path lookup per file but needed `unsafe`,
/// and was dropped.
struct Folder {
    /// Whether `O_NOATIME` is still worth asking for (cleared on the first refusal).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    no_atime: std::sync::atomic::AtomicBool,
}

impl Folder {
    /// The folder at `path`, when it is one (else files are opened as they come).
    fn open(path: std::path::PathBuf) -> Option<Folder> {
        if !path.is_dir() {
            return None;
        }
        Some(Folder {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            no_atime: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// Opens the file at `path` for reading.
    fn open_file(&self, path: &std::path::Path) -> std::io::Result<std::fs::File> {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            use std::os::unix::fs::OpenOptionsExt;
            use std::sync::atomic::Ordering::Relaxed;
            if self.no_atime.load(Relaxed) {
                let opened = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOATIME)
                    .open(path);
                match opened {
                    // Not the files' owner: no O_NOATIME from now on.
                    Err(error) if error.raw_os_error() == Some(libc::EPERM) => {
                        self.no_atime.store(false, Relaxed);
                    }
                    opened => return opened,
                }
            }
        }
        std::fs::File::open(path)
    }
}

/// Reads a UTF-8 file into `buffer` (open, read to the end, close: no size query),
/// returning its text.
fn read_into<'b>(
    path: &std::path::Path,
    folder: Option<&Folder>,
    buffer: &'b mut Vec<u8>,
) -> Result<&'b str, LoadError> {
    use std::io::Read;
    let fail = |message: String| LoadError {
        file: shown(path),
        field: String::new(),
        message: format!("cannot read the file: {message}"),
    };
    let opened = match folder {
        Some(folder) => folder.open_file(path),
        None => std::fs::File::open(path),
    };
    let mut file = opened.map_err(|e| fail(e.to_string()))?;
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize((buffer.len() * 2).max(64 * 1024), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    std::str::from_utf8(&buffer[..filled])
        .map_err(|e| fail(format!("stream did not contain valid UTF-8 ({e})")))
}

/// A path as error messages and fingerprints show it.
fn shown(path: &std::path::Path) -> String {
    path.to_str()
        .map_or_else(|| path.display().to_string(), str::to_owned)
}

/// Hash of a file's path and text: XXH3 (64 bits), whose output the algorithm
/// specifies, so replicas built by different toolchains agree on the catalogue's
/// fingerprint and so on every ETag.
fn file_hash(path: &str, text: &str) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(path.as_bytes());
    hasher.update(&[0xFF]); // never in UTF-8: the path ends here
    hasher.update(text.as_bytes());
    hasher.digest()
}

/// Reads one data file.
fn read_file(path: &std::path::Path) -> Result<SourceFile, LoadError> {
    let mut buffer = Vec::new();
    let text = read_into(path, None, &mut buffer)?.to_owned();
    Ok(SourceFile {
        path: shown(path),
        text,
    })
}

/// The `*.json` files of a directory, in name order.
fn json_files(
    dir: &std::path::Path,
    required: bool,
) -> Result<Vec<std::path::PathBuf>, LoadErrors> {
    let fail = |file: &std::path::Path, message: String| {
        LoadErrors(vec![LoadError {
            file: file.display().to_string(),
            field: String::new(),
            message,
        }])
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(error) => return Err(fail(dir, format!("cannot read the directory: {error}"))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| fail(dir, format!("cannot list the directory: {e}")))?
            .file_name();
        if std::path::Path::new(&name)
            .extension()
            .is_some_and(|ext| ext == "json")
        {
            names.push(name);
        }
    }
    // Sorted by file name (short keys, compared as bytes), then made paths.
    names.sort_unstable();
    Ok(names.into_iter().map(|name| dir.join(name)).collect())
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, LoadError> {
    // The plain parser first; only a file that fails is parsed again to name the
    // field at fault (tracking the path costs about half of the parse).
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        LoadError {
            file: format!("{path}:{}:{}", inner.line(), inner.column()),
            field: if field == "." { String::new() } else { field },
            message: format!("invalid JSON: {inner}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{file_hash, in_order_on, permute};
    use proptest::prelude::*;

    /// The fingerprint is made of XXH3-64 hashes, whose output is specified: the
    /// expected value computed independently (Python's `xxhash.xxh3_64_intdigest`
    /// of the path, a 0xFF byte and the text).
    #[test]
    fn file_hashes_are_xxh3_of_path_and_text() {
        assert_eq!(
            file_hash("data/technologies/x.json", "{\"id\": \"x\"}"),
            0x9ad7_b556_d1f2_98c6
        );
    }

    /// Results come in the items' order although every thread takes chunks (each
    /// item takes a millisecond, so the other threads start before the first is
    /// done), and each thread's state carries from item to item.
    #[test]
    fn work_on_threads_comes_back_in_order() {
        let items: Vec<usize> = (0..64).collect();
        let done: Vec<(usize, std::thread::ThreadId, usize)> =
            in_order_on(3, &items, 1, |&item, seen: &mut usize| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                *seen += 1;
                (item, std::thread::current().id(), *seen)
            })
            .collect();
        let order: Vec<usize> = done.iter().map(|(item, _, _)| *item).collect();
        assert_eq!(order, items);
        let threads: std::collections::HashSet<_> = done.iter().map(|(_, id, _)| *id).collect();
        assert_eq!(threads.len(), 3, "every thread took items");
        // Per thread, its count of items seen goes 1, 2, 3, … in the items' order.
        for thread in threads {
            let counts: Vec<usize> = done
                .iter()
                .filter(|(_, id, _)| *id == thread)
                .map(|(_, _, seen)| *seen)
                .collect();
            assert_eq!(counts, (1..=counts.len()).collect::<Vec<_>>());
        }
    }

    proptest! {
        /// Position `k` ends up holding what was at `order[k]`, for any permutation
        /// (fixed points, long cycles, many short ones).
        #[test]
        fn permute_puts_each_item_where_the_order_says(
            order in (0usize..200).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, &order);
            prop_assert_eq!(permuted, expected);
        }
    }
}
