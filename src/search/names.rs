//! Names as people type them: a second, small FST over every name, alias and id
//! (whole, run together, and from each later word on), for completions and for
//! telling when a query *is* an entry's name.
//!
//! Completions of one to three characters come from a table computed at build
//! time (they would otherwise walk a large part of the dictionary); longer ones
//! walk the FST, first for exact prefixes, then, only when those leave room,
//! through a Levenshtein automaton for one typo, and, only when nothing lies within
//! one typo, for two (as Typesense's `typo_tokens_threshold` does by default).

use fst::{Map, MapBuilder};

use super::hash::WordMap;
use super::query::{Rules, swapped, typo_budget};
use super::tokenizer::{self, Compound};
use super::typo::TypoAutomata;
use crate::catalogue::Technology;

/// Most completions answered.
pub const MAX_SUGGESTIONS: usize = 10;
/// Completions of up to this many characters come from the precomputed table.
const SHORT_PREFIX: usize = 3;
/// Name keys scanned for one completion before the scan stops.
const SCAN_LIMIT: usize = 4096;

/// Where in an entry's names a key starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Place {
    /// At the start of its name.
    Name = 0,
    /// At the start of an alias or of its id.
    Alias = 1,
    /// At a later word of its name or an alias (`rails` in `ruby on rails`).
    Word = 2,
}

/// The name keys of a catalogue.
pub struct Names {
    keys: Map<Vec<u8>>,
    /// `entries[key_entries[k]..key_entries[k + 1]]` hold key `k`'s documents.
    key_entries: Vec<u32>,
    /// `document << 2 | place`, one per document and key, best place kept.
    entries: Vec<u32>,
    /// Best completions of every prefix of up to [`SHORT_PREFIX`] characters.
    short: WordMap<Box<str>, Box<[u32]>>,
}

/// Sort key of a completion: lower is better.
fn completion_rank(typos: u8, exact: bool, place: u32, importance: u32, document: u32) -> u64 {
    (u64::from(typos) << 58)
        | (u64::from(!exact) << 57)
        | (u64::from(place) << 55)
        | (u64::from(u16::MAX - importance.min(u32::from(u16::MAX)) as u16) << 32)
        | u64::from(document)
}

fn document_of(rank: u64) -> u32 {
    rank as u32
}

impl Names {
    /// Collects the keys of every entry.
    pub fn build(technologies: &[Technology], importance: &[u32]) -> Names {
        let mut keyed: Vec<(String, u32)> = Vec::with_capacity(technologies.len() * 8);
        let mut compound = Compound::default();
        let mut literals: Vec<String> = Vec::new();
        for (document, technology) in technologies.iter().enumerate() {
            let document = document as u32;
            let names = std::iter::once((technology.name.as_str(), Place::Name))
                .chain(
                    technology
                        .aliases
                        .iter()
                        .map(|a| (a.as_str(), Place::Alias)),
                )
                .chain(std::iter::once((technology.id.as_str(), Place::Alias)));
            for (text, place) in names {
                literals.clear();
                let mut joined = String::new();
                tokenizer::compounds(text, &mut compound, |c| {
                    let mut literal = String::new();
                    c.write_literal(&mut literal);
                    literals.push(literal);
                    c.write_joined(&mut joined);
                });
                if literals.is_empty() {
                    continue;
                }
                let entry = |place: Place| (document << 2) | place as u32;
                keyed.push((literals.join(" "), entry(place)));
                keyed.push((joined, entry(place)));
                for first in 1..literals.len() {
                    keyed.push((literals[first..].join(" "), entry(Place::Word)));
                }
            }
        }
        keyed.sort_unstable();
        keyed.dedup_by(|next, kept| next.0 == kept.0 && next.1 >> 2 == kept.1 >> 2);

        let mut builder = MapBuilder::memory();
        let mut key_entries = Vec::new();
        let mut entries = Vec::with_capacity(keyed.len());
        let mut short = ShortTable::default();
        let mut index = 0;
        while index < keyed.len() {
            let key = keyed[index].0.as_str();
            let end = index + keyed[index..].iter().take_while(|(k, _)| k == key).count();
            // Keys are sorted and distinct: a failure is a bug, reported as one.
            if let Err(error) = builder.insert(key, key_entries.len() as u64) {
                panic!("the name keys refused `{key}` (keys must come sorted): {error}");
            }
            key_entries.push(entries.len() as u32);
            for (_, entry) in &keyed[index..end] {
                entries.push(*entry);
            }
            short.add(key, &keyed[index..end], importance);
            index = end;
        }
        key_entries.push(entries.len() as u32);
        let keys = builder
            .into_inner()
            .and_then(Map::new)
            .unwrap_or_else(|error| panic!("the name keys did not build: {error}"));
        Names {
            keys,
            key_entries,
            entries,
            short: short.finish(),
        }
    }

