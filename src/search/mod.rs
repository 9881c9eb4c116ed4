//! Ranked search over the catalogue. This module owns how a query string becomes an
//! ordered list of hits, their facets, highlights and completions; the API only asks
//! it and shapes what it answers. It borrows a [`Catalogue`] to build an [`Index`]
//! once and knows nothing about HTTP.
//!
//! The engine follows Meilisearch's design:
//! - [`tokenizer`]: case- and accent-insensitive words that keep symbol names whole;
//! - a term dictionary as an FST with postings per field ([`postings`]);
//! - typo tolerance through Levenshtein automata run over the dictionary (one typo
//!   from 5 characters, two from 9), and completion of the last query word;
//! - ordered ranking rules (a bucket sort): whole-name match, words matched,
//!   typos, fields, proximity, exactness, then importance and name — see
//!   [`Ranking`] and the README's *Search* section.

mod facets;
mod fields;
mod hash;
mod highlight;
mod names;
mod postings;
pub mod query;
pub mod tokenizer;

use std::cell::RefCell;
use std::ops::Range;

use crate::catalogue::Catalogue;
use facets::FacetTable;
pub use facets::{Facets, MAX_FACET_VALUES};
use fields::WordScratch;
pub use fields::{Source, VALUE_GAP};
pub use highlight::{Highlight, Highlighter, Utf16Range, matched_fields};
pub use names::MAX_SUGGESTIONS;
use names::Names;
use postings::{Postings, PostingsBuilder, occurrence_field, occurrence_position};
use query::{MAX_QUERY_WORDS, Plan, TypoAutomata};

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
}

/// The search index of one catalogue snapshot.
pub struct Index {
    postings: Postings,
    names: Names,
    typos: TypoAutomata,
    importance: Vec<u32>,
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
            codes: [NONE; MAX_QUERY_WORDS],
            entries: [0; MAX_QUERY_WORDS],
        }
    }

    fn matched(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_QUERY_WORDS).filter(|w| self.words & (1 << w) != 0)
    }
}

/// Per-thread buffers reused by every search, so a search allocates little.
/// Per-document state is dense (indexed by document) so that scanning postings,
/// which are sorted by document, walks it in order.
#[derive(Default)]
struct Scratch {
    /// Per document: the generation of the search that last touched it.
    stamps: Vec<u32>,
    /// Per document: what this search learnt about it (valid when stamped).
    candidates: Vec<Candidate>,
    generation: u32,
    /// Documents stamped by this search, in the order first touched.
    touched: Vec<u32>,
    /// (rank key, document, document) of every admitted candidate.
    ranked: Vec<(u64, u32, u32)>,
    named: Vec<u32>,
    counts: facets::Counts,
}

