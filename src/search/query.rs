//! How a query string becomes what the index looks up: its words, the *units* that
//! can match them (each word alone, runs of two or three words written together,
//! a dotted compound as written), and for each unit the dictionary words it
//! derives to through typos and, for the last word, completion.

use fst::Map;

use super::tokenizer::{self, Compound};
use super::typo::TypoAutomata;

/// Words of a query beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 10;
/// Characters from which a word may have one typo.
pub const ONE_TYPO_FROM: usize = 5;
/// Characters from which a word may have one typo under [`Rules::Relaxed`].
pub const RELAXED_ONE_TYPO_FROM: usize = 4;
/// Characters from which a word may have two typos.
pub const TWO_TYPOS_FROM: usize = 9;
/// Characters the last word needs before it also matches as a prefix.
pub const PREFIX_FROM: usize = 2;
/// Most dictionary words one unit derives to; the fewest typos, then the shortest,
/// are kept.
pub const MAX_DERIVATIONS: usize = 128;
/// Dictionary words taken, in byte order, for one unit at each typo level (exact,
/// with typos) before the walk stops — as Meilisearch bounds derivations, so a
/// short prefix or a typo-tolerant prefix never walks the whole dictionary.
const DERIVATION_SCAN_LIMIT: usize = 160;

/// The rules a query is matched under.
///
/// A query is matched under the normal rules first; only when they find nothing is
/// it matched again under the relaxed ones, so the looser rules cost only queries
/// that would otherwise be a dead end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rules {
    /// One typo from 5 characters, two from 9; the first letter must be right.
    #[default]
    Normal,
    /// One typo from 4 characters, two from 9, anywhere in the word (the first
    /// letter too); a 3-letter word also matches with two adjacent letters swapped
    /// (`bnu` finds `bun`, as a whole word).
    Relaxed,
}

impl Rules {
    /// Typos a word may have under these rules.
    pub fn budget(self, word: &str) -> u8 {
        let chars = word.chars().count();
        let one_from = match self {
            Rules::Normal => ONE_TYPO_FROM,
            Rules::Relaxed => RELAXED_ONE_TYPO_FROM,
        };
        if word.bytes().all(|b| b.is_ascii_digit()) {
            0 // numbers (versions, years) match exactly
        } else if chars >= TWO_TYPOS_FROM {
            2
        } else if chars >= one_from {
            1
        } else {
            0
        }
    }

    /// True when a typo may fall on the first letter.
    pub fn first_letter_free(self) -> bool {
        self == Rules::Relaxed
    }

    /// True when a 3-letter word also matches with two adjacent letters swapped
    /// (as a whole word, never as a prefix).
    pub fn swaps(self, word: &str) -> bool {
        self == Rules::Relaxed
            && word.chars().count() == 3
            && !word.bytes().all(|b| b.is_ascii_digit())
    }
}

/// Typos a word may have under the normal rules.
pub fn typo_budget(word: &str) -> u8 {
    Rules::Normal.budget(word)
}

/// The words two adjacent letters of `word` swapped make, other than `word`.
pub fn swapped(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for i in 1..chars.len() {
        if chars[i - 1] != chars[i] {
            let mut swapped = chars.clone();
            swapped.swap(i - 1, i);
            let swapped: String = swapped.into_iter().collect();
            if !out.contains(&swapped) {
                out.push(swapped);
            }
        }
    }
    out
}

/// Something in the query that can match one dictionary word: a query word, or
/// several written together (no typos there: the words are typed already).
#[derive(Debug, Clone)]
pub struct Unit {
    /// The normalised text looked up.
    pub text: String,
    /// The query words it stands for, as a bit set.
    pub words: u16,
    /// The first of those words.
    pub first: u8,
    /// True when it also matches dictionary words it is a prefix of.
    pub prefix: bool,
    /// Typos allowed.
    pub max_typos: u8,
    /// True when a typo may fall on its first letter.
    pub first_letter_free: bool,
    /// True when it also matches with two adjacent letters swapped (3-letter words
    /// under the relaxed rules).
    pub swaps: bool,
    /// Its derivations in [`Plan::derivations`].
    pub derivations: std::ops::Range<usize>,
}

/// A dictionary word a unit matched.
#[derive(Debug, Clone)]
pub struct Derivation {
    /// Term number in the dictionary.
    pub term: u32,
    /// Edit distance (Damerau-Levenshtein) from the unit's text, or from a prefix of
    /// the dictionary word when the unit is a prefix.
    pub typos: u8,
    /// True when the dictionary word is the unit's text itself.
    pub exact: bool,
    /// The dictionary word, in [`Plan::arena`].
    pub word: std::ops::Range<usize>,
}

