//! Ranked search over the catalogue. This module owns how a query string becomes an
//! ordered list of hits, their facets, highlights and completions; the API only asks
//! it and shapes what it answers. It borrows a [`Catalogue`] to build an [`Index`]
//! once and knows nothing about HTTP.
//!
//! The engine follows Meilisearch's design:
//! - [`tokenizer`]: case- and accent-insensitive words that keep symbol names whole;
//! - a term dictionary as an FST with postings per field ([`postings`]), and per
//!   term and field a compressed bitmap (`roaring`) of the documents holding it;
//! - typo tolerance through Levenshtein automata run over the dictionary (one typo
//!   from 5 characters, two from 9), and completion of the last query word;
//! - ordered ranking rules (a bucket sort): whole-name match, words matched,
//!   typos, fields, proximity, exactness, then importance and name — see
//!   [`Ranking`] and the README's *Search* section. The first rules are applied
//!   to whole sets of documents, so only the few that can reach the requested page
//!   are ranked one by one;
//! - facet counts over the whole matching set, from the sets too.

mod build;
mod correct;
mod facets;
mod fields;
pub(crate) mod hash;
mod highlight;
mod names;
mod postings;
pub mod query;
mod rank;
pub mod tokenizer;
mod typo;

use std::cell::RefCell;
use std::ops::Range;

use roaring::{MultiOps, RoaringBitmap};

use crate::catalogue::{Catalogue, split_on_threads};
pub use correct::MAX_CORRECTIONS;
use facets::FacetTable;
pub use facets::{Facets, MAX_FACET_VALUES};
use fields::WordScratch;
pub use fields::{Source, VALUE_GAP};
pub use highlight::{Highlight, Highlighter, Utf16Range, matched_fields};
pub use names::MAX_SUGGESTIONS;
use names::Names;
use postings::{Postings, PostingsBuilder, occurrence_field, occurrence_position};
use query::{MAX_QUERY_WORDS, Plan, Rules};
use typo::TypoAutomata;

/// Where a query word matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The entry's name or id.
    Name = 0,
    /// One of its aliases.
    Aliases = 1,
    /// One of its tags.
    Tags = 2,
    /// Its one-sentence summary.
    Summary = 3,
    /// Its description.
    Description = 4,
}

impl Field {
    /// Every field, strongest first.
    pub const ALL: [Field; 5] = [
        Field::Name,
        Field::Aliases,
        Field::Tags,
        Field::Summary,
        Field::Description,
    ];

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

    fn from_rank(rank: u8) -> Field {
        Field::ALL[usize::from(rank).min(4)]
    }
}

/// The values of the ranking rules for one hit, in the order they are applied.
/// Hits compare rule by rule; the first rule that differs decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranking {
    /// The whole query equals the entry's name, an alias or its id (normalised,
    /// separators ignored); such hits always come first.
    pub exact_name: bool,
    /// Query words matched anywhere in the entry (more first).
    pub words_matched: u8,
    /// Typos summed over the matched words, each word counted at its best match
    /// (fewer first).
    pub typos: u8,
    /// The strongest field any word matched in.
    pub field: Field,
    /// The fields rule's value: each matched word's strongest field rank
    /// (name 0, aliases 1, tags 2, summary 3, description 4), summed (lower first).
    pub field_rank: u8,
    /// Distance between consecutive matched words, summed over pairs: 0 when
    /// adjacent, in order, in one field value (or both in tags), up to 7 when far
    /// apart, 8 when never in one field (lower first).
    pub proximity: u8,
    /// Matched words found as typed: no typo, not only as a prefix (more first).
    pub exact: u8,
    /// Number of catalogue entries relating to this one — how central it is
    /// (more first); breaks ties before the name.
    pub importance: u32,
}

impl Ranking {
    /// A single number that orders hits as the rules do (higher is better; ties
    /// between equal scores are broken by name).
    pub fn score(&self) -> u64 {
        rank_key(
            self.exact_name,
            self.words_matched,
            self.typos,
            self.field_rank,
        ) | refine_key(self.proximity, self.exact, self.importance)
    }
}

/// One matching entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position of the entry in [`Catalogue::technologies`].
    pub position: usize,
    /// Higher is better; see [`Ranking::score`].
    pub score: u64,
    /// The rule values that placed it.
    pub ranking: Ranking,
}