impl Scratch {
    /// Starts a new search over `documents` documents.
    fn start(&mut self, documents: usize) {
        if self.stamps.len() < documents {
            self.stamps.resize(documents, 0);
            self.candidates.resize(documents, Candidate::new(0));
        }
        if self.generation == u32::MAX {
            self.stamps.iter_mut().for_each(|s| *s = 0);
            self.generation = 0;
        }
        self.generation += 1;
        self.touched.clear();
        self.ranked.clear();
        self.named.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Index {
    /// Builds the index for a catalogue. The documents are tokenized in two
    /// shards on two threads, and the name keys are built while the postings are
    /// laid out.
    pub fn build(catalogue: &Catalogue) -> Index {
        let technologies = catalogue.technologies();
        let importance = importance(catalogue);
        let middle = technologies.len() / 2;
        let (postings, names) = std::thread::scope(|scope| {
            let second = scope.spawn(|| tokenize(&technologies[middle..]));
            let mut builder = tokenize(&technologies[..middle]);
            match second.join() {
                Ok(second) => builder.absorb(second),
                // A shard that panicked is tokenized again here, to fail loudly
                // in the same place if it panics again.
                Err(_) => builder.absorb(tokenize(&technologies[middle..])),
            }
            let names = scope.spawn(|| Names::build(technologies, &importance));
            let postings = builder.build();
            let names = names
                .join()
                .unwrap_or_else(|_| Names::build(technologies, &importance));
            (postings, names)
        });
        Index {
            postings,
            names,
            typos: TypoAutomata::new(),
            importance,
            facets: FacetTable::build(catalogue),
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
            + self.facets.heap_bytes()
    }

    /// Parses `query` and resolves it against the dictionary.
    pub fn plan(&self, query: &str) -> Plan {
        let mut plan = Plan::parse(query);
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
        let plan = self.plan(query);
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let scratch = &mut *scratch;
            scratch.start(self.documents);
            self.collect(&plan, scratch);
            self.names.named(&plan.spaced, &mut scratch.named);
            self.names.named(&plan.joined, &mut scratch.named);
            scratch.counts.reset(&self.facets);
            let Scratch {
                stamps,
                candidates,
                generation,
                touched,
                ranked,
                named,
                counts,
            } = scratch;
            let mut visit = |document: u32| {
                if !admit(document as usize) {
                    return;
                }
                self.facets.count(document, counts);
                let (words, typos, field_rank, _) = summary(&candidates[document as usize]);
                let key = rank_key(named.contains(&document), words, typos, field_rank);
                ranked.push((key, document, document));
            };
            if touched.len() * 8 >= self.documents {
                // Many matches: visit them in document order, which keeps the
                // facet values and candidates streaming through the cache.
                for (document, stamp) in stamps[..self.documents].iter().enumerate() {
                    if *stamp == *generation {
                        visit(document as u32);
                    }
                }
            } else {
                touched.iter().for_each(|&document| visit(document));
            }
            let total = ranked.len();
            let end = window.end.min(total);
            let start = window.start.min(end);
            let mut hits = Vec::with_capacity(end - start);
            if start < end {
                self.order_top(candidates, ranked, end);
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
                facets: self.facets.facets(counts),
                plan,
            }
        })
    }

    /// Scans the postings of every derivation, recording per document each query
    /// word's best match.
    fn collect(&self, plan: &Plan, scratch: &mut Scratch) {
        let Scratch {
            stamps,
            candidates,
            generation,
            touched,
            ..
        } = scratch;
        let generation = *generation;
        for unit in &plan.units {
            let first = usize::from(unit.first);
            let rest = unit.words & !(1 << first);
            for derivation in &plan.derivations[unit.derivations.clone()] {
                let typo_code = derivation.typos << 3;
                let range = self.postings.entry_range(derivation.term);
                let base = range.start as u32;
                for (offset, &packed) in self.postings.entries(range).iter().enumerate() {
                    let document = (packed >> 3) as usize;
                    let field = (packed & 7) as u8;
                    if stamps[document] != generation {
                        stamps[document] = generation;
                        candidates[document] = Candidate::new(document as u32);
                        touched.push(document as u32);
                    }
                    let candidate = &mut candidates[document];
                    let code = typo_code | field;
                    let entry = base + offset as u32;
                    if code < candidate.codes[first] {
                        candidate.codes[first] = code;
                        candidate.entries[first] = entry;
                    }
                    let mut others = rest;
                    while others != 0 {
                        let word = others.trailing_zeros() as usize;
                        others &= others - 1;
                        if field < candidate.codes[word] {
                            candidate.codes[word] = field;
                            candidate.entries[word] = entry;
                        }
                    }
                    candidate.words |= unit.words;
                    if derivation.exact {
                        candidate.exact |= unit.words;
                    }
                }
            }
        }
    }

    /// Orders `ranked` so its first `end` items are the best, fully ranked: a
    /// selection on the cheap rules, then the costly ones (proximity) only for the
    /// items that can reach the window.
    fn order_top(&self, candidates: &[Candidate], ranked: &mut [(u64, u32, u32)], end: usize) {
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
