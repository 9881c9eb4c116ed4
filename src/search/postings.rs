//! The inverted index proper: a term dictionary as an FST mapping each word to its
//! term number, and per term the entries that hold it — one per document, with the
//! strongest field it occurs in and every position, field by field.
//!
//! Layout, chosen for memory and for a tight scan at query time:
//! - `entries[term_entries[t]..term_entries[t + 1]]` are the documents holding term
//!   `t`, ascending, each packed as `document << 3 | strongest field`;
//! - `positions[entry_positions[e]..entry_positions[e + 1]]` are entry `e`'s
//!   occurrences, ascending, each packed as `field << 13 | position in field`.
//!
//! Built in two passes (count, then place) so the arrays are allocated once at their
//! final size.

use std::ops::Range;

use crate::catalogue::split_on_threads;
use fst::{Map, MapBuilder};
use roaring::RoaringBitmap;

use super::Field;
use super::hash::{Interner, hash_word};

/// Bits of a packed occurrence that hold the position within its field.
pub const POSITION_BITS: u32 = 13;
/// Highest position recorded; later words of a very long text share it.
pub const MAX_POSITION: u32 = (1 << POSITION_BITS) - 1;

/// The field of a packed occurrence.
pub fn occurrence_field(occurrence: u16) -> u8 {
    (occurrence >> POSITION_BITS) as u8
}

/// The position of a packed occurrence.
pub fn occurrence_position(occurrence: u16) -> u32 {
    u32::from(occurrence) & MAX_POSITION
}

/// The term dictionary and its postings.
pub struct Postings {
    /// Every indexed word, mapped to its term number (its rank in byte order).
    pub dictionary: Map<Vec<u8>>,
    term_entries: Vec<u32>,
    entries: Vec<u32>,
    entry_positions: Vec<u32>,
    positions: Vec<u16>,
    /// Per term and field (`term * 5 + field`), the documents whose strongest
    /// field for the term is that field.
    field_sets: Vec<RoaringBitmap>,
}

impl Postings {
    /// The documents whose strongest field for `term` is `field`.
    pub fn field_set(&self, term: u32, field: usize) -> &RoaringBitmap {
        &self.field_sets[term as usize * 5 + field]
    }

    /// The entry of `document` among the entries in `range` (which must hold it;
    /// the range's start otherwise).
    pub fn entry_of(&self, range: Range<usize>, document: u32) -> u32 {
        let start = range.start;
        let found = self.entries[range]
            .binary_search_by_key(&document, |packed| packed >> 3)
            .unwrap_or(0);
        (start + found) as u32
    }

    /// Range of the entries of term `term` in the entry arrays.
    pub fn entry_range(&self, term: u32) -> Range<usize> {
        let term = term as usize;
        self.term_entries[term] as usize..self.term_entries[term + 1] as usize
    }

    /// The documents holding `term`, ascending.
    pub fn documents(&self, term: u32) -> impl Iterator<Item = u32> + '_ {
        self.entries[self.entry_range(term)]
            .iter()
            .map(|packed| packed >> 3)
    }

    /// The packed occurrences of entry `entry`.
    pub fn positions(&self, entry: u32) -> &[u16] {
        let entry = entry as usize;
        &self.positions
            [self.entry_positions[entry] as usize..self.entry_positions[entry + 1] as usize]
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.term_entries.len().saturating_sub(1)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.dictionary.as_fst().as_bytes().len()
            + self.term_entries.capacity() * 4
            + self.entries.capacity() * 4
            + self.entry_positions.capacity() * 4
            + self.positions.capacity() * 2
            + self
                .field_sets
                .iter()
                .map(|set| set.serialized_size() + 24)
                .sum::<usize>()
    }
}

/// Collects the words of documents, one document at a time, in position order.
#[derive(Default)]
pub struct PostingsBuilder {
    words: Interner,
    /// Start of each document's pairs in `pair_terms` / `pair_occurrences`.
    document_starts: Vec<u32>,
    pair_terms: Vec<u32>,
    pair_occurrences: Vec<u16>,
    /// The current document's words, back to back, with (start, length,
    /// occurrence) for each, interned when the document is finished.
    pending_text: String,
    pending: Vec<(u32, u32, u16)>,
    hashes: Vec<u64>,
    /// The current document's (term, occurrence) pairs.
    current: Vec<(u32, u16)>,
    term_documents: Vec<u32>,
    term_occurrences: Vec<u32>,
}

