//! "Did you mean": corrections of a query that found nothing even under the
//! relaxed rules, built from the term dictionary. Each correction replaces query
//! words by dictionary words a few typos away (a typo on the first letter allowed)
//! and is kept only when it has hits under the same filters.

use roaring::RoaringBitmap;

use super::postings::Postings;
use super::query::Plan;
use super::typo::TypoAutomata;

/// Most corrections answered.
pub const MAX_CORRECTIONS: usize = 3;
/// Dictionary words looked at per query word.
const SCAN_LIMIT: usize = 512;
/// Candidates kept per query word, best first.
const CANDIDATES_PER_WORD: usize = 4;
/// Query words shorter than this are never corrected.
const MIN_CHARS: usize = 3;
/// Fields a correction's word must appear in: name, aliases, tags or summary (a
/// word met only in descriptions rarely names what was meant).
const FIELDS: usize = 4;

/// One dictionary word that could stand for a query word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    /// Typos from the query word (fewer first).
    typos: u8,
    /// The strongest field it appears in (name first).
    field: u8,
    /// Entries holding it that pass the filter, negated (more first).
    entries: i64,
    word: String,
}

/// Typos a correction of a word of `chars` characters may have: one for three
/// characters, two from four (the relaxed rules tried one already).
fn budget(word: &str) -> u8 {
    match word.chars().count() {
        0..MIN_CHARS => 0,
        MIN_CHARS => 1,
        _ => 2,
    }
}

/// Up to [`MAX_CORRECTIONS`] corrections of the query `plan` was parsed from, best
/// first, each with hits among the entries `admit` accepts (all, when `None`).
pub fn corrections(
    postings: &Postings,
    typos: &TypoAutomata,
    plan: &Plan,
    mut admit: Option<&mut (dyn FnMut(usize) -> bool + '_)>,
) -> Vec<String> {
    let candidates: Vec<Vec<Candidate>> = plan
        .words
        .iter()
        .map(|word| candidates(postings, typos, word, admit.as_deref_mut()))
        .collect();
    if candidates.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    let best: Vec<&str> = plan
        .words
        .iter()
        .zip(&candidates)
        .map(|(word, found)| found.first().map_or(word.as_str(), |c| c.word.as_str()))
        .collect();
    let mut out = vec![best.join(" ")];
    // Then one word at a time changed to its next candidate, closest first.
    let mut others: Vec<(&Candidate, usize)> = candidates
        .iter()
        .enumerate()
        .flat_map(|(w, found)| found.iter().skip(1).map(move |c| (c, w)))
        .collect();
    others.sort();
    for (candidate, w) in others {
        if out.len() == MAX_CORRECTIONS {
            break;
        }
        let mut words = best.clone();
        words[w] = &candidate.word;
        let correction = words.join(" ");
        if !out.contains(&correction) {
            out.push(correction);
        }
    }
    out
}

/// The best dictionary words for one query word.
fn candidates(
    postings: &Postings,
    typos: &TypoAutomata,
    word: &str,
    mut admit: Option<&mut (dyn FnMut(usize) -> bool + '_)>,
) -> Vec<Candidate> {
    let max_typos = budget(word);
    if max_typos == 0 || word.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let mut found: Vec<(String, u32, u8)> = Vec::new();
    typos.matches_anywhere(
        &postings.dictionary,
        word,
        max_typos,
        false,
        |key, term, distance| {
            if distance > 0
                && let Ok(key) = std::str::from_utf8(key)
            {
                found.push((key.to_owned(), term as u32, distance));
            }
            found.len() < SCAN_LIMIT
        },
    );
    let mut out: Vec<Candidate> = Vec::new();
    for (key, term, distance) in found {
        let Some(field) = (0..FIELDS).find(|&f| !postings.field_set(term, f).is_empty()) else {
            continue;
        };
        let mut documents = RoaringBitmap::new();
        for f in 0..FIELDS {
            documents |= postings.field_set(term, f);
        }
        let entries = match admit.as_deref_mut() {
            None => documents.len(),
            Some(admit) => documents.iter().filter(|&d| admit(d as usize)).count() as u64,
        };
        if entries > 0 {
            out.push(Candidate {
                typos: distance,
                field: field as u8,
                entries: -(entries as i64),
                word: key,
            });
        }
    }
    out.sort();
    out.truncate(CANDIDATES_PER_WORD);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_words_are_not_corrected_and_longer_ones_by_up_to_two_typos() {
        assert_eq!(budget("go"), 0);
        assert_eq!(budget("kao"), 1);
        assert_eq!(budget("djng"), 2);
        assert_eq!(budget("fslak"), 2);
    }
}
