//! Facet counts — per kind, tag and language — over a whole matching set. Every
//! document's values are resolved at build time to small numbers laid out back to
//! back, so counting a document is one slice of one array.

use crate::catalogue::{Catalogue, Facet, Kind};

use super::hash::WordMap;

/// Counts of one facet, largest first (ties by value).
pub type FacetCounts<'i> = Vec<(&'i str, u32)>;

/// Most values listed per facet (the largest counts), as Meilisearch's
/// `maxValuesPerFacet`; the counts are always over the whole matching set.
pub const MAX_FACET_VALUES: usize = 100;

/// Counts per kind, tag and language over a matching set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets<'i> {
    /// Per kind (wire name).
    pub kind: FacetCounts<'i>,
    /// Per tag.
    pub tag: FacetCounts<'i>,
    /// Per language (the values of [`Facet::Language`](crate::catalogue::Facet):
    /// `relations.for_language` ids, and a language's own id).
    pub language: FacetCounts<'i>,
}

/// Facet values of every document. Value numbers: kinds first (in
/// [`Kind::ALL`] order), then tags, then languages.
#[derive(Default)]
pub struct FacetTable {
    offsets: Vec<u32>,
    values: Vec<u32>,
    names: Vec<Box<str>>,
    /// Per value number, the documents holding it in the whole catalogue.
    totals: Vec<u32>,
    /// Per value number, the rank of its name in byte order, so ordering ties
    /// compares numbers instead of names.
    name_ranks: Vec<u32>,
    /// First tag number and first language number.
    tags_from: usize,
    languages_from: usize,
}

/// Running counts of one search, per value number, and a buffer for ordering
/// them (kept between searches, so ordering a facet of thousands of values does
/// not allocate).
#[derive(Debug, Default)]
pub struct Counts(Vec<u32>, Vec<(u32, u32, u32)>);

impl Counts {
    /// Zeroes the counts for `table`'s values.
    pub fn reset(&mut self, table: &FacetTable) {
        self.0.clear();
        self.0.resize(table.names.len(), 0);
    }
}

/// Numbers distinct values in order of first sight.
fn number_values<'t>(
    values: impl Iterator<Item = &'t str>,
    names: &mut Vec<Box<str>>,
) -> WordMap<&'t str, u32> {
    let mut numbers = WordMap::default();
    for value in values {
        numbers.entry(value).or_insert_with(|| {
            names.push(value.into());
            (names.len() - 1) as u32
        });
    }
    numbers
}

impl FacetTable {
    /// Resolves every document's kind, tags and languages.
    pub fn build(catalogue: &Catalogue) -> FacetTable {
        let technologies = catalogue.technologies();
        let mut names: Vec<Box<str>> = Kind::ALL.iter().map(|k| k.as_str().into()).collect();
        // An entry's tags and languages as the filters define them
        // (`catalogue::Facet`), so a count is always the total of its filter.
        let all = |facet: Facet| {
            (0..technologies.len()).flat_map(move |position| facet.values(catalogue, position))
        };
        let tags_from = names.len();
        let tags = number_values(all(Facet::Tag), &mut names);
        let languages_from = names.len();
        let languages = number_values(all(Facet::Language), &mut names);
        let mut offsets = Vec::with_capacity(technologies.len() + 1);
        let mut values = Vec::new();
        offsets.push(0);
        for (position, technology) in technologies.iter().enumerate() {
            let kind = Kind::ALL.iter().position(|k| *k == technology.kind);
            values.push(kind.unwrap_or(0) as u32);
            for (facet, numbers) in [(Facet::Tag, &tags), (Facet::Language, &languages)] {
                let named = facet.values(catalogue, position);
                values.extend(named.into_iter().filter_map(|v| numbers.get(v)));
            }
            offsets.push(values.len() as u32);
        }
        let mut totals = vec![0u32; names.len()];
        for &value in &values {
            totals[value as usize] += 1;
        }
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut name_ranks = vec![0u32; names.len()];
        for (rank, &value) in by_name.iter().enumerate() {
            name_ranks[value as usize] = rank as u32;
        }
        FacetTable {
            offsets,
            values,
            names,
            totals,
            name_ranks,
            tags_from,
            languages_from,
        }
    }

    /// Adds `document`'s values to `counts`.
    pub fn count(&self, document: u32, counts: &mut Counts) {
        let document = document as usize;
        let range = self.offsets[document] as usize..self.offsets[document + 1] as usize;
        for &value in &self.values[range] {
            counts.0[value as usize] += 1;
        }
    }

    /// The non-zero counts of `counts`, as (value, count) pairs.
    pub fn sparse(&self, counts: &Counts) -> Box<[(u32, u32)]> {
        counts
            .0
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(value, &count)| (value as u32, count))
            .collect()
    }

    /// Adds counts kept as (value, count) pairs.
    pub fn add_sparse(&self, sparse: &[(u32, u32)], counts: &mut Counts) {
        for &(value, count) in sparse {
            counts.0[value as usize] += count;
        }
    }

    /// Turns counts over the documents outside a set into counts over the set.
    pub fn complement(&self, counts: &mut Counts) {
        for (count, total) in counts.0.iter_mut().zip(&self.totals) {
            *count = total - *count;
        }
    }

    /// The non-zero counts, largest first (at most [`MAX_FACET_VALUES`] per facet).
    pub fn facets(&self, counts: &mut Counts) -> Facets<'_> {
        let Counts(counts, facet) = counts;
        let mut facet = |range: std::ops::Range<usize>| {
            // (count, name rank, value)
            facet.clear();
            facet.extend(
                range
                    .filter(|&value| counts[value] > 0)
                    .map(|value| (counts[value], self.name_ranks[value], value as u32)),
            );
            let order =
                |a: &(u32, u32, u32), b: &(u32, u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
            if facet.len() > MAX_FACET_VALUES {
                facet.select_nth_unstable_by(MAX_FACET_VALUES - 1, order);
                facet.truncate(MAX_FACET_VALUES);
            }
            facet.sort_unstable_by(order);
            facet
                .iter()
                .map(|&(count, _, value)| (&*self.names[value as usize], count))
                .collect::<FacetCounts<'_>>()
        };
        Facets {
            kind: facet(0..self.tags_from),
            tag: facet(self.tags_from..self.languages_from),
            language: facet(self.languages_from..self.names.len()),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.values.capacity() * 4
            + self.totals.capacity() * 4
            + self.name_ranks.capacity() * 4
            + self.names.iter().map(|n| n.len() + 16).sum::<usize>()
    }
}