impl PostingsBuilder {
    /// Records `word` at `position` of `field` in the current document.
    pub fn add(&mut self, word: &str, field: Field, position: u32) {
        let occurrence = ((field as u16) << POSITION_BITS) | position.min(MAX_POSITION) as u16;
        let start = self.pending_text.len() as u32;
        self.pending_text.push_str(word);
        self.pending.push((start, word.len() as u32, occurrence));
    }

    /// Interns the current document's words: their hashes first, asking the
    /// caches for the slot each is probed at so the cache misses overlap (the
    /// processor does not wait for them), then one by one.
    fn intern_pending(&mut self) {
        let text = self.pending_text.as_str();
        self.hashes.clear();
        for &(start, len, _) in &self.pending {
            let hash = hash_word(&text.as_bytes()[start as usize..(start + len) as usize]);
            self.words.touch(hash);
            self.hashes.push(hash);
        }
        for (&(start, len, occurrence), &hash) in self.pending.iter().zip(&self.hashes) {
            let term = self
                .words
                .intern_hashed(&text[start as usize..(start + len) as usize], hash);
            if term as usize == self.term_documents.len() {
                self.term_documents.push(0);
                self.term_occurrences.push(0);
            }
            self.current.push((term, occurrence));
        }
        self.pending.clear();
        self.pending_text.clear();
    }

    /// Closes the current document; the next `add` starts the next one.
    pub fn finish_document(&mut self) {
        self.intern_pending();
        self.document_starts.push(self.pair_terms.len() as u32);
        self.current.sort_unstable();
        self.current.dedup();
        let mut previous = None;
        for &(term, occurrence) in &self.current {
            if previous != Some(term) {
                self.term_documents[term as usize] += 1;
                previous = Some(term);
            }
            self.term_occurrences[term as usize] += 1;
            self.pair_terms.push(term);
            self.pair_occurrences.push(occurrence);
        }
        self.current.clear();
    }

    /// Appends the documents `other` collected after this builder's own, so the
    /// documents of a catalogue can be tokenized in shards on several threads.
    pub fn absorb(&mut self, other: PostingsBuilder) {
        let remap: Vec<u32> = (0..other.words.count() as u32)
            .map(|term| {
                let global = self.words.intern(other.words.word(term));
                if global as usize == self.term_documents.len() {
                    self.term_documents.push(0);
                    self.term_occurrences.push(0);
                }
                global
            })
            .collect();
        for (term, &global) in remap.iter().enumerate() {
            self.term_documents[global as usize] += other.term_documents[term];
            self.term_occurrences[global as usize] += other.term_occurrences[term];
        }
        let base = self.pair_terms.len() as u32;
        self.document_starts
            .extend(other.document_starts.iter().map(|start| start + base));
        // Within a document a term's pairs stay together and in order, which is
        // all the layout needs; their order between terms does not matter.
        self.pair_terms
            .extend(other.pair_terms.iter().map(|&term| remap[term as usize]));
        self.pair_occurrences
            .extend_from_slice(&other.pair_occurrences);
    }

