//! Where a hit matched: the ranges of its texts that hold a word the query
//! matched, found by running the index's tokenizer over the hit's texts again and
//! keeping the words the query derived to.
//!
//! Ranges count UTF-16 code units, as JavaScript's `String.prototype.slice` does,
//! so a browser can cut `text.slice(start, start + length)` without converting.

use std::ops::Range;

use super::Field;
use super::fields::{self, Source, VALUE_GAP, WordScratch};
use super::query::Plan;
use crate::catalogue::Technology;

/// A range of a text in UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf16Range {
    /// Offset of the first code unit.
    pub start: usize,
    /// Number of code units.
    pub length: usize,
}

/// The matched ranges of one text of a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight<'t> {
    /// Which text: the name, the id, one alias, one tag, the summary or the
    /// description.
    pub source: Source,
    /// The text the ranges index into.
    pub text: &'t str,
    /// Disjoint ranges, in order.
    pub ranges: Vec<Utf16Range>,
}

/// Finds the matched words of one query in hits' texts.
pub struct Highlighter<'p> {
    words: Vec<&'p str>,
    scratch: WordScratch,
    spans: Vec<Range<usize>>,
}

impl<'p> Highlighter<'p> {
    /// A highlighter for every dictionary word `plan` derived to.
    pub fn new(plan: &'p Plan) -> Highlighter<'p> {
        let mut words: Vec<&str> = plan.derivations.iter().map(|d| plan.word(d)).collect();
        words.sort_unstable();
        words.dedup();
        Highlighter {
            words,
            scratch: WordScratch::default(),
            spans: Vec::new(),
        }
    }

    /// The highlights of `technology`, strongest field first; texts without a
    /// match are left out.
    pub fn highlights<'t>(&mut self, technology: &'t Technology) -> Vec<Highlight<'t>> {
        let mut highlights = Vec::new();
        for (source, text) in fields::sources(technology) {
            self.spans.clear();
            let words = &self.words;
            let spans = &mut self.spans;
            fields::value_words(
                source,
                text,
                VALUE_GAP,
                &mut self.scratch,
                |word, _, span| {
                    if words.binary_search(&word).is_ok() {
                        spans.push(span);
                    }
                },
            );
            if !self.spans.is_empty() {
                highlights.push(Highlight {
                    source,
                    text,
                    ranges: utf16_ranges(text, &mut self.spans),
                });
            }
        }
        highlights
    }
}

/// The fields that have a highlight, strongest first, each once (an id counts as
/// the name).
pub fn matched_fields(highlights: &[Highlight<'_>]) -> Vec<Field> {
    let mut fields: Vec<Field> = highlights.iter().map(|h| h.source.field()).collect();
    fields.sort_unstable();
    fields.dedup();
    fields
}

/// Merges overlapping byte spans and converts them to UTF-16 ranges.
fn utf16_ranges(text: &str, spans: &mut [Range<usize>]) -> Vec<Utf16Range> {
    spans.sort_unstable_by_key(|s| (s.start, s.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for span in spans.iter() {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span.clone()),
        }
    }
    let ascii = text.is_ascii();
    let mut counted = 0; // bytes already converted
    let mut units = 0; // their UTF-16 length
    let mut to_units = |byte: usize| {
        if ascii {
            return byte;
        }
        units += text[counted..byte].encode_utf16().count();
        counted = byte;
        units
    };
    merged
        .into_iter()
        .map(|span| {
            let start = to_units(span.start);
            let end = to_units(span.end);
            Utf16Range {
                start,
                length: end - start,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_count_utf16_code_units() {
        let text = "Ø x 😀 Sebastián y";
        let start = text.find("Sebastián").unwrap_or_default();
        let mut spans = vec![start..start + "Sebastián".len(), 0..2];
        let ranges = utf16_ranges(text, &mut spans);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(
            ranges[0],
            Utf16Range {
                start: 0,
                length: 1
            }
        );
        let cut = &utf16[ranges[1].start..ranges[1].start + ranges[1].length];
        assert_eq!(String::from_utf16_lossy(cut), "Sebastián");
    }

    #[test]
    fn overlapping_spans_merge() {
        let mut spans = vec![0..4, 0..7, 5..7, 9..10];
        assert_eq!(
            utf16_ranges("node.js, x", &mut spans),
            [
                Utf16Range {
                    start: 0,
                    length: 7
                },
                Utf16Range {
                    start: 9,
                    length: 1
                }
            ]
        );
    }
}