/// What a search found: a window of the ranked hits, the number of all of them and
/// their facets.
#[derive(Debug)]
pub struct Results<'i> {
    /// Number of matching entries that passed the filter.
    pub total: usize,
    /// The hits of the requested window, best first.
    pub hits: Vec<Hit>,
    /// Counts over every matching entry that passed the filter.
    pub facets: Facets<'i>,
    /// The query as the index resolved it, for highlighting.
    pub plan: Plan,
    /// True when the normal rules found nothing and these hits are what the
    /// relaxed rules found ([`Rules::Relaxed`]).
    pub relaxed: bool,
    /// When nothing matched even under the relaxed rules: up to
    /// [`MAX_CORRECTIONS`] corrections of the query, each with hits under the same
    /// filter, best first. Empty otherwise.
    pub did_you_mean: Vec<String>,
}

/// The search index of one catalogue snapshot.
pub struct Index {
    postings: Postings,
    names: Names,
    typos: TypoAutomata,
    importance: Vec<u32>,
    /// Every document, most important first (ties in catalogue order).
    by_importance: Vec<u32>,
    /// Facet counts of the documents of every common term (see [`COMMON_TERM`]),
    /// as (value, count) pairs: a matching set that holds a common term's documents
    /// counts only the rest of its documents one by one.
    term_facets: hash::WordMap<u32, Box<[(u32, u32)]>>,
    facets: FacetTable,
    documents: usize,
}

// Layout of the packed ranking key (higher is better), most significant rule first.
const EXACT_NAME_SHIFT: u32 = 50;
const WORDS_SHIFT: u32 = 46;
const TYPOS_SHIFT: u32 = 41;
const FIELD_SHIFT: u32 = 35;
const PROXIMITY_SHIFT: u32 = 28;
const EXACT_SHIFT: u32 = 24;
const IMPORTANCE_MAX: u32 = (1 << EXACT_SHIFT) - 1;
/// Cost of a pair of words never in one field.
const FAR: u32 = 8;
/// Highest cost of a pair of words in one field.
const NEAR_MAX: u32 = 7;
/// Sets of contenders up to this size are ranked document by document rather than
/// narrowed further.
const SMALL_SET: usize = 256;
/// Occurrences of a word looked at when measuring proximity.
const PROXIMITY_OCCURRENCES: usize = 32;

fn rank_key(exact_name: bool, words: u8, typos: u8, field_rank: u8) -> u64 {
    (u64::from(exact_name) << EXACT_NAME_SHIFT)
        | (u64::from(words) << WORDS_SHIFT)
        | (u64::from(31 - typos.min(31)) << TYPOS_SHIFT)
        | (u64::from(63 - field_rank.min(63)) << FIELD_SHIFT)
}

fn refine_key(proximity: u8, exact: u8, importance: u32) -> u64 {
    (u64::from(127 - proximity.min(127)) << PROXIMITY_SHIFT)
        | (u64::from(exact.min(15)) << EXACT_SHIFT)
        | u64::from(importance.min(IMPORTANCE_MAX))
}

/// No match yet for a word.
const NONE: u8 = u8::MAX;

/// What the scan learnt about one matching entry.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    document: u32,
    /// Query words matched, as a bit set.
    words: u16,
    /// Query words matched exactly.
    exact: u16,
    /// Query words whose entry in `entries` is known.
    filled: u16,
    /// Per word, its best match: `typos << 3 | field` (lower is better).
    codes: [u8; MAX_QUERY_WORDS],
    /// Per word, the posting entry of its best match, whose positions proximity
    /// reads (two words matched together share one).
    entries: [u32; MAX_QUERY_WORDS],
}

impl Candidate {
    fn new(document: u32) -> Candidate {
        Candidate {
            document,
            words: 0,
            exact: 0,
            filled: 0,
            codes: [NONE; MAX_QUERY_WORDS],
            entries: [0; MAX_QUERY_WORDS],
        }
    }

    fn matched(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_QUERY_WORDS).filter(|w| self.words & (1 << w) != 0)
    }
}

