//! Re-imports release cycles and identifiers from endoflife.date's data into a data
//! folder (`data/` or one laid out like it), and keeps each entry's `updated` day
//! true to its facts.
//!
//! Two jobs share one rule, "an entry's facts changed, so its `updated` day moves":
//! - [`refresh`] reads endoflife.date's product front matter (a checkout's
//!   `products/*.md`, or a folder of `<product>.yml` files), rewrites
//!   `lifecycle/<product>.json` for every product an entry names and the entries'
//!   endoflife-sourced identifiers (`purl`, `cpe`, `repology`), stamps `as_of`, and
//!   reports what changed;
//! - [`stamp`] compares every entry's facts with the fingerprints recorded in
//!   `fingerprints.json` and moves `updated` for those that changed.
//!
//! Both check everything before writing anything: a rejected input names the file
//! and field at fault and leaves the folder as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::LoadErrors;
use super::endoflife::{Product, error, read_products};
use super::lifecycle::{Date, Milestone, StoredCycle, StoredLifecycle};

/// The file beside `technologies/` that records each entry's facts' fingerprint.
pub const FINGERPRINTS: &str = "fingerprints.json";

/// What a refresh or a stamp changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// One line per change, in product order: cycles added or removed, dates changed,
    /// cycles newly end-of-life, identifiers changed.
    pub changes: Vec<String>,
    /// Entries whose `updated` day moved, in id order.
    pub updated: Vec<String>,
    /// Files written (rewritten with new content or removed).
    pub files_written: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        write!(
            f,
            "{} changes; {} entries' `updated` moved; {} files written",
            self.changes.len(),
            self.updated.len(),
            self.files_written
        )
    }
}

/// A data folder's technology files as JSON objects, by id, with their paths.
type Entries = BTreeMap<String, (PathBuf, Map<String, Value>)>;

fn read_entries(data: &Path) -> Result<Entries, LoadErrors> {
    let dir = data.join("technologies");
    let listing = std::fs::read_dir(&dir).map_err(|e| {
        LoadErrors(vec![error(
            &dir,
            "",
            format!("cannot list the folder: {e}"),
        )])
    })?;
    let mut entries = BTreeMap::new();
    let mut errors = Vec::new();
    for path in listing.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the file: {e}"))
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| format!("invalid JSON: {e}"))
            });
        match parsed {
            Ok(Value::Object(map)) => match map.get("id").and_then(Value::as_str) {
                Some(id) => {
                    entries.insert(id.to_owned(), (path, map));
                }
                None => errors.push(error(&path, "id", "missing")),
            },
            Ok(_) => errors.push(error(&path, "", "expected a JSON object")),
            Err(message) => errors.push(error(&path, "", message)),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(LoadErrors(errors))
    }
}

/// A JSON value as the data files write it: two-space indents, a final newline.
pub fn pretty(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn read_lifecycle(path: &Path) -> Option<StoredLifecycle> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Re-imports every product the entries of `data` name from the endoflife.date
/// front matter in `input`, with `as_of` as the facts' date; entries whose facts
/// changed get `today` as their `updated` day. Writes nothing when the input or the
/// folder is rejected.
pub fn refresh(input: &Path, data: &Path, as_of: Date, today: Date) -> Result<Report, LoadErrors> {
    let products = read_products(input)?;
    let mut entries = read_entries(data)?;
    let lifecycle_dir = data.join("lifecycle");
    let mut report = Report::default();
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    let mut named = BTreeSet::new();
    let mut errors = Vec::new();

    for (path, entry) in entries.values_mut() {
        let Some(slug) = entry
            .get("identifiers")
            .and_then(|i| i.get("endoflife"))
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        let Some(product) = products.get(&slug) else {
            errors.push(error(
                path,
                "identifiers.endoflife",
                format!("`{slug}` is not a product of {}", input.display()),
            ));
            continue;
        };
        named.insert(slug.clone());
        let file = lifecycle_dir.join(format!("{slug}.json"));
        let old = read_lifecycle(&file);
        let new = StoredLifecycle {
            product: slug.clone(),
            title: product.title.clone(),
            as_of,
            releases: product.releases.clone(),
        };
        let old_releases = old.as_ref().map(|l| l.releases.as_slice()).unwrap_or(&[]);
        let mut changes = cycle_changes(&slug, old_releases, old.as_ref().map(|l| l.as_of), &new);
        let identifiers_changed = set_identifiers(entry, product);
        if identifiers_changed {
            changes.push(format!("{slug}: identifiers (purl, cpe, repology) changed"));
            writes.push((path.clone(), pretty(entry)));
        }
        let text = pretty(&new);
        if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            writes.push((file, text));
        }
        report.changes.append(&mut changes);
    }
    let mut stale = Vec::new();
    if let Ok(listing) = std::fs::read_dir(&lifecycle_dir) {
        for path in listing.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            let slug = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if path.extension().is_some_and(|ext| ext == "json") && !named.contains(slug) {
                report
                    .changes
                    .push(format!("{slug}: no entry names it; lifecycle file removed"));
                stale.push(path);
            }
        }
    }
    if !errors.is_empty() {
        return Err(LoadErrors(errors));
    }
    std::fs::create_dir_all(&lifecycle_dir).map_err(|e| {
        LoadErrors(vec![error(
            &lifecycle_dir,
            "",
            format!("cannot create: {e}"),
        )])
    })?;
    report.files_written = write_all(&writes)? + stale.len();
    for path in stale {
        std::fs::remove_file(&path)
            .map_err(|e| LoadErrors(vec![error(&path, "", format!("cannot remove: {e}"))]))?;
    }
    let stamped = stamp(data, today)?;
    report.files_written += stamped.files_written;
    report.updated = stamped.updated;
    Ok(report)
}

