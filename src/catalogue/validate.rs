//! The rules a catalogue must keep. Each broken rule becomes a [`LoadError`] naming
//! the file, the field and the rule, so the server refuses to start on bad data and
//! `cargo test` fails with the same words.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::lifecycle::StoredLifecycle;
use super::{Kind, LoadError, Technology};

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
        if let Some(problem) = blank_problem(text) {
            self.fail(field, problem);
        }
    }

    fn text_list(&mut self, field: &str, items: &[String], required: bool) {
        if required && items.is_empty() {
            self.fail(field, "must list at least one item");
        }
        // Short ASCII lists (all of them, in practice) are compared pairwise; long
        // or non-ASCII ones through a set of lowercased items.
        let pairwise = items.len() <= 32 && items.iter().all(|item| item.is_ascii());
        let mut seen = (!pairwise).then(HashSet::new);
        for (position, item) in items.iter().enumerate() {
            // The field's name is made only for a failure (this runs for every item
            // of every entry at start-up).
            if let Some(problem) = blank_problem(item) {
                self.fail(format!("{field}[{position}]"), problem);
            }
            let repeated = match &mut seen {
                Some(seen) => !seen.insert(lowercase(item)),
                None => items[..position]
                    .iter()
                    .any(|earlier| earlier.eq_ignore_ascii_case(item)),
            };
            if repeated {
                self.fail(
                    format!("{field}[{position}]"),
                    format!("`{item}` is listed twice"),
                );
            }
        }
    }

    /// `field` is made into text only for a failure.
    fn url(&mut self, field: impl std::fmt::Display, url: &str) {
        if !is_https_url(url) {
            self.fail(
                field.to_string(),
                format!("`{url}` is not an absolute https URL"),
            );
        }
    }
}

/// A text lowercased, borrowed when it already is.
fn lowercase(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// True when `license` is a valid SPDX expression; the few distinct expressions
/// of a catalogue are parsed once per thread.
fn valid_license(license: &str) -> Result<(), String> {
    thread_local! {
        static SEEN: std::cell::RefCell<HashMap<String, Result<(), String>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(known) = seen.get(license) {
            return known.clone();
        }
        let verdict = spdx::Expression::parse(license)
            .map(|_| ())
            .map_err(|error| error.to_string());
        seen.insert(license.to_owned(), verdict.clone());
        verdict
    })
}

/// What is wrong with a text that must not be blank, if anything.
fn blank_problem(text: &str) -> Option<&'static str> {
    if text.trim().is_empty() {
        Some("must not be empty")
    } else if text.trim() != text {
        Some("must not start or end with white space")
    } else {
        None
    }
}

