//! Facet counts — per kind, tag and language — over a whole matching set, from
//! per-document values resolved to small numbers at build time.

use crate::catalogue::{Catalogue, Kind};

use super::hash::WordMap;

/// Counts of one facet, largest first (ties by value).
pub type FacetCounts<'i> = Vec<(&'i str, u32)>;

/// Counts per kind, tag and language over a matching set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets<'i> {
    /// Per kind (wire name).
    pub kind: FacetCounts<'i>,
    /// Per tag.
    pub tag: FacetCounts<'i>,
    /// Per language the entry is for (`relations.for_language` ids).
    pub language: FacetCounts<'i>,
}

/// A multi-valued facet: per document, a list of value numbers.
#[derive(Default)]
struct Multi {
    offsets: Vec<u32>,
    values: Vec<u32>,
    names: Vec<Box<str>>,
}

impl Multi {
    fn build<'t>(documents: impl Iterator<Item = &'t [String]>) -> Multi {
        let mut numbers: WordMap<&str, u32> = WordMap::default();
        let mut multi = Multi {
            offsets: vec![0],
            ..Multi::default()
        };
        for values in documents {
            for value in values {
                let next = multi.names.len() as u32;
                let number = *numbers.entry(value.as_str()).or_insert(next);
                if number == next {
                    multi.names.push(value.as_str().into());
                }
                multi.values.push(number);
            }
            multi.offsets.push(multi.values.len() as u32);
        }
        multi
    }

    fn of(&self, document: u32) -> &[u32] {
        let document = document as usize;
        &self.values[self.offsets[document] as usize..self.offsets[document + 1] as usize]
    }

    fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.values.capacity()) * 4
            + self.names.iter().map(|n| n.len() + 16).sum::<usize>()
    }

    fn facet<'i>(&'i self, counts: &[u32]) -> FacetCounts<'i> {
        let mut facet: FacetCounts<'i> = counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(number, count)| (&*self.names[number], *count))
            .collect();
        facet.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        facet
    }
}

/// Facet values of every document.
#[derive(Default)]
pub struct FacetTable {
    kinds: Vec<u8>,
    tags: Multi,
    languages: Multi,
}

/// Running counts of one search.
#[derive(Debug, Default)]
pub struct Counts {
    kinds: [u32; Kind::ALL.len()],
    tags: Vec<u32>,
    languages: Vec<u32>,
}

impl Counts {
    /// Zeroes the counts for `table`'s values.
    pub fn reset(&mut self, table: &FacetTable) {
        self.kinds = [0; Kind::ALL.len()];
        self.tags.clear();
        self.tags.resize(table.tags.names.len(), 0);
        self.languages.clear();
        self.languages.resize(table.languages.names.len(), 0);
    }
}

impl FacetTable {
    /// Resolves every document's kind, tags and languages.
    pub fn build(catalogue: &Catalogue) -> FacetTable {
        let technologies = catalogue.technologies();
        FacetTable {
            kinds: technologies
                .iter()
                .map(|t| Kind::ALL.iter().position(|k| *k == t.kind).unwrap_or(0) as u8)
                .collect(),
            tags: Multi::build(technologies.iter().map(|t| t.tags.as_slice())),
            languages: Multi::build(
                technologies
                    .iter()
                    .map(|t| t.relations.for_language.as_slice()),
            ),
        }
    }

    /// Adds `document`'s values to `counts`.
    pub fn count(&self, document: u32, counts: &mut Counts) {
        counts.kinds[usize::from(self.kinds[document as usize])] += 1;
        for &tag in self.tags.of(document) {
            counts.tags[tag as usize] += 1;
        }
        for &language in self.languages.of(document) {
            counts.languages[language as usize] += 1;
        }
    }

    /// The non-zero counts, largest first.
    pub fn facets(&self, counts: &Counts) -> Facets<'_> {
        let mut kind: FacetCounts<'_> = Kind::ALL
            .iter()
            .zip(counts.kinds)
            .filter(|(_, count)| *count > 0)
            .map(|(kind, count)| (kind.as_str(), count))
            .collect();
        kind.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Facets {
            kind,
            tag: self.tags.facet(&counts.tags),
            language: self.languages.facet(&counts.languages),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.kinds.capacity() + self.tags.heap_bytes() + self.languages.heap_bytes()
    }
}