fn write_all(writes: &[(PathBuf, String)]) -> Result<usize, LoadErrors> {
    for (path, text) in writes {
        std::fs::write(path, text)
            .map_err(|e| LoadErrors(vec![error(path, "", format!("cannot write: {e}"))]))?;
    }
    Ok(writes.len())
}

/// Replaces the entry's `purl`, `cpe` and `repology` identifiers with the product's,
/// in the field order of the data files; true when they changed.
fn set_identifiers(entry: &mut Map<String, Value>, product: &Product) -> bool {
    let Some(Value::Object(old)) = entry.get("identifiers") else {
        return false;
    };
    let mut new = Map::new();
    for (key, values) in [
        ("purl", &product.purl),
        ("cpe", &product.cpe),
        ("repology", &product.repology),
    ] {
        if !values.is_empty() {
            new.insert(key.to_owned(), Value::from(values.clone()));
        }
    }
    for key in ["linguist", "endoflife"] {
        if let Some(value) = old.get(key) {
            new.insert(key.to_owned(), value.clone());
        }
    }
    if *old == new {
        return false;
    }
    entry.insert("identifiers".to_owned(), Value::Object(new));
    true
}

/// What changed in a product's cycles: added, removed, dates changed, newly
/// end-of-life (ended by `new.as_of` but not by the old facts' date).
fn cycle_changes(
    slug: &str,
    old: &[StoredCycle],
    old_as_of: Option<Date>,
    new: &StoredLifecycle,
) -> Vec<String> {
    let mut changes = Vec::new();
    for cycle in &new.releases {
        let Some(before) = old.iter().find(|c| c.cycle == cycle.cycle) else {
            changes.push(format!(
                "{slug}: cycle {} added (released {})",
                cycle.cycle, cycle.release_date
            ));
            continue;
        };
        let mut fields = String::new();
        let show = |m: Option<Milestone>| match m {
            None => "none".to_owned(),
            Some(Milestone::On(day)) => day.to_string(),
            Some(Milestone::Reached(reached)) => reached.to_string(),
        };
        let date = |d: Option<Date>| d.map_or_else(|| "none".to_owned(), |d| d.to_string());
        let pairs = [
            (
                "release_date",
                date(Some(before.release_date)),
                date(Some(cycle.release_date)),
            ),
            ("lts", show(before.lts), show(cycle.lts)),
            (
                "end_of_active_support",
                show(before.end_of_active_support),
                show(cycle.end_of_active_support),
            ),
            (
                "end_of_life",
                show(before.end_of_life),
                show(cycle.end_of_life),
            ),
            (
                "end_of_extended_support",
                show(before.end_of_extended_support),
                show(cycle.end_of_extended_support),
            ),
            (
                "latest",
                before.latest.clone().unwrap_or_else(|| "none".to_owned()),
                cycle.latest.clone().unwrap_or_else(|| "none".to_owned()),
            ),
            (
                "latest_release_date",
                date(before.latest_release_date),
                date(cycle.latest_release_date),
            ),
            (
                "codename",
                before.codename.clone().unwrap_or_else(|| "none".to_owned()),
                cycle.codename.clone().unwrap_or_else(|| "none".to_owned()),
            ),
        ];
        for (field, was, now) in pairs {
            if was != now {
                let _ = write!(
                    fields,
                    "{}{field} {was} -> {now}",
                    if fields.is_empty() { "" } else { ", " }
                );
            }
        }
        if !fields.is_empty() {
            changes.push(format!("{slug}: cycle {}: {fields}", cycle.cycle));
        }
        let ended_then = old_as_of.is_some_and(|day| before.on(day).is_end_of_life);
        if cycle.on(new.as_of).is_end_of_life && !ended_then {
            changes.push(format!("{slug}: cycle {} newly end-of-life", cycle.cycle));
        }
    }
    for cycle in old {
        if !new.releases.iter().any(|c| c.cycle == cycle.cycle) {
            changes.push(format!("{slug}: cycle {} removed", cycle.cycle));
        }
    }
    changes
}