/// Per-thread buffers reused by every search, so a search allocates little.
/// Per-document state is dense (indexed by document); only the few documents that
/// can reach the requested page are given one.
#[derive(Default)]
struct Scratch {
    /// Per document: what this search learnt about it (valid for the documents of
    /// the search's contenders).
    candidates: Vec<Candidate>,
    /// (rank key, document, document) of every contender.
    ranked: Vec<(u64, u32, u32)>,
    named: Vec<u32>,
    counts: facets::Counts,
}

impl Scratch {
    /// Starts a new search over `documents` documents.
    fn start(&mut self, documents: usize) {
        if self.candidates.len() < documents {
            self.candidates.resize(documents, Candidate::new(0));
        }
        self.ranked.clear();
        self.named.clear();
    }
}

/// Typo levels (0, 1, 2) times fields: a word's best match, `typos * 5 + field`,
/// in the order the rules prefer.
const LEVELS: usize = 15;

fn level_code(level: usize) -> u8 {
    (((level / 5) as u8) << 3) | (level % 5) as u8
}

/// What the sets of one query word hold.
#[derive(Default)]
struct WordSets {
    /// Per level, the documents whose best match of the word is at that level.
    levels: Vec<RoaringBitmap>,
    /// Documents matching the word.
    all: RoaringBitmap,
    /// Documents where the word was found as typed.
    exact: RoaringBitmap,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Index {
    /// Parses `query` and resolves it against the dictionary, under the normal
    /// rules.
    pub fn plan(&self, query: &str) -> Plan {
        self.plan_under(query, Rules::Normal)
    }

    /// Parses `query` and resolves it against the dictionary, under `rules`.
    pub fn plan_under(&self, query: &str, rules: Rules) -> Plan {
        let mut plan = Plan::parse_under(query, rules);
        plan.resolve(&self.postings.dictionary, &self.typos);
        plan
    }

    /// Ranks the entries matching `query` that `admit` accepts, and answers the
    /// hits in `window` (positions in the ranked list; clamped), the total and the
    /// facets. Only the hits up to the window's end are fully ordered.
    pub fn search(
        &self,
        query: &str,
        window: Range<usize>,
        mut admit: impl FnMut(usize) -> bool,
    ) -> Results<'_> {
        self.run(query, window, Some(&mut admit), true)
    }