    /// Lays the postings out in dictionary order and builds the FST.
    pub fn build(self) -> Postings {
        let PostingsBuilder {
            words,
            mut document_starts,
            pair_terms,
            pair_occurrences,
            term_documents,
            term_occurrences,
            ..
        } = self;
        document_starts.push(pair_terms.len() as u32);
        let mut by_term: Vec<(&str, u32)> = (0..words.count() as u32)
            .map(|term| (words.word(term), term))
            .collect();
        by_term.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // Where the next entry and the next position of each term go, by
        // provisional term number: one read per pair in the layout below.
        let mut cursors = vec![(0u32, 0u32); by_term.len()];
        let mut dictionary = MapBuilder::memory();
        let mut term_entries = Vec::with_capacity(by_term.len() + 1);
        let (mut entries_so_far, mut positions_so_far) = (0u32, 0u32);
        for (final_term, (word, term)) in by_term.iter().enumerate() {
            // Keys are unique and sorted: a failure is a bug, reported as one.
            if let Err(error) = dictionary.insert(word.as_bytes(), final_term as u64) {
                panic!("the term dictionary refused `{word}` (keys must come sorted): {error}");
            }
            term_entries.push(entries_so_far);
            cursors[*term as usize] = (entries_so_far, positions_so_far);
            entries_so_far += term_documents[*term as usize];
            positions_so_far += term_occurrences[*term as usize];
        }
        term_entries.push(entries_so_far);
        drop(by_term);
        let mut entries = vec![0u32; entries_so_far as usize];
        let mut entry_positions = vec![0u32; entries_so_far as usize + 1];
        let mut positions = vec![0u16; positions_so_far as usize];
        for document in 0..document_starts.len() - 1 {
            let pairs = document_starts[document] as usize..document_starts[document + 1] as usize;
            let mut previous = None;
            for pair in pairs {
                let term = pair_terms[pair];
                let occurrence = pair_occurrences[pair];
                let (entry_cursor, position_cursor) = &mut cursors[term as usize];
                if previous != Some(term) {
                    // First occurrence of the term in this document: the strongest
                    // field, since occurrences sort by field first.
                    let entry = *entry_cursor as usize;
                    entries[entry] =
                        ((document as u32) << 3) | u32::from(occurrence_field(occurrence));
                    entry_positions[entry] = *position_cursor;
                    *entry_cursor += 1;
                    previous = Some(term);
                }
                positions[*position_cursor as usize] = occurrence;
                *position_cursor += 1;
            }
        }
        entry_positions[entries_so_far as usize] = positions_so_far;
        // The documents per term and field, on the worker threads, a run of terms each.
        let terms = term_entries.len() - 1;
        let sets = |range: Range<usize>| {
            let mut sets = vec![RoaringBitmap::new(); range.len() * 5];
            let mut by_field: [Vec<u32>; 5] = Default::default();
            for (index, term) in range.enumerate() {
                let entries =
                    &entries[term_entries[term] as usize..term_entries[term + 1] as usize];
                for &packed in entries {
                    by_field[(packed & 7) as usize].push(packed >> 3);
                }
                for (field, documents) in by_field.iter_mut().enumerate() {
                    // Entries are in document order, so the documents are sorted and
                    // appended whole (`try_push` one by one would look for a bitmap
                    // container's highest bit on every push).
                    let _ = sets[index * 5 + field].append(documents.drain(..));
                }
            }
            sets
        };
        let field_sets: Vec<RoaringBitmap> = split_on_threads(terms, sets)
            .into_iter()
            .flatten()
            .collect();
        let dictionary = dictionary
            .into_inner()
            .and_then(Map::new)
            .unwrap_or_else(|error| panic!("the term dictionary did not build: {error}"));
        Postings {
            dictionary,
            term_entries,
            entries,
            entry_positions,
            positions,
            field_sets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-field document sets hold what the entries say, also where they are
    /// dense enough for roaring's bitmap containers (over 4,096 documents in one
    /// run of 65,536) and across two such runs.
    #[test]
    fn field_sets_hold_every_entry_of_their_field() {
        let documents = 70_000u32;
        let mut builder = PostingsBuilder::default();
        for document in 0..documents {
            // `every` is in every document, strongest in a field that cycles;
            // `some` in every third, always in the summary.
            let field = Field::ALL[document as usize % 5];
            builder.add("every", field, 0);
            if document % 3 == 0 {
                builder.add("some", Field::Summary, 1);
                builder.add("every", Field::Description, 2);
            }
            builder.finish_document();
        }
        let postings = builder.build();
        let term = |word: &str| {
            postings
                .dictionary
                .get(word)
                .unwrap_or_else(|| panic!("{word} is indexed")) as u32
        };
        for field in 0..5 {
            let expected: Vec<u32> = (0..documents)
                .filter(|document| *document as usize % 5 == field)
                .collect();
            let found: Vec<u32> = postings.field_set(term("every"), field).iter().collect();
            assert_eq!(found, expected, "every, field {field}");
        }
        let some: Vec<u32> = (0..documents).filter(|d| d % 3 == 0).collect();
        let found: Vec<u32> = postings
            .field_set(term("some"), Field::Summary as usize)
            .iter()
            .collect();
        assert_eq!(found, some);
        for field in [0, 1, 2, 4] {
            assert!(postings.field_set(term("some"), field).is_empty());
        }
    }
}