/// A query, parsed and resolved against one dictionary.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The normalised query words, at most [`MAX_QUERY_WORDS`].
    pub words: Vec<String>,
    /// What can match them.
    pub units: Vec<Unit>,
    /// Every unit's derivations, unit by unit.
    pub derivations: Vec<Derivation>,
    /// The derived dictionary words, back to back.
    pub arena: String,
    /// The whole query as compounds one space apart (`ruby on rails`).
    pub spaced: String,
    /// The whole query run together (`rubyonrails`).
    pub joined: String,
    /// The rules the query was matched under.
    pub rules: Rules,
}

impl Plan {
    /// Splits `query` into words and units (nothing resolved yet), under the
    /// normal rules.
    pub fn parse(query: &str) -> Plan {
        Plan::parse_under(query, Rules::Normal)
    }

    /// Splits `query` into words and units (nothing resolved yet), under `rules`.
    pub fn parse_under(query: &str, rules: Rules) -> Plan {
        let mut plan = Plan {
            rules,
            ..Plan::default()
        };
        let mut compound = Compound::default();
        // (first word, parts, literal form when dotted)
        let mut groups: Vec<(usize, usize, Option<String>)> = Vec::new();
        let mut last_end = 0;
        tokenizer::compounds(query, &mut compound, |c| {
            if !plan.spaced.is_empty() {
                plan.spaced.push(' ');
            }
            c.write_literal(&mut plan.spaced);
            c.write_joined(&mut plan.joined);
            let first = plan.words.len();
            for index in 0..c.len() {
                if plan.words.len() < MAX_QUERY_WORDS {
                    plan.words.push(c.part(index).to_owned());
                }
            }
            let literal = (c.is_dotted() && c.len() > 1).then(|| {
                let mut literal = String::new();
                c.write_literal(&mut literal);
                literal
            });
            groups.push((first, c.len(), literal));
            last_end = c.span().end;
        });
        let count = plan.words.len();
        // The last word completes only while it is still being typed.
        let typing = last_end == query.len();
        let is_prefix =
            |end: usize, text: &str| typing && end == count && text.chars().count() >= PREFIX_FROM;
        for (index, word) in plan.words.iter().enumerate() {
            plan.units.push(Unit {
                text: word.clone(),
                words: 1 << index,
                first: index as u8,
                prefix: is_prefix(index + 1, word),
                max_typos: rules.budget(word),
                first_letter_free: rules.first_letter_free(),
                swaps: rules.swaps(word),
                derivations: 0..0,
            });
        }
        let mut extra = Vec::new();
        for (first, parts, literal) in groups {
            if let Some(literal) = literal
                && first + parts <= count
            {
                extra.push((first, parts, literal));
            }
        }
        for first in 0..count {
            for length in 2..=3 {
                if first + length <= count {
                    extra.push((first, length, plan.words[first..first + length].concat()));
                }
            }
        }
        for (first, length, text) in extra {
            let words = (((1u32 << length) - 1) << first) as u16;
            if plan
                .units
                .iter()
                .any(|u| u.words == words && u.text == text)
            {
                continue;
            }
            plan.units.push(Unit {
                prefix: is_prefix(first + length, &text),
                max_typos: 0,
                first_letter_free: false,
                swaps: false,
                text,
                words,
                first: first as u8,
                derivations: 0..0,
            });
        }
        plan
    }

    /// Finds every unit's derivations in `dictionary`.
    pub fn resolve(&mut self, dictionary: &Map<Vec<u8>>, typos: &TypoAutomata) {
        FOUND.with(|found| self.resolve_with(dictionary, typos, &mut found.borrow_mut()));
    }

    fn resolve_with(&mut self, dictionary: &Map<Vec<u8>>, typos: &TypoAutomata, found: &mut Found) {
        for index in 0..self.units.len() {
            found.clear();
            let unit = &self.units[index];
            derive(unit, dictionary, typos, found);
            if found.matches.len() > MAX_DERIVATIONS {
                found.matches.sort_unstable_by(|a, b| {
                    a.distance
                        .cmp(&b.distance)
                        .then(a.key.len().cmp(&b.key.len()))
                });
                found.matches.truncate(MAX_DERIVATIONS);
            }
            let start = self.derivations.len();
            for found_match in &found.matches {
                let key = &found.keys[found_match.key.clone()];
                let word_start = self.arena.len();
                // Dictionary keys are the UTF-8 words the index inserted.
                match std::str::from_utf8(key) {
                    Ok(word) => self.arena.push_str(word),
                    Err(error) => panic!("a dictionary key is not UTF-8: {error}"),
                }
                self.derivations.push(Derivation {
                    term: found_match.term as u32,
                    typos: found_match.distance,
                    exact: found_match.distance == 0 && key == unit.text.as_bytes(),
                    word: word_start..self.arena.len(),
                });
            }
            self.units[index].derivations = start..self.derivations.len();
        }
    }

    /// The dictionary word of a derivation.
    pub fn word(&self, derivation: &Derivation) -> &str {
        &self.arena[derivation.word.clone()]
    }
}

thread_local! {
    /// The words found for a unit, kept between queries.
    static FOUND: std::cell::RefCell<Found> = std::cell::RefCell::new(Found::default());
}

