//! Building the index of a catalogue: its words tokenized in shards on the worker
//! threads, the postings laid out, the name keys and facet values built beside
//! them, and the facet counts of the common terms kept.

use super::*;

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
