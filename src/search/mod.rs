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

mod correct;
mod facets;
mod fields;
pub(crate) mod hash;
mod highlight;
mod names;
mod postings;
pub mod query;
pub mod tokenizer;

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
use query::{MAX_QUERY_WORDS, Plan, Rules, TypoAutomata};

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
    /// Builds the index for a catalogue. The documents are tokenized in shards,
    /// one per worker thread, and the name keys and facet values are built while the
    /// postings are laid out. A panic in any part fails the build (never a part
    /// redone or left out).
    pub fn build(catalogue: &Catalogue) -> Index {
        let technologies = catalogue.technologies();
        let importance = importance(catalogue);
        let mut shards =
            split_on_threads(technologies.len(), |range| tokenize(&technologies[range]))
                .into_iter();
        let mut builder = shards.next().unwrap_or_else(|| tokenize(&[]));
        for shard in shards {
            builder.absorb(shard);
        }
        let (postings, names, facets) = std::thread::scope(|scope| {
            let names = scope.spawn(|| {
                (
                    Names::build(technologies, &importance),
                    FacetTable::build(catalogue),
                )
            });
            let postings = builder.build();
            let (names, facets) = names
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (postings, names, facets)
        });
        let term_facets = common_term_facets(&postings, &facets, technologies.len());
        let mut by_importance: Vec<u32> = (0..technologies.len() as u32).collect();
        by_importance.sort_by_key(|&d| std::cmp::Reverse(importance[d as usize]));
        Index {
            postings,
            names,
            typos: TypoAutomata::new(),
            importance,
            by_importance,
            term_facets,
            facets,
            documents: technologies.len(),
        }
    }

    /// Number of distinct words in the dictionary.
    pub fn term_count(&self) -> usize {
        self.postings.term_count()
    }

    /// Heap bytes the index holds (dictionaries, postings, name keys, facets).
    pub fn heap_bytes(&self) -> usize {
        self.postings.heap_bytes()
            + self.names.heap_bytes()
            + self.importance.capacity() * 4
            + self.by_importance.capacity() * 4
            + self
                .term_facets
                .values()
                .map(|counts| counts.len() * 8 + 32)
                .sum::<usize>()
            + self.facets.heap_bytes()
    }

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
                    let (words, typos, field_rank, _) = summary(&candidates[document as usize]);
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

    /// The documents that can reach the first `end` places: the rules are applied
    /// to whole sets — words matched, then typos, then fields — keeping every set
    /// that ranks wholly above the place `end` and narrowing the one it cuts through.
    /// Documents outside are beaten by at least `end` documents inside.
    fn contenders(
        &self,
        words: &[WordSets],
        matching: &RoaringBitmap,
        named: &[u32],
        end: usize,
    ) -> RoaringBitmap {
        let mut chosen: RoaringBitmap = named.iter().copied().collect();
        // Named entries always come first: they may take places of their own.
        let mut need = end + named.len();
        if matching.len() as usize <= need.max(SMALL_SET) {
            return matching.clone();
        }
        let count = words.len();
        if let [word] = words {
            // One word: its levels are the buckets of the typos and fields rules,
            // in order.
            for level in &word.levels {
                let size = level.len() as usize;
                if size <= need || size <= SMALL_SET {
                    chosen |= level;
                    need = need.saturating_sub(size);
                    if need == 0 {
                        return chosen;
                    }
                } else {
                    self.by_exactness(words, level, need, &mut chosen);
                    return chosen;
                }
            }
            return chosen;
        }
        // Words matched: `at_least[k]` holds the documents matching k words or more.
        let mut at_least = vec![RoaringBitmap::new(); count + 1];
        at_least[0] = matching.clone();
        for (w, word) in words.iter().enumerate() {
            for k in (1..=w + 1).rev() {
                let grown = &at_least[k - 1] & &word.all;
                at_least[k] |= grown;
            }
        }
        let Some(most) = (1..=count)
            .rev()
            .find(|&k| at_least[k].len() as usize >= need)
        else {
            return matching.clone();
        };
        let better = if most < count {
            at_least[most + 1].clone()
        } else {
            RoaringBitmap::new()
        };
        let bucket = &at_least[most] - &better;
        chosen |= better;
        need = need.saturating_sub(chosen.len() as usize).max(1);
        if bucket.len() as usize <= need.max(SMALL_SET) {
            return chosen | bucket;
        }
        // Typos, summed over the words: split the bucket by its sum.
        let by_typos = sums(words, &bucket, 2, |level| level / 5);
        let Some(bucket) = cut(by_typos, &mut chosen, &mut need) else {
            return chosen;
        };
        // Fields, summed the same way.
        let by_fields = sums(words, &bucket, 4, |level| level % 5);
        let Some(bucket) = cut(by_fields, &mut chosen, &mut need) else {
            return chosen;
        };
        if most > 1 {
            // Proximity tells these apart: each is looked at on its own.
            return chosen | bucket;
        }
        self.by_exactness(words, &bucket, need, &mut chosen);
        chosen
    }

    /// Adds to `chosen` the `need` best documents of `bucket`, whose documents all
    /// match one word with the same typos and field: no proximity tells them apart,
    /// so words found as typed, then importance, then catalogue order.
    fn by_exactness(
        &self,
        words: &[WordSets],
        bucket: &RoaringBitmap,
        mut need: usize,
        chosen: &mut RoaringBitmap,
    ) {
        let mut exact = RoaringBitmap::new();
        for word in words {
            exact |= &word.exact;
        }
        let exact = bucket & &exact;
        let inexact = bucket - &exact;
        for part in [exact, inexact] {
            if need == 0 {
                break;
            }
            if part.len() as usize <= need {
                need -= part.len() as usize;
                *chosen |= part;
            } else {
                self.most_important(&part, need, chosen);
                need = 0;
            }
        }
    }

    /// Adds to `out` the `take` documents of `set` of highest importance (ties in
    /// catalogue order).
    fn most_important(&self, set: &RoaringBitmap, take: usize, out: &mut RoaringBitmap) {
        if set.len() as usize * 16 >= self.documents {
            // A dense set: walk the catalogue in importance order.
            let mut taken = 0;
            for &document in &self.by_importance {
                if taken == take {
                    break;
                }
                if set.contains(document) {
                    out.insert(document);
                    taken += 1;
                }
            }
        } else {
            let mut documents: Vec<(std::cmp::Reverse<u32>, u32)> = set
                .iter()
                .map(|d| (std::cmp::Reverse(self.importance[d as usize]), d))
                .collect();
            if take < documents.len() {
                documents.select_nth_unstable(take);
                documents.truncate(take);
            }
            out.extend(documents.into_iter().map(|(_, d)| d));
        }
    }

    /// Fills in, for every word of the contenders in `ranked`, the posting entry of
    /// its best match — the first one found in plan order, as proximity reads it.
    fn fill_entries(&self, plan: &Plan, candidates: &mut [Candidate], ranked: &[(u64, u32, u32)]) {
        if plan.words.len() < 2 {
            return;
        }
        let set: RoaringBitmap = ranked.iter().map(|item| item.1).collect();
        let mut set = set;
        for item in ranked {
            candidates[item.2 as usize].filled = 0;
        }
        for unit in &plan.units {
            for derivation in &plan.derivations[unit.derivations.clone()] {
                let range = self.postings.entry_range(derivation.term);
                for field in 0..5u8 {
                    let found = self.postings.field_set(derivation.term, usize::from(field));
                    if found.is_empty() {
                        continue;
                    }
                    let code = (derivation.typos << 3) | field;
                    for document in found & &set {
                        let candidate = &mut candidates[document as usize];
                        let mut words = unit.words & candidate.words & !candidate.filled;
                        let mut entry = None;
                        while words != 0 {
                            let w = words.trailing_zeros() as usize;
                            words &= words - 1;
                            if candidate.codes[w] != code {
                                continue;
                            }
                            let entry = *entry.get_or_insert_with(|| {
                                self.postings.entry_of(range.clone(), document)
                            });
                            candidate.entries[w] = entry;
                            candidate.filled |= 1 << w;
                        }
                        if candidate.filled == candidate.words {
                            set.remove(document);
                        }
                    }
                }
            }
        }
    }

    /// Orders `ranked` so its first `end` items are the best, fully ranked: a
    /// selection on the cheap rules, then the costly ones (proximity) only for the
    /// items that can reach the window.
    fn order_top(
        &self,
        plan: &Plan,
        candidates: &mut [Candidate],
        ranked: &mut [(u64, u32, u32)],
        end: usize,
    ) {
        let by_key = |a: &(u64, u32, u32), b: &(u64, u32, u32)| b.0.cmp(&a.0);
        let mut contenders = end;
        if end < ranked.len() {
            ranked.select_nth_unstable_by(end - 1, by_key);
            let boundary = ranked[end - 1].0;
            // Items tied with the last one on the cheap rules may still overtake it.
            let (_, rest) = ranked.split_at_mut(end);
            let mut tied = 0;
            for index in 0..rest.len() {
                if rest[index].0 == boundary {
                    rest.swap(index, tied);
                    tied += 1;
                }
            }
            contenders += tied;
        }
        let contenders = &mut ranked[..contenders];
        self.fill_entries(plan, candidates, contenders);
        for item in contenders.iter_mut() {
            let candidate = &candidates[item.2 as usize];
            let (_, _, _, exact) = summary(candidate);
            item.0 |= refine_key(
                self.proximity(candidate),
                exact,
                self.importance[item.1 as usize],
            );
        }
        let order = |a: &(u64, u32, u32), b: &(u64, u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if end < contenders.len() {
            contenders.select_nth_unstable_by(end - 1, order);
        }
        contenders[..end].sort_unstable_by(order);
    }

    fn ranking(&self, candidate: &Candidate, exact_name: bool) -> Ranking {
        let (words_matched, typos, field_rank, exact) = summary(candidate);
        let best = candidate
            .matched()
            .map(|w| candidate.codes[w] & 7)
            .min()
            .unwrap_or(4);
        Ranking {
            exact_name,
            words_matched,
            typos,
            field: Field::from_rank(best),
            field_rank,
            proximity: self.proximity(candidate),
            exact,
            importance: self.importance[candidate.document as usize],
        }
    }

    /// Sum over consecutive matched words of how far apart they are.
    fn proximity(&self, candidate: &Candidate) -> u8 {
        let mut total = 0;
        let mut previous: Option<usize> = None;
        for word in candidate.matched() {
            if let Some(before) = previous {
                total += self.pair_cost(candidate, before, word);
            }
            previous = Some(word);
        }
        total.min(u32::from(u8::MAX)) as u8
    }

    fn pair_cost(&self, candidate: &Candidate, before: usize, after: usize) -> u32 {
        let (first, second) = (candidate.entries[before], candidate.entries[after]);
        if first == second {
            return 0; // written together and matched as one word
        }
        let (first, second) = (
            self.postings.positions(first),
            self.postings.positions(second),
        );
        let mut best = FAR;
        for &a in first.iter().take(PROXIMITY_OCCURRENCES) {
            for &b in second.iter().take(PROXIMITY_OCCURRENCES) {
                if occurrence_field(a) != occurrence_field(b) {
                    continue;
                }
                if occurrence_field(a) == Field::Tags as u8 {
                    return 0; // tags are a set: any two are together
                }
                let (i, j) = (occurrence_position(a), occurrence_position(b));
                let cost = match j.cmp(&i) {
                    std::cmp::Ordering::Greater => j - i - 1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Less => i - j + 1,
                };
                best = best.min(cost.min(NEAR_MAX));
                if best == 0 {
                    return 0;
                }
            }
        }
        best
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

/// Collects the words of `technologies`, in order.
fn tokenize(technologies: &[crate::catalogue::Technology]) -> PostingsBuilder {
    let mut builder = PostingsBuilder::default();
    let mut scratch = WordScratch::default();
    for technology in technologies {
        fields::technology_words(technology, &mut scratch, |source, word, position, _| {
            builder.add(word, source.field(), position)
        });
        builder.finish_document();
    }
    builder
}

/// Splits `bucket` by the sum over the query words of a per-word value of their
/// best level (`value(level)`, at most `most`): the set at index `s` holds the
/// documents whose sum is `s`.
fn sums(
    words: &[WordSets],
    bucket: &RoaringBitmap,
    most: usize,
    value: impl Fn(usize) -> usize,
) -> Vec<RoaringBitmap> {
    let mut sums = vec![bucket.clone()];
    for word in words {
        let mut by_value = vec![RoaringBitmap::new(); most + 1];
        for (level, set) in word.levels.iter().enumerate() {
            by_value[value(level)] |= set;
        }
        let mut next = vec![RoaringBitmap::new(); sums.len() + most];
        for (sum, set) in sums.iter().enumerate() {
            if set.is_empty() {
                continue;
            }
            next[sum] |= set - &word.all;
            for (value, part) in by_value.iter().enumerate() {
                if !part.is_empty() {
                    next[sum + value] |= set & part;
                }
            }
        }
        sums = next;
    }
    sums
}

/// Takes the sets of `sums` best first into `chosen` while they fit in `need`;
/// answers the set the place `need` cuts through, unless it is small enough to
/// take whole (then `None`, as when everything fits).
fn cut(
    sums: Vec<RoaringBitmap>,
    chosen: &mut RoaringBitmap,
    need: &mut usize,
) -> Option<RoaringBitmap> {
    for set in sums {
        let size = set.len() as usize;
        if size <= *need || size <= SMALL_SET {
            *need = need.saturating_sub(size);
            *chosen |= set;
            if *need == 0 {
                return None;
            }
        } else {
            return Some(set);
        }
    }
    None
}

/// Terms held by at least this share of the documents (one in `COMMON_TERM`) have
/// their facet counts kept.
const COMMON_TERM: usize = 50;
/// ... and by at least this many documents.
const COMMON_TERM_MIN: usize = 1000;

/// Facet counts of every common term, counted on the worker threads.
fn common_term_facets(
    postings: &Postings,
    facets: &FacetTable,
    documents: usize,
) -> hash::WordMap<u32, Box<[(u32, u32)]>> {
    let least = (documents / COMMON_TERM).max(COMMON_TERM_MIN);
    let terms = postings.term_count();
    let count = |range: Range<usize>| {
        let mut kept = Vec::new();
        let mut counts = facets::Counts::default();
        for term in range.start as u32..range.end as u32 {
            if postings.entry_range(term).len() < least {
                continue;
            }
            counts.reset(facets);
            for document in postings.documents(term) {
                facets.count(document, &mut counts);
            }
            kept.push((term, facets.sparse(&counts)));
        }
        kept
    };
    split_on_threads(terms, count)
        .into_iter()
        .flatten()
        .collect()
}

/// (words matched, typos, field rank, exact words) of a candidate.
fn summary(candidate: &Candidate) -> (u8, u8, u8, u8) {
    let mut typos = 0;
    let mut field_rank = 0;
    for word in candidate.matched() {
        typos += candidate.codes[word] >> 3;
        field_rank += candidate.codes[word] & 7;
    }
    (
        candidate.words.count_ones() as u8,
        typos,
        field_rank,
        (candidate.exact & candidate.words).count_ones() as u8,
    )
}

/// How many entries point at each entry through any relation.
fn importance(catalogue: &Catalogue) -> Vec<u32> {
    let mut counts = vec![0u32; catalogue.len()];
    for technology in catalogue.technologies() {
        for (_, targets) in crate::catalogue::relation_lists(technology) {
            for target in targets {
                if let Some(position) = catalogue.position(target) {
                    counts[position] += 1;
                }
            }
        }
    }
    counts
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