/// Dictionary words found for one unit, their bytes back to back.
#[derive(Default)]
struct Found {
    keys: Vec<u8>,
    matches: Vec<FoundMatch>,
}

struct FoundMatch {
    key: std::ops::Range<usize>,
    term: u64,
    distance: u8,
}

impl Found {
    fn clear(&mut self) {
        self.keys.clear();
        self.matches.clear();
    }

    /// Records a match.
    fn push(&mut self, key: &[u8], term: u64, distance: u8) {
        let start = self.keys.len();
        self.keys.extend_from_slice(key);
        self.matches.push(FoundMatch {
            key: start..self.keys.len(),
            term,
            distance,
        });
    }
}

fn derive(unit: &Unit, dictionary: &Map<Vec<u8>>, typos: &TypoAutomata, found: &mut Found) {
    let mut taken = 0;
    if !unit.prefix {
        if let Some(term) = dictionary.get(&unit.text) {
            found.push(unit.text.as_bytes(), term, 0);
        }
    } else {
        typos.matches(dictionary, &unit.text, 0, true, |key, term, _| {
            found.push(key, term, 0);
            taken += 1;
            taken < DERIVATION_SCAN_LIMIT
        });
    }
    if unit.max_typos > 0 {
        let mut taken = 0;
        let visit = |key: &[u8], term, distance| {
            if distance > 0 {
                // exact matches are in already
                found.push(key, term, distance);
                taken += 1;
            }
            taken < DERIVATION_SCAN_LIMIT
        };
        if unit.first_letter_free {
            typos.matches_anywhere(dictionary, &unit.text, unit.max_typos, unit.prefix, visit);
        } else {
            typos.matches(dictionary, &unit.text, unit.max_typos, unit.prefix, visit);
        }
    }
    if unit.swaps {
        // Whole words only: a swap that also left the word unfinished is two slips.
        for swapped in swapped(&unit.text) {
            if let Some(term) = dictionary.get(&swapped) {
                found.push(swapped.as_bytes(), term, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(query: &str) -> Vec<(String, u16, bool)> {
        Plan::parse(query)
            .units
            .into_iter()
            .map(|u| (u.text, u.words, u.prefix))
            .collect()
    }

    #[test]
    fn typo_budgets_follow_word_length() {
        assert_eq!(typo_budget("rust"), 0);
        assert_eq!(typo_budget("pyhton"), 1);
        assert_eq!(typo_budget("postgresq"), 2);
        assert_eq!(typo_budget("12345"), 0);
    }

    #[test]
    fn relaxed_rules_allow_a_typo_from_four_characters_and_swaps_in_three() {
        assert_eq!(Rules::Relaxed.budget("flsk"), 1);
        assert_eq!(Rules::Normal.budget("flsk"), 0);
        assert_eq!(Rules::Relaxed.budget("bnu"), 0);
        assert_eq!(Rules::Relaxed.budget("postgresq"), 2);
        assert_eq!(Rules::Relaxed.budget("2024"), 0);
        assert!(Rules::Relaxed.swaps("bnu") && !Rules::Normal.swaps("bnu"));
        assert!(!Rules::Relaxed.swaps("flsk") && !Rules::Relaxed.swaps("123"));
        assert!(Rules::Relaxed.first_letter_free() && !Rules::Normal.first_letter_free());
        assert_eq!(swapped("bnu"), ["nbu", "bun"]);
        assert_eq!(swapped("aab"), ["aba"]);
        assert_eq!(swapped("éa"), ["aé"]);
    }

    #[test]
    fn words_written_together_are_units_too() {
        assert_eq!(
            units("node js"),
            [
                ("node".into(), 0b01, false),
                ("js".into(), 0b10, true),
                ("nodejs".into(), 0b11, true),
            ]
        );
        assert_eq!(
            units("node.js"),
            [
                ("node".into(), 0b01, false),
                ("js".into(), 0b10, true),
                ("node.js".into(), 0b11, true),
                ("nodejs".into(), 0b11, true),
            ]
        );
    }

    #[test]
    fn the_last_word_completes_only_while_typed() {
        assert!(units("postgre")[0].2);
        assert!(!units("postgre ")[0].2);
        assert!(!units("c")[0].2, "one character is too short to complete");
    }

    #[test]
    fn symbol_words_stay_whole() {
        let plan = Plan::parse("C#");
        assert_eq!(plan.words, ["c#"]);
        assert_eq!(plan.joined, "c#");
        let plan = Plan::parse("Ruby on Rails");
        assert_eq!(plan.spaced, "ruby on rails");
        assert_eq!(plan.joined, "rubyonrails");
    }

    #[test]
    fn long_queries_keep_their_first_words() {
        let plan = Plan::parse(&"word ".repeat(30));
        assert_eq!(plan.words.len(), MAX_QUERY_WORDS);
    }
}
