//! Typo-tolerant lookups in the term dictionary: the Levenshtein automata (one and
//! two typos, transpositions counting one) and the walk of the dictionary's FST that
//! finds every key within them, including the relaxed walk that lets the first
//! letter be wrong.

use fst::Map;
use fst::raw::Output;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
