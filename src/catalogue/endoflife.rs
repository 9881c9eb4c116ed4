//! endoflife.date's product data as the refresh reads it: the YAML front matter of
//! a checkout's `products/*.md`, or a folder of `<product>.yml` files, parsed into
//! products (title, identifiers, release cycles), every problem named by file and
//! field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::lifecycle::{Date, Milestone, StoredCycle};
use super::{LoadError, LoadErrors};

pub(super) fn error(file: &Path, field: &str, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.display().to_string(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// One endoflife.date product as read from its front matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Product {
    pub(super) title: Option<String>,
    pub(super) purl: Vec<String>,
    pub(super) cpe: Vec<String>,
    pub(super) repology: Vec<String>,
    pub(super) releases: Vec<StoredCycle>,
}

/// Reads every product of an endoflife.date checkout (`products/*.md`) or of a
/// folder of front matter files (`*.yml`, `*.yaml`), by slug.
pub(super) fn read_products(input: &Path) -> Result<BTreeMap<String, Product>, LoadErrors> {
    let products_dir = input.join("products");
    let (dir, extensions): (&Path, &[&str]) = if products_dir.is_dir() {
        (&products_dir, &["md"])
    } else {
        (input, &["yml", "yaml"])
    };
    let listing = std::fs::read_dir(dir)
        .map_err(|e| LoadErrors(vec![error(dir, "", format!("cannot list the folder: {e}"))]))?;
    let mut paths: Vec<PathBuf> = listing
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| extensions.contains(&ext))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(LoadErrors(vec![error(
            dir,
            "",
            format!("no product files ({}) in the folder", extensions.join(", ")),
        )]));
    }
    let mut products = BTreeMap::new();
    let mut errors = Vec::new();
    for path in paths {
        let Some(slug) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_product(&path, &text) {
                Ok(product) => {
                    products.insert(slug, product);
                }
                Err(mut problems) => errors.append(&mut problems),
            },
            Err(e) => errors.push(error(&path, "", format!("cannot read the file: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(products)
    } else {
        Err(LoadErrors(errors))
    }
}

/// The YAML front matter of a product file: between the first two `---` lines, or
/// the whole file when it does not start with one.
fn front_matter(text: &str) -> &str {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return text;
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return &rest[..offset];
        }
        offset += line.len();
    }
    rest
}

fn parse_product(path: &Path, text: &str) -> Result<Product, Vec<LoadError>> {
    let document: Value = serde_norway::from_str(front_matter(text))
        .map_err(|e| vec![error(path, "", format!("invalid YAML front matter: {e}"))])?;
    let Value::Object(document) = document else {
        return Err(vec![error(path, "", "the front matter is not a mapping")]);
    };
    let mut errors = Vec::new();
    let mut product = Product {
        title: document
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned),
        purl: Vec::new(),
        cpe: Vec::new(),
        repology: Vec::new(),
        releases: Vec::new(),
    };
    match document.get("identifiers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(identifiers)) => {
            for (i, identifier) in identifiers.iter().enumerate() {
                let field = format!("identifiers[{i}]");
                let Some((key, value)) = identifier
                    .as_object()
                    .filter(|map| map.len() == 1)
                    .and_then(|map| map.iter().next())
                else {
                    errors.push(error(path, &field, "expected one `key: value` pair"));
                    continue;
                };
                let Some(value) = value.as_str() else {
                    errors.push(error(path, &format!("{field}.{key}"), "expected a string"));
                    continue;
                };
                match key.as_str() {
                    "purl" => product.purl.push(value.to_owned()),
                    "cpe" => product.cpe.push(value.to_owned()),
                    "repology" => product.repology.push(value.to_owned()),
                    _ => {} // other identifier schemes are not copied
                }
            }
        }
        Some(_) => errors.push(error(path, "identifiers", "expected a list")),
    }
    match document.get("releases") {
        Some(Value::Array(releases)) => {
            for (i, release) in releases.iter().enumerate() {
                match parse_cycle(path, &format!("releases[{i}]"), release) {
                    Ok(cycle) => product.releases.push(cycle),
                    Err(mut problems) => errors.append(&mut problems),
                }
            }
        }
        Some(_) => errors.push(error(path, "releases", "expected a list")),
        None => errors.push(error(path, "releases", "missing")),
    }
    if errors.is_empty() {
        Ok(product)
    } else {
        Err(errors)
    }
}

fn parse_cycle(path: &Path, at: &str, release: &Value) -> Result<StoredCycle, Vec<LoadError>> {
    let Some(release) = release.as_object() else {
        return Err(vec![error(path, at, "expected a mapping")]);
    };
    let mut errors = Vec::new();
    let mut text = |key: &str, required: bool| -> Option<String> {
        match release.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            // endoflife.date leaves some optional texts empty (`codename: ""`).
            Some(Value::String(_)) | None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                errors.push(error(path, &format!("{at}.{key}"), "missing"));
                None
            }
            Some(other) => {
                errors.push(error(
                    path,
                    &format!("{at}.{key}"),
                    format!("expected a string, got {other}"),
                ));
                None
            }
        }
    };
    let cycle = text("releaseCycle", true);
    let codename = text("codename", false);
    let latest = text("latest", false);
    let mut date = |key: &str, required: bool| -> Option<Date> {
        match release.get(key) {
            Some(Value::String(s)) => Date::parse(s).or_else(|| {
                errors.push(error(
                    path,
                    &format!("{at}.{key}"),
                    format!("`{s}` is not a date (YYYY-MM-DD)"),
                ));
                None
            }),
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                errors.push(error(
                    path,
                    &format!("{at}.{key}"),
                    "missing: a cycle needs its release date",
                ));
                None
            }
            Some(other) => {
                errors.push(error(
                    path,
                    &format!("{at}.{key}"),
                    format!("expected a date, got {other}"),
                ));
                None
            }
        }
    };
    let release_date = date("releaseDate", true);
    let latest_release_date = date("latestReleaseDate", false);
    let mut milestone = |key: &str| -> Option<Milestone> {
        match release.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(reached)) => Some(Milestone::Reached(*reached)),
            Some(Value::String(s)) => match Date::parse(s) {
                Some(day) => Some(Milestone::On(day)),
                None => {
                    errors.push(error(
                        path,
                        &format!("{at}.{key}"),
                        format!("`{s}` is neither a date (YYYY-MM-DD) nor true/false"),
                    ));
                    None
                }
            },
            Some(other) => {
                errors.push(error(
                    path,
                    &format!("{at}.{key}"),
                    format!("expected a date or true/false, got {other}"),
                ));
                None
            }
        }
    };
    let lts = milestone("lts");
    let end_of_active_support = milestone("eoas");
    let end_of_life = milestone("eol");
    let end_of_extended_support = milestone("eoes");
    match (cycle, release_date) {
        (Some(cycle), Some(release_date)) if errors.is_empty() => Ok(StoredCycle {
            cycle,
            codename,
            release_date,
            lts,
            end_of_active_support,
            end_of_life,
            end_of_extended_support,
            latest,
            latest_release_date,
        }),
        _ => Err(errors),
    }
}
