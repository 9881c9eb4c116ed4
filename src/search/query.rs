//! How a query string becomes what the index looks up: its words, the *units* that
//! can match them (each word alone, runs of two or three words written together,
//! a dotted compound as written), and for each unit the dictionary words it
//! derives to through typos and, for the last word, completion.

use fst::Map;
use fst::raw::Output;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use super::tokenizer::{self, Compound};

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

/// The Levenshtein automaton builders for one and two typos (transpositions cost
/// one), built once per index because building them is not cheap.
pub struct TypoAutomata {
    one: LevenshteinAutomatonBuilder,
    two: LevenshteinAutomatonBuilder,
}

impl TypoAutomata {
    /// Builds both builders.
    pub fn new() -> TypoAutomata {
        TypoAutomata {
            one: LevenshteinAutomatonBuilder::new(1, true),
            two: LevenshteinAutomatonBuilder::new(2, true),
        }
    }

    /// The DFA matching words within `typos` of `text` (or with a prefix within,
    /// when `prefix`).
    pub fn dfa(&self, text: &str, typos: u8, prefix: bool) -> DFA {
        let builder = if typos >= 2 { &self.two } else { &self.one };
        if prefix {
            builder.build_prefix_dfa(text)
        } else {
            builder.build_dfa(text)
        }
    }
}

impl TypoAutomata {
    /// Calls `visit(key, value, typos)` for every key of `map` within `max_typos` of
    /// `text` (or with a prefix within, when `prefix`), in key order, until `visit`
    /// answers false.
    ///
    /// The first letter must be right (Meilisearch counts a typo there as two; this
    /// engine does not tolerate it), which keeps the walk to one branch of the FST
    /// instead of the whole dictionary — and lets the automaton be built for the rest
    /// of the word only: with the first letters equal, the distance between two words
    /// is the distance between what follows them, so the walk follows that first
    /// letter and runs the smaller automaton from there.
    pub fn matches(
        &self,
        map: &Map<Vec<u8>>,
        text: &str,
        max_typos: u8,
        prefix: bool,
        visit: impl FnMut(&[u8], u64, u8) -> bool,
    ) {
        if max_typos == 0 {
            if prefix {
                walk(map, text.as_bytes(), None, visit);
            } else if let Some(value) = map.get(text) {
                let mut visit = visit;
                visit(text.as_bytes(), value, 0);
            }
            return;
        }
        let first = text.chars().next().map_or(0, char::len_utf8);
        let dfa = self.dfa(&text[first..], max_typos, prefix);
        walk(map, &text.as_bytes()[..first], Some(&dfa), visit);
    }

    /// As [`TypoAutomata::matches`], with typos on the first letter too: the
    /// automaton for the whole word walks the whole dictionary (the relaxed rules,
    /// run only for queries that found nothing).
    pub fn matches_anywhere(
        &self,
        map: &Map<Vec<u8>>,
        text: &str,
        max_typos: u8,
        prefix: bool,
        visit: impl FnMut(&[u8], u64, u8) -> bool,
    ) {
        if max_typos == 0 {
            return self.matches(map, text, 0, prefix, visit);
        }
        let dfa = self.dfa(text, max_typos, prefix);
        walk(map, b"", Some(&dfa), visit);
    }

    /// As [`TypoAutomata::matches`] with `prefix`, for a map whose values are the
    /// keys' ranks in byte order, reporting values rather than keys: calls
    /// `visit(first, last, typos)` for runs of consecutive values `first..=last`,
    /// in key order, until `visit` answers false. A run is a whole branch of the
    /// FST every key of which the automaton accepts with the same typos — once the
    /// typed text is used up within the allowance, every longer key is accepted —
    /// so such a branch is never walked key by key.
    pub fn prefix_ranges(
        &self,
        map: &Map<Vec<u8>>,
        text: &str,
        max_typos: u8,
        mut visit: impl FnMut(u64, u64, u8) -> bool,
    ) {
        let fst = map.as_fst();
        if max_typos == 0 {
            if let Some((node, output)) = descend(fst, text.as_bytes()) {
                let (first, last) = branch(fst, node, output);
                visit(first, last, 0);
            }
            return;
        }
        let first = text.chars().next().map_or(0, char::len_utf8);
        let Some((node, output)) = descend(fst, &text.as_bytes()[..first]) else {
            return;
        };
        let dfa = self.dfa(&text[first..], max_typos, true);
        ranges_below(fst, node, output, &dfa, visit);
    }