    fn key_documents(&self, key: u64) -> &[u32] {
        let key = key as usize;
        &self.entries[self.key_entries[key] as usize..self.key_entries[key + 1] as usize]
    }

    /// Pushes onto `out` the documents whose name, an alias or id equals `key`.
    pub fn named(&self, key: &str, out: &mut Vec<u32>) {
        if let Some(found) = self.keys.get(key) {
            for entry in self.key_documents(found) {
                if entry & 3 != Place::Word as u32 && !out.contains(&(entry >> 2)) {
                    out.push(entry >> 2);
                }
            }
        }
    }

    /// Up to `limit` documents whose names complete `query`, best first: fewest
    /// typos, then a whole-name match, then where the match starts (name, alias or
    /// id, later word), then the most related-to entry, then catalogue order.
    pub fn suggest(
        &self,
        query: &str,
        limit: usize,
        typos: &TypoAutomata,
        importance: &[u32],
    ) -> Vec<usize> {
        let key = tokenizer::spaced_key(query);
        let limit = limit.min(MAX_SUGGESTIONS);
        if key.is_empty() || limit == 0 {
            return Vec::new();
        }
        if key.chars().count() <= SHORT_PREFIX {
            let short = |key: &str| -> Vec<usize> {
                self.short
                    .get(key)
                    .map(|documents| documents.iter().take(limit).map(|&d| d as usize).collect())
                    .unwrap_or_default()
            };
            let found = short(&key);
            if !found.is_empty() || !Rules::Relaxed.swaps(&key) {
                return found;
            }
            // Nothing starts so: the relaxed rules' swap of two adjacent letters,
            // swaps that make a whole name first (`gni`: Gin before nginx).
            let mut swaps = swapped(&key);
            swaps.sort_by_key(|swapped| self.keys.get(swapped).is_none());
            let mut out: Vec<usize> = Vec::new();
            for swapped in swaps {
                for document in short(&swapped) {
                    if out.len() < limit && !out.contains(&document) {
                        out.push(document);
                    }
                }
            }
            return out;
        }
        let exact = self.keys.get(&key);
        let mut ranked: Vec<u64> = Vec::new();
        let mut scanned = 0;
        typos.prefix_ranges(&self.keys, &key, 0, |first, last, _| {
            self.rank_keys(
                first..=last,
                0,
                exact,
                importance,
                &mut scanned,
                &mut ranked,
            )
        });
        // One typo when the exact prefixes leave room; two (long texts) only when
        // nothing lies within one.
        let max_typos = typo_budget(&key);
        if max_typos > 0 && !has_distinct(&ranked, limit) {
            self.rank_typos(
                &key,
                1,
                Rules::Normal,
                exact,
                typos,
                importance,
                &mut ranked,
            );
        }
        if max_typos > 1 && ranked.is_empty() {
            self.rank_typos(
                &key,
                2,
                Rules::Normal,
                exact,
                typos,
                importance,
                &mut ranked,
            );
        }
        // Nothing completes it: the relaxed rules, one typo from 4 characters, on
        // the first letter too (two from 9 when nothing lies within one).
        for typos_allowed in 1..=Rules::Relaxed.budget(&key) {
            if !ranked.is_empty() {
                break;
            }
            self.rank_typos(
                &key,
                typos_allowed,
                Rules::Relaxed,
                exact,
                typos,
                importance,
                &mut ranked,
            );
        }
        best_distinct(&mut ranked, limit)
    }