/// Checks one entry on its own: required text, slugs, URLs, years.
pub fn entry(file: &str, technology: &Technology) -> Vec<LoadError> {
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
    let named_after_id = file
        .strip_suffix(".json")
        .and_then(|stem| stem.strip_suffix(technology.id.as_str()))
        .is_some_and(|folder| folder.is_empty() || folder.ends_with('/'));
    if !named_after_id {
        let expected_name = format!("{}.json", technology.id);
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
        check.url(format_args!("sources[{position}]"), source);
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
    if let Some(developer) = &technology.developer {
        check.non_blank("developer", developer);
    }
    if let Some(license) = &technology.license
        && let Err(error) = valid_license(license)
    {
        check.fail(
            "license",
            format!("`{license}` is not a valid SPDX license expression: {error}"),
        );
    }
    let identifiers = &technology.identifiers;
    for (position, purl) in identifiers.purl.iter().enumerate() {
        let valid = purl
            .strip_prefix("pkg:")
            .is_some_and(|rest| rest.contains('/'))
            && !purl.contains(['@', '#', ' ']);
        if !valid {
            check.fail(
                format!("identifiers.purl[{position}]"),
                format!(
                    "`{purl}` is not a version-less package URL (pkg:type/name, qualifiers allowed)"
                ),
            );
        }
    }
    for (position, cpe) in identifiers.cpe.iter().enumerate() {
        if !(cpe.starts_with("cpe:2.3:") || cpe.starts_with("cpe:/")) || cpe.contains(' ') {
            check.fail(
                format!("identifiers.cpe[{position}]"),
                format!("`{cpe}` is not a CPE name (cpe:2.3:… or cpe:/…)"),
            );
        }
    }
    if identifiers.linguist.is_some() && technology.kind != Kind::Language {
        check.fail(
            "identifiers.linguist",
            "only languages have a Linguist name",
        );
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

/// Texts laid side by side in one buffer and found by a 64-bit hash: the table
/// holds numbers only, so a lookup reads the text only when its hash matches
/// (across 100,000 entries, following a pointer to each key was most of the
/// time of these checks).
#[derive(Default)]
struct Texts {
    /// Hash of a text to the number of the last text with that hash.
    slots: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    /// All texts, back to back.
    buffer: String,
    /// Where each text ends in `buffer`.
    ends: Vec<u32>,
    /// The text before this one with the same hash, or `u32::MAX`.
    earlier: Vec<u32>,
}

impl Texts {
    fn hash(text: &str) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(text.as_bytes());
        hasher.finish()
    }

    fn text(&self, number: u32) -> &str {
        let number = number as usize;
        let start = if number == 0 {
            0
        } else {
            self.ends[number - 1] as usize
        };
        &self.buffer[start..self.ends[number] as usize]
    }

    /// The number of `text`, whose hash is `hash`, if it is in the table.
    fn number(&self, hash: u64, text: &str) -> Option<u32> {
        let mut candidate = *self.slots.get(&hash)?;
        while candidate != u32::MAX {
            if self.text(candidate) == text {
                return Some(candidate);
            }
            candidate = self.earlier[candidate as usize];
        }
        None
    }

    /// The number of `text`, if it is in the table.
    fn find(&self, text: &str) -> Option<u32> {
        self.number(Texts::hash(text), text)
    }

    /// The number of `text`, and whether it was added now.
    fn find_or_add(&mut self, text: &str) -> (u32, bool) {
        let hash = Texts::hash(text);
        if let Some(number) = self.number(hash, text) {
            return (number, false);
        }
        let number = self.ends.len() as u32;
        self.buffer.push_str(text);
        self.ends.push(self.buffer.len() as u32);
        // The text before it with the same hash, if any, stays reachable.
        self.earlier
            .push(self.slots.insert(hash, number).unwrap_or(u32::MAX));
        (number, true)
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// `text` lowercased into `buffer` (reused from call to call).
fn lowercase_into<'b>(text: &str, buffer: &'b mut String) -> &'b str {
    buffer.clear();
    if text.is_ascii() {
        buffer.push_str(text);
        buffer.make_ascii_lowercase();
    } else {
        buffer.extend(text.chars().flat_map(char::to_lowercase));
    }
    buffer
}

/// What [`unique_names`] learns that [`relations`] needs: each id's number, its
/// entry's kind, and the "alternative to" pairs by id number.
pub struct Names {
    id_numbers: Texts,
    kinds: Vec<Kind>,
    alternatives: HashSet<(u32, u32)>,
}

/// The checks that look at several entries at once are [`unique_names`],
/// [`unique_identifiers`] and [`relations`] (over any split of the entries); a
/// catalogue is valid when these and [`entry`] on each entry find nothing.
///
/// This one: every id, name and alias names one entry only, case-insensitively.
pub fn unique_names(entries: &[(String, Technology)]) -> (Vec<LoadError>, Names) {
    let mut errors = Vec::new();
    let mut lowered = String::new();

    // Every id, name and alias names one entry only, case-insensitively. Field
    // names and messages are made only for a failure.
    let mut names = Texts::default();
    // Per name number, the entry it names.
    let mut named: Vec<u32> = Vec::with_capacity(entries.len() * 3);
    // Ids (exactly as written), their entries' kinds, and the "alternative to"
    // pairs by id number.
    let mut id_numbers = Texts::default();
    let mut kinds: Vec<Kind> = Vec::with_capacity(entries.len());
    for (index, (file, technology)) in entries.iter().enumerate() {
        let keys = [&technology.id, &technology.name]
            .into_iter()
            .chain(&technology.aliases);
        for (key_index, key) in keys.enumerate() {
            let (number, added) = names.find_or_add(lowercase_into(key, &mut lowered));
            if added {
                named.push(index as u32);
            }
            let owner = &entries[named[number as usize] as usize].1.id;
            if *owner == technology.id {
                continue; // this entry's (a name equal to the id is fine)
            }
            errors.push(LoadError {
                file: file.clone(),
                field: match key_index {
                    0 => "id".to_owned(),
                    1 => "name".to_owned(),
                    alias => format!("aliases[{}]", alias - 2),
                },
                message: format!("`{}` already names the entry `{owner}` (ids, names and aliases are unique, case-insensitively)", names.text(number)),
            });
        }
        if id_numbers.find_or_add(&technology.id).1 {
            kinds.push(technology.kind);
        }
    }
    let alternatives: HashSet<(u32, u32)> = entries
        .iter()
        .filter(|(_, t)| !t.relations.alternative_to.is_empty())
        .flat_map(|(_, t)| {
            let own = id_numbers.find(&t.id);
            let id_numbers = &id_numbers;
            t.relations
                .alternative_to
                .iter()
                .filter_map(move |other| Some((own?, id_numbers.find(other)?)))
        })
        .collect();
    let names = Names {
        id_numbers,
        kinds,
        alternatives,
    };
    (errors, names)
}

/// Identifiers (purl, CPE, endoflife.date, Linguist) name one entry only.
pub fn unique_identifiers(entries: &[(String, Technology)]) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let mut identifier_owners: HashMap<(&str, Cow<'_, str>), &str> = HashMap::new();
    for (file, technology) in entries {
        let ids = &technology.identifiers;
        let keyed = ids
            .purl
            .iter()
            .enumerate()
            .map(|(p, v)| ("purl", Some(p), v))
            .chain(ids.cpe.iter().enumerate().map(|(p, v)| ("cpe", Some(p), v)))
            .chain(ids.endoflife.iter().map(|v| ("endoflife", None, v)))
            .chain(ids.linguist.iter().map(|v| ("linguist", None, v)));
        for (scheme, position, value) in keyed {
            match identifier_owners.insert((scheme, lowercase(value)), &technology.id) {
                Some(owner) if owner != technology.id => errors.push(LoadError {
                    file: file.clone(),
                    field: match position {
                        Some(position) => format!("identifiers.{scheme}[{position}]"),
                        None => format!("identifiers.{scheme}"),
                    },
                    message: format!("`{value}` already identifies the entry `{owner}`"),
                }),
                _ => {}
            }
        }
    }

    errors
}

/// The relations of `entries` (any of the checked entries, as [`unique_names`]
/// numbered their ids) resolve to ids of the right kind, without
/// self-edges or repeats; "alternative to" goes both ways.
pub fn relations(entries: &[(String, Technology)], names: &Names) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let Names {
        id_numbers,
        kinds,
        alternatives,
    } = names;
    for (file, technology) in entries {
        for (relation, targets) in relation_lists(technology) {
            let expected: &[Kind] = match relation {
                "written_in" | "for_language" => &[Kind::Language],
                "runs_on" => &[Kind::Runtime, Kind::Platform, Kind::Container],
                _ => &[],
            };
            for (position, target) in targets.iter().enumerate() {
                let found = id_numbers.find(target);
                let message = if target == &technology.id {
                    Some(format!("`{target}` points at the entry itself"))
                } else if found.is_none() {
                    Some(format!("`{target}` is not the id of any entry"))
                } else if targets[..position].contains(target) {
                    Some(format!("`{target}` is listed twice"))
                } else if let Some(kind) = found.map(|n| kinds[n as usize])
                    && !expected.is_empty()
                    && !expected.contains(&kind)
                {
                    let names: Vec<&str> = expected.iter().map(|k| k.as_str()).collect();
                    Some(format!(
                        "`{target}` is a {}, but `{relation}` points at a {}",
                        kind.as_str(),
                        names.join(" or ")
                    ))
                } else if relation == "alternative_to"
                    && !found
                        .zip(id_numbers.find(&technology.id))
                        .is_some_and(|pair| alternatives.contains(&pair))
                {
                    Some(format!(
                        "`{target}` does not list `{}` as an alternative in return (the relation is symmetric)",
                        technology.id
                    ))
                } else {
                    None
                };
                if let Some(message) = message {
                    errors.push(LoadError {
                        file: file.clone(),
                        field: format!("relations.{relation}[{position}]"),
                        message,
                    });
                }
            }
        }
    }
    errors
}

/// Checks lifecycle files against the entries that name them: each named product
/// has a file, each file is named by an entry, and each cycle's milestones are in
/// order.
pub fn lifecycles(
    entries: &[(String, Technology)],
    lifecycles: &[(String, StoredLifecycle)],
) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let mut products: HashMap<&str, &str> = HashMap::new();
    for (file, lifecycle) in lifecycles {
        let expected = format!("{}.json", lifecycle.product);
        if !file.ends_with(&format!("/{expected}")) && *file != expected {
            errors.push(LoadError {
                file: file.clone(),
                field: "product".to_owned(),
                message: format!(
                    "must match the file name (expected the file to be named {expected})"
                ),
            });
        }
        if products.insert(&lifecycle.product, file).is_some() {
            errors.push(LoadError {
                file: file.clone(),
                field: "product".to_owned(),
                message: format!("`{}` has two lifecycle files", lifecycle.product),
            });
        }
        let mut cycles = HashSet::new();
        for (position, cycle) in lifecycle.releases.iter().enumerate() {
            if !cycles.insert(cycle.cycle.as_str()) {
                errors.push(LoadError {
                    file: file.clone(),
                    field: format!("releases[{position}].cycle"),
                    message: format!("`{}` is listed twice", cycle.cycle),
                });
            }
            for (field, message) in cycle.check() {
                errors.push(LoadError {
                    file: file.clone(),
                    field: format!("releases[{position}].{field}"),
                    message,
                });
            }
        }
    }
    let mut named = HashSet::new();
    for (file, technology) in entries {
        if let Some(product) = &technology.identifiers.endoflife {
            named.insert(product.as_str());
            if !products.contains_key(product.as_str()) {
                errors.push(LoadError {
                    file: file.clone(),
                    field: "identifiers.endoflife".to_owned(),
                    message: format!("no lifecycle file data/lifecycle/{product}.json holds this product's release cycles"),
                });
            }
        }
    }
    for (file, lifecycle) in lifecycles {
        if !named.contains(lifecycle.product.as_str()) {
            errors.push(LoadError {
                file: file.clone(),
                field: "product".to_owned(),
                message: format!(
                    "no technology names `{}` in identifiers.endoflife",
                    lifecycle.product
                ),
            });
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