    /// As [`TypoAutomata::prefix_ranges`], with typos on the first letter too (the
    /// relaxed rules): the automaton for the whole text walks the whole map.
    pub fn prefix_ranges_anywhere(
        &self,
        map: &Map<Vec<u8>>,
        text: &str,
        max_typos: u8,
        visit: impl FnMut(u64, u64, u8) -> bool,
    ) {
        if max_typos == 0 {
            return self.prefix_ranges(map, text, 0, visit);
        }
        let fst = map.as_fst();
        let dfa = self.dfa(text, max_typos, true);
        ranges_below(fst, fst.root(), Output::zero(), &dfa, visit);
    }
}

/// The walk of [`TypoAutomata::prefix_ranges`] below `node` (reached with
/// `output`), `dfa` reading what follows it.
fn ranges_below(
    fst: &fst::raw::Fst<Vec<u8>>,
    node: fst::raw::Node<'_>,
    output: Output,
    dfa: &DFA,
    mut visit: impl FnMut(u64, u64, u8) -> bool,
) {
    let mut sinks = Sinks::new(dfa);
    let state = dfa.initial_state();
    if let Some(typos) = sinks.accepts_all(state) {
        let (first, last) = branch(fst, node, output);
        visit(first, last, typos);
        return;
    }
    if node.is_final()
        && let Distance::Exact(typos) = dfa.distance(state)
    {
        let value = output.cat(node.final_output()).value();
        if !visit(value, value, typos) {
            return;
        }
    }
    let mut stack = Vec::with_capacity(32);
    stack.push((node, 0usize, state, output));
    while let Some(top) = stack.last_mut() {
        let (node, next, state, output) = *top;
        if next >= node.len() {
            stack.pop();
            continue;
        }
        top.1 += 1;
        let transition = node.transition(next);
        let state = dfa.transition(state, transition.inp);
        if state == SINK_STATE {
            continue;
        }
        let output = output.cat(transition.out);
        let child = fst.node(transition.addr);
        if let Some(typos) = sinks.accepts_all(state) {
            let (first, last) = branch(fst, child, output);
            if !visit(first, last, typos) {
                return;
            }
            continue;
        }
        if child.is_final()
            && let Distance::Exact(typos) = dfa.distance(state)
        {
            let value = output.cat(child.final_output()).value();
            if !visit(value, value, typos) {
                return;
            }
        }
        if !child.is_empty() {
            stack.push((child, 0, state, output));
        }
    }
}

/// The node reached by following `bytes` from the root, with the output so far.
fn descend<'f>(
    fst: &'f fst::raw::Fst<Vec<u8>>,
    bytes: &[u8],
) -> Option<(fst::raw::Node<'f>, Output)> {
    let mut node = fst.root();
    let mut output = Output::zero();
    for &byte in bytes {
        let transition = node.transition(node.find_input(byte)?);
        output = output.cat(transition.out);
        node = fst.node(transition.addr);
    }
    Some((node, output))
}

/// The first and last values of the keys below `node` (whose keys' outputs so far
/// are `output`): its leftmost and rightmost keys.
fn branch(fst: &fst::raw::Fst<Vec<u8>>, node: fst::raw::Node<'_>, output: Output) -> (u64, u64) {
    let (mut low, mut low_output) = (node, output);
    while !low.is_final() && !low.is_empty() {
        let transition = low.transition(0);
        low_output = low_output.cat(transition.out);
        low = fst.node(transition.addr);
    }
    let (mut high, mut high_output) = (node, output);
    while !high.is_empty() {
        let transition = high.transition(high.len() - 1);
        high_output = high_output.cat(transition.out);
        high = fst.node(transition.addr);
    }
    (
        low_output.cat(low.final_output()).value(),
        high_output.cat(high.final_output()).value(),
    )
}