    /// Ranks the keys `typos` typos from `key` as a prefix, counting the closer
    /// ones (ranked already by the earlier passes) towards the scan's limit.
    #[expect(
        clippy::too_many_arguments,
        reason = "the state of one completion pass"
    )]
    fn rank_typos(
        &self,
        key: &str,
        typos: u8,
        rules: Rules,
        exact: Option<u64>,
        automata: &TypoAutomata,
        importance: &[u32],
        ranked: &mut Vec<u64>,
    ) {
        let mut scanned = 0;
        let visit = |first: u64, last: u64, distance: u8| {
            if distance < typos {
                let last = last.min(first + (SCAN_LIMIT - scanned) as u64 - 1);
                scanned += (last + 1 - first) as usize;
                return scanned < SCAN_LIMIT;
            }
            self.rank_keys(
                first..=last,
                distance,
                exact,
                importance,
                &mut scanned,
                ranked,
            )
        };
        if rules.first_letter_free() {
            automata.prefix_ranges_anywhere(&self.keys, key, typos, visit);
        } else {
            automata.prefix_ranges(&self.keys, key, typos, visit);
        }
    }

    /// Pushes onto `ranked` the completion ranks of the documents of the keys
    /// numbered `keys` (as many as the scan's limit leaves); answers whether the
    /// scan may go on.
    fn rank_keys(
        &self,
        keys: std::ops::RangeInclusive<u64>,
        typos: u8,
        exact: Option<u64>,
        importance: &[u32],
        scanned: &mut usize,
        ranked: &mut Vec<u64>,
    ) -> bool {
        let (first, last) = keys.into_inner();
        let last = last.min(first + (SCAN_LIMIT - *scanned) as u64 - 1);
        *scanned += (last + 1 - first) as usize;
        for key in first..=last {
            let exact = exact == Some(key);
            for &entry in self.key_documents(key) {
                let document = entry >> 2;
                ranked.push(completion_rank(
                    typos,
                    exact,
                    entry & 3,
                    importance.get(document as usize).copied().unwrap_or(0),
                    document,
                ));
            }
        }
        *scanned < SCAN_LIMIT
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.as_fst().as_bytes().len()
            + self.key_entries.capacity() * 4
            + self.entries.capacity() * 4
            + self
                .short
                .iter()
                .map(|(k, v)| k.len() + v.len() * 4 + 48)
                .sum::<usize>()
    }
}

/// Keeps the best rank of each document; returns how many documents remain.
fn distinct_documents(ranked: &mut Vec<u64>) -> usize {
    ranked.sort_unstable_by_key(|&r| (document_of(r), r));
    ranked.dedup_by_key(|r| document_of(*r));
    ranked.len()
}

/// True when `ranked` holds at least `limit` distinct documents.
fn has_distinct(ranked: &[u64], limit: usize) -> bool {
    let mut seen: Vec<u32> = Vec::with_capacity(limit);
    for &rank in ranked {
        if !seen.contains(&document_of(rank)) {
            seen.push(document_of(rank));
            if seen.len() >= limit {
                return true;
            }
        }
    }
    seen.len() >= limit
}

/// The `limit` documents of best rank in `ranked`, each at its best rank, best
/// first. Only the best ranks are sorted when they hold enough distinct documents.
fn best_distinct(ranked: &mut [u64], limit: usize) -> Vec<usize> {
    let pick = |sorted: &[u64]| {
        let mut out: Vec<usize> = Vec::with_capacity(limit);
        for &rank in sorted {
            let document = document_of(rank) as usize;
            if !out.contains(&document) {
                out.push(document);
                if out.len() == limit {
                    break;
                }
            }
        }
        out
    };
    let head = 4 * limit;
    if ranked.len() > head {
        ranked.select_nth_unstable(head - 1);
        ranked[..head].sort_unstable();
        let out = pick(&ranked[..head]);
        if out.len() == limit {
            return out;
        }
    }
    ranked.sort_unstable();
    pick(ranked)
}

/// Builds the table of short-prefix completions, one prefix length at a time, from
/// keys visited in byte order (so every prefix's keys arrive together).
#[derive(Default)]
struct ShortTable {
    table: WordMap<Box<str>, Box<[u32]>>,
    open: [(String, Vec<u64>); SHORT_PREFIX],
}

impl ShortTable {
    fn add(&mut self, key: &str, entries: &[(String, u32)], importance: &[u32]) {
        for length in 1..=SHORT_PREFIX {
            let Some((end, _)) = key.char_indices().nth(length - 1) else {
                break;
            };
            let end = end + key[end..].chars().next().map_or(0, char::len_utf8);
            let prefix = &key[..end];
            if self.open[length - 1].0 != prefix {
                self.flush(length - 1);
                self.open[length - 1].0 = prefix.to_owned();
            }
            let exact = end == key.len();
            let ranked = &mut self.open[length - 1].1;
            for (_, entry) in entries {
                let document = entry >> 2;
                let importance = importance.get(document as usize).copied().unwrap_or(0);
                ranked.push(completion_rank(0, exact, entry & 3, importance, document));
            }
            if ranked.len() > 8 * MAX_SUGGESTIONS {
                keep_best(ranked);
            }
        }
    }