    /// [`Index::search`] without a filter: every matching entry is admitted.
    pub fn search_all(&self, query: &str, window: Range<usize>) -> Results<'_> {
        self.run(query, window, None, true)
    }

    /// The search itself, set at a time: each query word's matches are sets of
    /// documents per typo level and field, the matching set and the facets come from
    /// them, and the ranking rules narrow them to the few documents that can reach
    /// the page before any document is looked at on its own.
    ///
    /// A query the normal rules find nothing for is run again under the relaxed
    /// rules; when those find nothing either, the answer carries corrections.
    fn run(
        &self,
        query: &str,
        window: Range<usize>,
        mut admit: Option<&mut (dyn FnMut(usize) -> bool + '_)>,
        narrow: bool,
    ) -> Results<'_> {
        let filtered = admit.is_some();
        let mut plan = self.plan(query);
        let (mut words, mut matching) = self.matching(&plan, admit.as_deref_mut());
        let mut relaxed = false;
        let mut did_you_mean = Vec::new();
        if matching.is_empty() && !plan.words.is_empty() {
            let loose = self.plan_under(query, Rules::Relaxed);
            let (loose_words, loose_matching) = self.matching(&loose, admit.as_deref_mut());
            if loose_matching.is_empty() {
                did_you_mean = correct::corrections(&self.postings, &self.typos, &plan, admit);
            } else {
                (plan, words, matching, relaxed) = (loose, loose_words, loose_matching, true);
            }
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let scratch = &mut *scratch;
            scratch.start(self.documents);
            self.names.named(&plan.spaced, &mut scratch.named);
            self.names.named(&plan.joined, &mut scratch.named);
            scratch
                .named
                .retain(|&document| matching.contains(document));
            self.count_facets(&plan, &matching, filtered, &mut scratch.counts);
            let total = matching.len() as usize;
            let end = window.end.min(total);
            let start = window.start.min(end);
            let mut hits = Vec::with_capacity(end - start);
            if start < end {
                let Scratch {
                    candidates,
                    ranked,
                    named,
                    ..
                } = scratch;
                let contenders = if narrow {
                    self.contenders(&words, &matching, named, end)
                } else {
                    matching.clone()
                };
                for document in &contenders {
                    candidates[document as usize] = Candidate::new(document);
                }
                for (w, word) in words.iter().enumerate() {
                    for (level, set) in word.levels.iter().enumerate() {
                        let code = level_code(level);
                        for document in set & &contenders {
                            let candidate = &mut candidates[document as usize];
                            candidate.codes[w] = code;
                            candidate.words |= 1 << w;
                        }
                    }
                    for document in &word.exact & &contenders {
                        candidates[document as usize].exact |= 1 << w;
                    }
                }
                for document in &contenders {
                    let (words, typos, field_rank, _) =
                        rank::summary(&candidates[document as usize]);
                    let key = rank_key(named.contains(&document), words, typos, field_rank);
                    ranked.push((key, document, document));
                }
                let end = end.min(ranked.len());
                let start = start.min(end);
                self.order_top(&plan, candidates, ranked, end);
                for &(score, document, index) in &ranked[start..end] {
                    let candidate = &candidates[index as usize];
                    hits.push(Hit {
                        position: document as usize,
                        score,
                        ranking: self.ranking(candidate, named.contains(&document)),
                    });
                }
            }
            Results {
                total,
                hits,
                facets: self.facets.facets(&mut scratch.counts),
                plan,
                relaxed,
                did_you_mean,
            }
        })
    }

    /// Per query word, its sets, and the documents matching some word that `admit`
    /// accepts (all, when `None`); the word sets are narrowed to those.
    fn matching(
        &self,
        plan: &Plan,
        admit: Option<&mut (dyn FnMut(usize) -> bool + '_)>,
    ) -> (Vec<WordSets>, RoaringBitmap) {
        let mut words = self.word_sets(plan);
        let mut matching = RoaringBitmap::new();
        for word in &words {
            matching |= &word.all;
        }
        if let Some(admit) = admit {
            // Filtering keeps a bitmap's ascending order, so this cannot fail.
            matching = RoaringBitmap::from_sorted_iter(
                matching.iter().filter(|&document| admit(document as usize)),
            )
            .unwrap_or_else(|error| panic!("a filtered set lost its order: {error}"));
            for word in &mut words {
                word.all &= &matching;
                word.exact &= &matching;
                for level in &mut word.levels {
                    *level &= &matching;
                }
            }
        }
        (words, matching)
    }

    /// Per query word, the documents at each level of its best match.
    fn word_sets(&self, plan: &Plan) -> Vec<WordSets> {
        let count = plan.words.len();
        // Per word and level, then per word for exact matches: the sets to unite.
        let mut parts: Vec<Vec<&RoaringBitmap>> = vec![Vec::new(); count * (LEVELS + 1)];
        for unit in &plan.units {
            for derivation in &plan.derivations[unit.derivations.clone()] {
                let typos = usize::from(derivation.typos.min(2));
                for field in 0..5 {
                    let set = self.postings.field_set(derivation.term, field);
                    if set.is_empty() {
                        continue;
                    }
                    let mut others = unit.words;
                    while others != 0 {
                        let w = others.trailing_zeros() as usize;
                        others &= others - 1;
                        if w < count {
                            parts[w * (LEVELS + 1) + typos * 5 + field].push(set);
                            if derivation.exact {
                                parts[w * (LEVELS + 1) + LEVELS].push(set);
                            }
                        }
                    }
                }
            }
        }
        let mut parts = parts.into_iter();
        (0..count)
            .map(|_| {
                let mut word = WordSets::default();
                for _ in 0..LEVELS {
                    let mut level = parts.next().unwrap_or_default().into_iter().union();
                    // Keep each document at its best level only.
                    level -= &word.all;
                    word.all |= &level;
                    word.levels.push(level);
                }
                word.exact = parts.next().unwrap_or_default().into_iter().union();
                word
            })
            .collect()
    }

    /// Counts the facets of `matching` into `counts` the cheapest of three ways:
    /// entry by entry over the matching set; over the rest of the catalogue,
    /// subtracted from the catalogue's counts; or from the counts kept for a common
    /// term whose documents all match (`filtered` false), plus the other matching
    /// documents one by one.
    fn count_facets(
        &self,
        plan: &Plan,
        matching: &RoaringBitmap,
        filtered: bool,
        counts: &mut facets::Counts,
    ) {
        counts.reset(&self.facets);
        let size = matching.len() as usize;
        let mut cheapest = size.min(self.documents - size);
        let mut common = None;
        if !filtered {
            // Unfiltered, every derivation's documents match, and a term's field
            // sets are disjoint: the documents left over are counted, not built.
            for derivation in &plan.derivations {
                let Some(kept) = self.term_facets.get(&derivation.term) else {
                    continue;
                };
                let held: u64 = (0..5)
                    .map(|field| self.postings.field_set(derivation.term, field).len())
                    .sum();
                let cost = size.saturating_sub(held as usize) + kept.len() / 8;
                if cost < cheapest {
                    cheapest = cost;
                    common = Some((kept, derivation.term));
                }
            }
        }
        if let Some((kept, term)) = common {
            let mut rest = matching.clone();
            for field in 0..5 {
                rest -= self.postings.field_set(term, field);
            }
            self.facets.add_sparse(kept, counts);
            for document in &rest {
                self.facets.count(document, counts);
            }
        } else if size * 2 <= self.documents {
            for document in matching {
                self.facets.count(document, counts);
            }
        } else {
            let mut rest = RoaringBitmap::new();
            rest.insert_range(0..self.documents as u32);
            rest -= matching;
            for document in &rest {
                self.facets.count(document, counts);
            }
            self.facets.complement(counts);
        }
    }

    /// Up to `limit` (at most [`MAX_SUGGESTIONS`]) entries whose names complete
    /// `query`, best first, as positions in [`Catalogue::technologies`].
    pub fn suggest(&self, query: &str, limit: usize) -> Vec<usize> {
        self.names
            .suggest(query, limit, &self.typos, &self.importance)
    }

    /// A highlighter for the words `plan` matched.
    pub fn highlighter<'p>(&self, plan: &'p Plan) -> Highlighter<'p> {
        Highlighter::new(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::synthetic;

    /// Facets however counted (the common terms' kept counts included) must be
    /// the facets of the matching entries counted one by one, on a catalogue large
    /// enough to have common terms.
    #[test]
    fn facets_from_common_terms_are_the_facets_of_every_match() {
        let base = Catalogue::embedded().unwrap_or_else(|e| panic!("{e}"));
        let catalogue = synthetic::catalogue(&base, 3000, 5).unwrap_or_else(|e| panic!("{e}"));
        let index = Index::build(&catalogue);
        assert!(!index.term_facets.is_empty());
        let mut queries = synthetic::search_queries(&catalogue, 300, 3);
        queries.extend(
            [
                "web server framework",
                "server web",
                "database web server",
                "web",
            ]
            .map(String::from),
        );
        let mut counts = facets::Counts::default();
        for query in &queries {
            let results = index.search_all(query, 0..0);
            // The plan the answer was made under (relaxed when the normal rules
            // found nothing).
            let mut matching = RoaringBitmap::new();
            for word in index.word_sets(&results.plan) {
                matching |= word.all;
            }
            counts.reset(&index.facets);
            for document in &matching {
                index.facets.count(document, &mut counts);
            }
            assert_eq!(results.facets, index.facets.facets(&mut counts), "{query}");
        }
    }

    /// Narrowing the matching set to the documents that can reach the page must
    /// not change the page: every query of the benchmark mix, on a catalogue large
    /// enough to narrow, answers as ranking every matching document does.
    #[test]
    fn narrowing_keeps_the_page_of_ranking_everything() {
        let base = Catalogue::embedded().unwrap_or_else(|e| panic!("{e}"));
        let catalogue = synthetic::catalogue(&base, 3000, 5).unwrap_or_else(|e| panic!("{e}"));
        let index = Index::build(&catalogue);
        let mut queries = synthetic::search_queries(&catalogue, 300, 3);
        queries.extend(["web", "server framework", "da", "pyhton web framework"].map(String::from));
        for query in &queries {
            for window in [0..20, 5..40] {
                let narrowed = index.run(query, window.clone(), None, true);
                let everything = index.run(query, window.clone(), None, false);
                assert_eq!(narrowed.total, everything.total, "{query}");
                assert_eq!(narrowed.facets, everything.facets, "{query}");
                assert_eq!(narrowed.hits, everything.hits, "{query} {window:?}");
            }
        }
    }
}