/// Which states of a prefix automaton accept every continuation with the same
/// typos: states that every character leads back to (a character of several
/// UTF-8 bytes passes through states of its own on the way), found once per
/// state and remembered for the walk.
struct Sinks<'d> {
    dfa: &'d DFA,
    /// Per state: 0 not yet known, 1 no, `2 + typos` yes.
    known: Vec<u8>,
}

impl<'d> Sinks<'d> {
    fn new(dfa: &'d DFA) -> Sinks<'d> {
        Sinks {
            dfa,
            known: vec![0; dfa.num_states()],
        }
    }

    /// The typos every key through `state` has, when they are all the same.
    fn accepts_all(&mut self, state: u32) -> Option<u8> {
        let index = state as usize;
        if self.known[index] == 0 {
            self.known[index] = match self.dfa.distance(state) {
                Distance::Exact(typos) if self.loops(state) => 2 + typos,
                _ => 1,
            };
        }
        self.known[index].checked_sub(2)
    }

    /// True when every character, whatever its length in UTF-8, leads from
    /// `state` back to it.
    fn loops(&self, state: u32) -> bool {
        let dfa = self.dfa;
        (0..0x80u8).all(|byte| dfa.transition(state, byte) == state)
            && [(0xC2..0xE0u8, 1), (0xE0..0xF0, 2), (0xF0..0xF5, 3)]
                .into_iter()
                .all(|(leads, left)| {
                    let mut checked = None;
                    leads.into_iter().all(|lead| {
                        let to = dfa.transition(state, lead);
                        checked == Some(to) || {
                            checked = Some(to);
                            returns(dfa, to, left, state)
                        }
                    })
                })
    }
}

/// True when every `left` continuation bytes lead from `from` to `state`.
fn returns(dfa: &DFA, from: u32, left: u32, state: u32) -> bool {
    if left == 0 {
        return from == state;
    }
    let mut checked = None;
    (0x80..0xC0u8).all(|byte| {
        let to = dfa.transition(from, byte);
        checked == Some(to) || {
            checked = Some(to);
            returns(dfa, to, left - 1, state)
        }
    })
}

/// Walks the keys of `map` that start with `head`, in byte order, calling
/// `visit(key, value, typos)` for each the automaton accepts (every one without an
/// automaton) until `visit` answers false. `dfa` reads what follows `head`.
///
/// A depth-first walk of the FST's nodes that follows a transition only when the
/// automaton can still match after its byte, so dead branches are never decoded —
/// `fst`'s own stream decodes every child node before asking the automaton, which
/// made the typo walk most of a query's time.
fn walk(
    map: &Map<Vec<u8>>,
    head: &[u8],
    dfa: Option<&DFA>,
    mut visit: impl FnMut(&[u8], u64, u8) -> bool,
) {
    let fst = map.as_fst();
    let Some((node, output)) = descend(fst, head) else {
        return;
    };
    let state = dfa.map_or(0, DFA::initial_state);
    let accepts = |state: u32| match dfa {
        None => Some(0),
        Some(dfa) => match dfa.distance(state) {
            Distance::Exact(typos) => Some(typos),
            Distance::AtLeast(_) => None,
        },
    };
    let mut key = Vec::with_capacity(head.len() + 32);
    key.extend_from_slice(head);
    if node.is_final()
        && let Some(typos) = accepts(state)
        && !visit(&key, output.cat(node.final_output()).value(), typos)
    {
        return;
    }
    // (node, next transition, automaton state, output so far, key length)
    let mut stack = Vec::with_capacity(32);
    stack.push((node, 0usize, state, output));
    while let Some(top) = stack.last_mut() {
        let (node, next, state, output) = *top;
        if next >= node.len() {
            stack.pop();
            key.pop();
            continue;
        }
        top.1 += 1;
        let transition = node.transition(next);
        let state = match dfa {
            None => 0,
            Some(dfa) => dfa.transition(state, transition.inp),
        };
        if dfa.is_some() && state == SINK_STATE {
            continue;
        }
        let output = output.cat(transition.out);
        let child = fst.node(transition.addr);
        key.push(transition.inp);
        if child.is_final()
            && let Some(typos) = accepts(state)
            && !visit(&key, output.cat(child.final_output()).value(), typos)
        {
            return;
        }
        stack.push((child, 0, state, output));
    }
}

impl Default for TypoAutomata {
    fn default() -> Self {
        TypoAutomata::new()
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

    /// What `fst`'s own stream finds, as the walk must.
    fn streamed(
        typos: &TypoAutomata,
        map: &Map<Vec<u8>>,
        text: &str,
        max_typos: u8,
        prefix: bool,
    ) -> Vec<(Vec<u8>, u64, u8)> {
        use fst::automaton::{Automaton, Str};
        use fst::{IntoStreamer, Streamer};
        let mut out = Vec::new();
        if max_typos == 0 {
            let mut stream = map.search(Str::new(text).starts_with()).into_stream();
            while let Some((key, value)) = stream.next() {
                if prefix || key == text.as_bytes() {
                    out.push((key.to_vec(), value, 0));
                }
            }
            return out;
        }
        let first = text.chars().next().map_or(0, char::len_utf8);
        let dfa = typos.dfa(text, max_typos, prefix);
        let automaton = Str::new(&text[..first]).starts_with().intersection(&dfa);
        let mut stream = map.search(automaton).into_stream();
        while let Some((key, value)) = stream.next() {
            out.push((key.to_vec(), value, dfa.eval(key).to_u8()));
        }
        out
    }

    /// Over the FST of `words`, for each of `texts`, with 0 to 2 typos, whole word
    /// and prefix: the walk finds what `fst`'s stream finds, and whole branches
    /// (`prefix_ranges`) the keys walked one by one.
    fn walks_agree(words: &[String], texts: &[&str]) {
        let map = Map::from_iter(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.as_str(), i as u64)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let typos = TypoAutomata::new();
        for &text in texts {
            for max_typos in 0..=2 {
                for prefix in [false, true] {
                    let mut walked = Vec::new();
                    typos.matches(&map, text, max_typos, prefix, |key, value, distance| {
                        walked.push((key.to_vec(), value, distance));
                        true
                    });
                    assert_eq!(
                        walked,
                        streamed(&typos, &map, text, max_typos, prefix),
                        "{text} {max_typos} {prefix}"
                    );
                    if prefix {
                        let mut ranged = Vec::new();
                        typos.prefix_ranges(&map, text, max_typos, |first, last, distance| {
                            ranged.extend((first..=last).map(|value| (value, distance)));
                            true
                        });
                        let walked: Vec<(u64, u8)> =
                            walked.iter().map(|(_, value, d)| (*value, *d)).collect();
                        assert_eq!(ranged, walked, "{text} {max_typos}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_walk_finds_what_the_fst_stream_finds() {
        let mut words: Vec<String> = Vec::new();
        let syllables = [
            "py", "th", "on", "pos", "tgre", "sql", "no", "de", "js", "é", "ra", "il", "s",
        ];
        for a in syllables {
            words.push(a.to_owned());
            for b in syllables {
                words.push(format!("{a}{b}"));
                for c in syllables {
                    words.push(format!("{a}{b}{c}"));
                }
            }
        }
        words.sort();
        words.dedup();
        walks_agree(
            &words,
            &[
                "pyhton",
                "python",
                "postgre",
                "nodejs",
                "py",
                "x",
                "éra",
                "postgresqll",
                "rails",
                "thonpy",
            ],
        );
    }

    /// Words over two letters, where swaps and repeated letters next to the first
    /// one are everywhere: the automaton for what follows the first letter must find
    /// what the automaton for the whole word finds, and whole branches
    /// (`prefix_ranges`) the keys walked one by one.
    #[test]
    fn the_automaton_after_the_first_letter_agrees_with_the_whole_one() {
        let mut words: Vec<String> = vec![String::new()];
        for _ in 0..8 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| [format!("{w}a"), format!("{w}b")])
                .collect();
            words.extend(longer);
        }
        words.retain(|w| !w.is_empty());
        words.sort();
        words.dedup();
        walks_agree(
            &words,
            &[
                "aabab",
                "abaab",
                "baaba",
                "ab",
                "ba",
                "aaaaa",
                "abababab",
                "bbaabbaab",
                "aab",
            ],
        );
    }

    #[test]
    fn long_queries_keep_their_first_words() {
        let plan = Plan::parse(&"word ".repeat(30));
        assert_eq!(plan.words.len(), MAX_QUERY_WORDS);
    }
}
