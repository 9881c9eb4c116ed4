//! The rules a catalogue must keep. Each broken rule becomes a [`LoadError`] naming
//! the file, the field and the rule, so the server refuses to start on bad data and
//! `cargo test` fails with the same words.

use std::collections::{HashMap, HashSet};

use super::{LoadError, Technology};

/// Lowest year accepted as a first release.
const EARLIEST_YEAR: u16 = 1950;
/// Highest year accepted as a first release.
const LATEST_YEAR: u16 = 2100;

/// True for a lowercase slug: `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True for an absolute https URL with a host and no white space.
pub fn is_https_url(text: &str) -> bool {
    text.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && host.contains('.') && !text.chars().any(char::is_whitespace)
    })
}

struct Checker<'a> {
    file: &'a str,
    errors: Vec<LoadError>,
}

impl Checker<'_> {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(LoadError {
            file: self.file.to_owned(),
            field: field.into(),
            message: message.into(),
        });
    }

    fn non_blank(&mut self, field: &str, text: &str) {
        if text.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if text.trim() != text {
            self.fail(field, "must not start or end with white space");
        }
    }

    fn text_list(&mut self, field: &str, items: &[String], required: bool) {
        if required && items.is_empty() {
            self.fail(field, "must list at least one item");
        }
        let mut seen = HashSet::new();
        for (position, item) in items.iter().enumerate() {
            self.non_blank(&format!("{field}[{position}]"), item);
            if !seen.insert(item.to_lowercase()) {
                self.fail(
                    format!("{field}[{position}]"),
                    format!("`{item}` is listed twice"),
                );
            }
        }
    }

    fn url(&mut self, field: &str, url: &str) {
        if !is_https_url(url) {
            self.fail(field, format!("`{url}` is not an absolute https URL"));
        }
    }
}

/// Checks one entry on its own: required text, slugs, URLs, years.
fn entry(file: &str, technology: &Technology) -> Vec<LoadError> {
    let mut check = Checker {
        file,
        errors: Vec::new(),
    };
    if !is_slug(&technology.id) {
        check.fail(
            "id",
            format!(
                "`{}` is not a lowercase slug ([a-z0-9]+(-[a-z0-9]+)*)",
                technology.id
            ),
        );
    }
    let expected_name = format!("{}.json", technology.id);
    if !file.ends_with(&format!("/{expected_name}")) && file != expected_name {
        check.fail(
            "id",
            format!("must match the file name (expected the file to be named {expected_name})"),
        );
    }
    check.non_blank("name", &technology.name);
    check.non_blank("summary", &technology.summary);
    check.non_blank("description", &technology.description);
    check.text_list("aliases", &technology.aliases, false);
    check.text_list("strengths", &technology.strengths, true);
    check.text_list("weaknesses", &technology.weaknesses, true);
    check.text_list("use_cases", &technology.use_cases, true);
    check.text_list("tags", &technology.tags, true);
    for (position, tag) in technology.tags.iter().enumerate() {
        if !is_slug(tag) {
            check.fail(
                format!("tags[{position}]"),
                format!("`{tag}` is not a lowercase slug"),
            );
        }
    }
    check.text_list("sources", &technology.sources, true);
    for (position, source) in technology.sources.iter().enumerate() {
        check.url(&format!("sources[{position}]"), source);
    }
    for (field, value) in [
        ("website", &technology.website),
        ("repository", &technology.repository),
        ("documentation", &technology.documentation),
    ] {
        if let Some(url) = value {
            check.url(field, url);
        }
    }
    for (field, value) in [
        ("license", &technology.license),
        ("developer", &technology.developer),
    ] {
        if let Some(text) = value {
            check.non_blank(field, text);
        }
    }
    if let Some(year) = technology.first_released
        && !(EARLIEST_YEAR..=LATEST_YEAR).contains(&year)
    {
        check.fail(
            "first_released",
            format!("{year} is not a plausible year ({EARLIEST_YEAR}-{LATEST_YEAR})"),
        );
    }
    for (alias_position, alias) in technology.aliases.iter().enumerate() {
        if alias.eq_ignore_ascii_case(&technology.id) {
            check.fail(
                format!("aliases[{alias_position}]"),
                "repeats the entry's own id",
            );
        }
    }
    check.errors
}

/// Checks the whole catalogue: every entry, then what spans entries (unique ids,
/// names and aliases; relations that resolve).
pub fn catalogue(entries: &[(String, Technology)]) -> Vec<LoadError> {
    let mut errors: Vec<LoadError> = entries
        .iter()
        .flat_map(|(file, technology)| entry(file, technology))
        .collect();

    // Every id, name and alias names one entry only, case-insensitively.
    let mut owners: HashMap<String, &str> = HashMap::new();
    for (file, technology) in entries {
        let mut keys = vec![("id".to_owned(), technology.id.clone())];
        keys.push(("name".to_owned(), technology.name.clone()));
        keys.extend(
            technology
                .aliases
                .iter()
                .enumerate()
                .map(|(position, alias)| (format!("aliases[{position}]"), alias.clone())),
        );
        let mut own = HashSet::new();
        for (field, key) in keys {
            let key = key.to_lowercase();
            if !own.insert(key.clone()) {
                continue; // a name equal to the id is fine within one entry
            }
            match owners.get(key.as_str()) {
                Some(owner) if *owner != technology.id => errors.push(LoadError {
                    file: file.clone(),
                    field,
                    message: format!("`{key}` already names the entry `{owner}` (ids, names and aliases are unique, case-insensitively)"),
                }),
                _ => {
                    owners.insert(key, &technology.id);
                }
            }
        }
    }

    // Relations resolve to ids, without self-edges or repeats.
    let ids: HashSet<&str> = entries.iter().map(|(_, t)| t.id.as_str()).collect();
    for (file, technology) in entries {
        for (relation, targets) in relation_lists(technology) {
            let mut seen = HashSet::new();
            for (position, target) in targets.iter().enumerate() {
                let field = format!("relations.{relation}[{position}]");
                let message = if target == &technology.id {
                    Some(format!("`{target}` points at the entry itself"))
                } else if !ids.contains(target.as_str()) {
                    Some(format!("`{target}` is not the id of any entry"))
                } else if !seen.insert(target) {
                    Some(format!("`{target}` is listed twice"))
                } else {
                    None
                };
                if let Some(message) = message {
                    errors.push(LoadError {
                        file: file.clone(),
                        field,
                        message,
                    });
                }
            }
        }
    }
    errors
}

/// The relation lists of an entry with their field names.
pub fn relation_lists(technology: &Technology) -> [(&'static str, &Vec<String>); 6] {
    let r = &technology.relations;
    [
        ("written_in", &r.written_in),
        ("for_language", &r.for_language),
        ("runs_on", &r.runs_on),
        ("built_on", &r.built_on),
        ("alternative_to", &r.alternative_to),
        ("used_with", &r.used_with),
    ]
}