/// The fingerprint of an entry's facts: its fields but `updated`, and its release
/// cycles but their `as_of` date, hashed with XXH3 (a specified output, so every
/// build computes the same value).
pub fn facts_fingerprint(
    entry: &Map<String, Value>,
    lifecycle: Option<&StoredLifecycle>,
) -> String {
    let mut facts = entry.clone();
    facts.remove("updated");
    let mut text = serde_json::to_string(&facts).unwrap_or_default();
    if let Some(lifecycle) = lifecycle {
        text.push('\n');
        text.push_str(&serde_json::to_string(&lifecycle.releases).unwrap_or_default());
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Each entry's facts' fingerprint, by id, as `fingerprints.json` should record them.
pub fn fingerprints(data: &Path) -> Result<BTreeMap<String, String>, LoadErrors> {
    let entries = read_entries(data)?;
    Ok(entries
        .iter()
        .map(|(id, (_, entry))| {
            let lifecycle = entry
                .get("identifiers")
                .and_then(|i| i.get("endoflife"))
                .and_then(Value::as_str)
                .and_then(|slug| {
                    read_lifecycle(&data.join("lifecycle").join(format!("{slug}.json")))
                });
            (id.clone(), facts_fingerprint(entry, lifecycle.as_ref()))
        })
        .collect())
}

/// Moves `updated` to `today` on every entry whose facts differ from the fingerprint
/// `fingerprints.json` records (or that it does not know yet), records the new
/// fingerprints, and moves `catalogue.json`'s `updated` to the newest entry's.
pub fn stamp(data: &Path, today: Date) -> Result<Report, LoadErrors> {
    let fingerprints_path = data.join(FINGERPRINTS);
    let recorded: BTreeMap<String, String> = match std::fs::read_to_string(&fingerprints_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            LoadErrors(vec![error(
                &fingerprints_path,
                "",
                format!("invalid JSON: {e}"),
            )])
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => {
            return Err(LoadErrors(vec![error(
                &fingerprints_path,
                "",
                format!("cannot read: {e}"),
            )]));
        }
    };
    let current = fingerprints(data)?;
    let mut entries = read_entries(data)?;
    let mut report = Report::default();
    let mut writes = Vec::new();
    let mut newest: Option<Date> = None;
    for (id, (path, entry)) in &mut entries {
        if recorded.get(id) != current.get(id) {
            entry.insert("updated".to_owned(), Value::from(today.to_string()));
            writes.push((path.clone(), pretty(entry)));
            report.updated.push(id.clone());
        }
        let day = entry
            .get("updated")
            .and_then(Value::as_str)
            .and_then(Date::parse);
        newest = newest.max(day);
    }
    if recorded != current {
        writes.push((fingerprints_path, pretty(&current)));
    }
    // The catalogue's day is on or after every entry's and every lifecycle's.
    if let Ok(listing) = std::fs::read_dir(data.join("lifecycle")) {
        for path in listing.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            newest = newest.max(read_lifecycle(&path).map(|l| l.as_of));
        }
    }
    let meta_path = data.join("catalogue.json");
    if let Some(newest) = newest {
        let meta: Option<Value> = std::fs::read_to_string(&meta_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let day = meta
            .as_ref()
            .and_then(|m| m.get("updated"))
            .and_then(Value::as_str)
            .and_then(Date::parse);
        if day.is_none_or(|day| day < newest) {
            writes.push((
                meta_path,
                pretty(&serde_json::json!({ "updated": newest.to_string() })),
            ));
        }
    }
    report.files_written = write_all(&writes)?;
    Ok(report)
}
