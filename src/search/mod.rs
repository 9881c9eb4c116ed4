//! Ranked search over the catalogue. This module owns how a query string becomes an
//! ordered list of hits; the API only asks it and paginates what it answers.
//!
//! This first engine scores substring matches per field (name above aliases above
//! tags above summary above description); it is meant to be replaced behind the same
//! [`Index`] boundary.

use crate::catalogue::Catalogue;

/// Where a query word matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The entry's name or id.
    Name,
    /// One of its aliases.
    Aliases,
    /// One of its tags.
    Tags,
    /// Its one-sentence summary.
    Summary,
    /// Its description.
    Description,
}

impl Field {
    /// The field's name in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Aliases => "aliases",
            Field::Tags => "tags",
            Field::Summary => "summary",
            Field::Description => "description",
        }
    }
}

/// One matching entry: its position in [`Catalogue::technologies`] and its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position of the entry in the catalogue's name-sorted list.
    pub position: usize,
    /// Higher is better.
    pub score: u32,
    /// The fields any query word matched, strongest first.
    pub matched_fields: Vec<Field>,
}

struct Document {
    name: String,
    id: String,
    aliases: Vec<String>,
    tags: Vec<String>,
    summary: String,
    description: String,
}

/// The search index of one catalogue snapshot.
pub struct Index {
    documents: Vec<Document>,
}

fn normalise(text: &str) -> String {
    text.to_lowercase()
}

impl Index {
    /// Builds the index for a catalogue.
    pub fn build(catalogue: &Catalogue) -> Index {
        let documents = catalogue
            .technologies()
            .iter()
            .map(|t| Document {
                name: normalise(&t.name),
                id: t.id.clone(),
                aliases: t.aliases.iter().map(|a| normalise(a)).collect(),
                tags: t.tags.iter().map(|a| normalise(a)).collect(),
                summary: normalise(&t.summary),
                description: normalise(&t.description),
            })
            .collect();
        Index { documents }
    }

    /// Ranks the entries matching `query`, best first; ties keep name order.
    pub fn search(&self, query: &str) -> Vec<Hit> {
        let query = normalise(query.trim());
        let words: Vec<&str> = query.split_whitespace().collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<Hit> = self
            .documents
            .iter()
            .enumerate()
            .filter_map(|(position, doc)| {
                score(doc, &query, &words).map(|(score, matched_fields)| Hit {
                    position,
                    score,
                    matched_fields,
                })
            })
            .collect();
        hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.position.cmp(&b.position)));
        hits
    }
}

fn score(doc: &Document, query: &str, words: &[&str]) -> Option<(u32, Vec<Field>)> {
    let mut total = 0;
    let mut matched_words = 0;
    let mut fields = Vec::new();
    // The whole query naming the entry beats everything else.
    if doc.name == query || doc.id == query {
        total += 10_000;
        fields.push(Field::Name);
    } else if doc.aliases.iter().any(|a| a == query) {
        total += 5_000;
        fields.push(Field::Aliases);
    }
    for word in words {
        let mut best = 0;
        let mut field = None;
        let candidates = [
            (
                Field::Name,
                doc.name.split_whitespace().any(|w| w == *word) || doc.id == *word,
                400,
                doc.name.contains(word),
                100,
            ),
            (
                Field::Aliases,
                doc.aliases.iter().any(|a| a == word),
                200,
                doc.aliases.iter().any(|a| a.contains(word)),
                50,
            ),
            (
                Field::Tags,
                doc.tags.iter().any(|t| t == word),
                60,
                doc.tags.iter().any(|t| t.contains(word)),
                20,
            ),
            (Field::Summary, false, 0, doc.summary.contains(word), 10),
            (
                Field::Description,
                false,
                0,
                doc.description.contains(word),
                3,
            ),
        ];
        for (name, exact, exact_score, partial, partial_score) in candidates {
            let value = if exact {
                exact_score
            } else if partial {
                partial_score
            } else {
                0
            };
            if value > best {
                best = value;
                field = Some(name);
            }
        }
        if let Some(field) = field {
            matched_words += 1;
            total += best;
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
    }
    if matched_words == 0 {
        return None;
    }
    fields.sort();
    Some((matched_words * 100_000 + total, fields))
}