    fn flush(&mut self, slot: usize) {
        let (prefix, ranked) = &mut self.open[slot];
        if !prefix.is_empty() {
            keep_best(ranked);
            let documents: Box<[u32]> = ranked.iter().map(|&r| document_of(r)).collect();
            self.table.insert(prefix.as_str().into(), documents);
        }
        prefix.clear();
        ranked.clear();
    }

    fn finish(mut self) -> WordMap<Box<str>, Box<[u32]>> {
        for slot in 0..SHORT_PREFIX {
            self.flush(slot);
        }
        self.table
    }
}

/// Keeps the best [`MAX_SUGGESTIONS`] distinct documents, best first.
fn keep_best(ranked: &mut Vec<u64>) {
    distinct_documents(ranked);
    ranked.sort_unstable();
    ranked.truncate(MAX_SUGGESTIONS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Catalogue, synthetic};

    /// Completions as the walk key by key finds them: every key visited on its own,
    /// every rank sorted.
    fn suggest_key_by_key(
        names: &Names,
        query: &str,
        limit: usize,
        typos: &TypoAutomata,
        importance: &[u32],
    ) -> Vec<usize> {
        let key = tokenizer::spaced_key(query);
        let limit = limit.min(MAX_SUGGESTIONS);
        if key.is_empty() || limit == 0 {
            return Vec::new();
        }
        if key.chars().count() <= SHORT_PREFIX {
            return names.suggest(query, limit, typos, importance);
        }
        let mut ranked: Vec<u64> = Vec::new();
        let rank = |typos: u8, found_key: &[u8], entry: u32| {
            let document = entry >> 2;
            completion_rank(
                typos,
                found_key == key.as_bytes(),
                entry & 3,
                importance.get(document as usize).copied().unwrap_or(0),
                document,
            )
        };
        let mut scanned = 0;
        typos.matches(&names.keys, &key, 0, true, |found_key, value, _| {
            for &entry in names.key_documents(value) {
                ranked.push(rank(0, found_key, entry));
            }
            scanned += 1;
            scanned < SCAN_LIMIT
        });
        // The keys `allowed` typos away, as a prefix (`anywhere`: the first letter
        // too), ranked at that distance.
        let typo_pass = |allowed: u8, anywhere: bool, ranked: &mut Vec<u64>| {
            let mut scanned = 0;
            let visit = |found_key: &[u8], value, distance| {
                if distance == allowed {
                    for &entry in names.key_documents(value) {
                        ranked.push(rank(distance, found_key, entry));
                    }
                }
                scanned += 1;
                scanned < SCAN_LIMIT
            };
            if anywhere {
                typos.matches_anywhere(&names.keys, &key, allowed, true, visit);
            } else {
                typos.matches(&names.keys, &key, allowed, true, visit);
            }
        };
        let max_typos = typo_budget(&key);
        for allowed in 1..=max_typos {
            let room = if allowed == 1 {
                distinct_documents(&mut ranked) < limit
            } else {
                ranked.is_empty()
            };
            if !room {
                break;
            }
            typo_pass(allowed, false, &mut ranked);
        }
        for allowed in 1..=Rules::Relaxed.budget(&key) {
            if !ranked.is_empty() {
                break;
            }
            typo_pass(allowed, true, &mut ranked);
        }
        distinct_documents(&mut ranked);
        ranked.sort_unstable();
        ranked
            .into_iter()
            .take(limit)
            .map(|r| document_of(r) as usize)
            .collect()
    }

    /// Taking whole branches of the name FST at once, and sorting only the best
    /// ranks, must not change a completion.
    #[test]
    fn branches_complete_as_walking_key_by_key() {
        let base = Catalogue::embedded().unwrap_or_else(|e| panic!("{e}"));
        let catalogue = synthetic::catalogue(&base, 3000, 5).unwrap_or_else(|e| panic!("{e}"));
        let technologies = catalogue.technologies();
        let importance: Vec<u32> = (0..technologies.len() as u32).map(|d| d % 7).collect();
        let names = Names::build(technologies, &importance);
        let typos = TypoAutomata::new();
        let mut queries = synthetic::suggest_queries(&catalogue, 600, 9);
        queries.extend(
            [
                "post",
                "postgre",
                "pstgres",
                "ruby on r",
                "node.j",
                "kafak",
                "élas",
                "zzzzz",
            ]
            .map(String::from),
        );
        for query in &queries {
            for limit in [1, 3, 10] {
                assert_eq!(
                    names.suggest(query, limit, &typos, &importance),
                    suggest_key_by_key(&names, query, limit, &typos, &importance),
                    "{query} {limit}"
                );
            }
        }
    }
}
