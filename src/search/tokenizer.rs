//! How text becomes dictionary words: the one tokenizer both the index and queries
//! use, so a query word and a document word meet only when they normalise alike.
//!
//! - **Normalised**: compatibility-decomposed (NFKD), combining marks dropped, then
//!   lowercased, so `Café`, `CAFE` and `café` are all `cafe`.
//! - **Symbol names keep their identity**: `#`, `+` and `*` right after letters or
//!   digits stay in the word (`c#`, `c++`, `f#`, `c*`), so `c#` is never `c`; a
//!   leading dot before a letter stays too (`.net`).
//! - **Compounds**: letters joined by `.`, `-`, `_` or `/` form one compound
//!   (`node.js`, `asp.net`, `ruby-on-rails`, `gorilla/mux`). Each part is a word at
//!   its own position, and the compound also yields its *joined* form (`nodejs`,
//!   `aspnet`) and, when a dot joins the parts, its *literal* form (`node.js`), both
//!   at the first part's position. So `node.js`, `node js` and `nodejs` all meet.
//!
//! This module knows nothing about fields or documents; it reports words with their
//! positions and the byte spans they cover in the original text.

use std::ops::Range;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// What a word stands for in its compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// One part of a compound (or a whole simple word).
    Part,
    /// The parts of a compound run together (`nodejs` from `node.js`).
    Joined,
    /// A dotted compound as written (`node.js`).
    Literal,
}

/// One compound of a text: its parts, how they were joined, and where it stands.
#[derive(Debug, Default)]
pub struct Compound {
    /// Normalised text of every part, back to back; `parts` slices it.
    text: String,
    /// Byte ranges of the parts in `text`, with their spans in the original text.
    parts: Vec<(Range<usize>, Range<usize>)>,
    /// The connector before each part after the first.
    connectors: Vec<char>,
}

impl Compound {
    fn clear(&mut self) {
        self.text.clear();
        self.parts.clear();
        self.connectors.clear();
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when the compound has no part (never, once reported).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The normalised text of part `index`.
    pub fn part(&self, index: usize) -> &str {
        &self.text[self.parts[index].0.clone()]
    }

    /// The original-text span of part `index`.
    pub fn part_span(&self, index: usize) -> Range<usize> {
        self.parts[index].1.clone()
    }

    /// The original-text span of the whole compound.
    pub fn span(&self) -> Range<usize> {
        match (self.parts.first(), self.parts.last()) {
            (Some(first), Some(last)) => first.1.start..last.1.end,
            _ => 0..0,
        }
    }

    /// True when a dot joins two of the parts (`node.js`, `asp.net`).
    pub fn is_dotted(&self) -> bool {
        self.connectors.contains(&'.')
    }

    /// Writes the parts run together (`nodejs`) into `out`.
    pub fn write_joined(&self, out: &mut String) {
        for index in 0..self.len() {
            out.push_str(self.part(index));
        }
    }

    /// Writes the compound as written, normalised (`node.js`, `ruby-on-rails`).
    pub fn write_literal(&self, out: &mut String) {
        for index in 0..self.len() {
            if index > 0 {
                out.push(self.connectors[index - 1]);
            }
            out.push_str(self.part(index));
        }
    }

    /// Calls `emit(word, position offset, form, span)` for every word the compound
    /// yields: each part at its own offset, then the joined and literal forms at
    /// offset 0. A leading-dot part (`.net`) also yields its dotless form.
    pub fn words(&self, scratch: &mut String, mut emit: impl FnMut(&str, u32, Form, Range<usize>)) {
        for index in 0..self.len() {
            let part = self.part(index);
            emit(part, index as u32, Form::Part, self.part_span(index));
            if let Some(dotless) = part.strip_prefix('.') {
                emit(dotless, index as u32, Form::Joined, self.part_span(index));
            }
        }
        if self.len() > 1 {
            scratch.clear();
            self.write_joined(scratch);
            emit(scratch, 0, Form::Joined, self.span());
            if self.is_dotted() {
                scratch.clear();
                self.write_literal(scratch);
                emit(scratch, 0, Form::Literal, self.span());
            }
        }
    }
}

/// How a character takes part in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Letters and digits (and combining marks, which normalise away).
    Word,
    /// `#`, `+`, `*`: kept at the end of a part (`c#`, `c++`).
    Suffix,
    /// `.`: joins parts, or starts a part before a letter (`.net`).
    Dot,
    /// `-`, `_`, `/`: join parts.
    Connector,
    /// Anything else ends a compound.
    Separator,
}

fn class(c: char) -> Class {
    match c {
        '#' | '+' | '*' => Class::Suffix,
        '.' => Class::Dot,
        '-' | '_' | '/' => Class::Connector,
        // No ASCII character is a combining mark: spaces and punctuation end here
        // without a look-up in the Unicode tables.
        c if c.is_ascii() => {
            if c.is_ascii_alphanumeric() {
                Class::Word
            } else {
                Class::Separator
            }
        }
        c if c.is_alphanumeric() || is_combining_mark(c) => Class::Word,
        _ => Class::Separator,
    }
}

/// Appends the normalised form of `c` to `out`: NFKD, marks dropped, lowercased.
pub fn push_normalised(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    decompose_compatible(c, |d| {
        if !is_combining_mark(d) {
            out.extend(d.to_lowercase());
        }
    });
}

/// The normalised form of a whole string (no splitting).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_normalised(c, &mut out);
    }
    out
}

/// Splits `text` into compounds and calls `visit` with each, in order. The
/// compound is reused between calls.
pub fn compounds(text: &str, compound: &mut Compound, mut visit: impl FnMut(&Compound)) {
    let bytes = text.as_bytes();
    compound.clear();
    // Start of the current part in the original text and in `compound.text`.
    let mut part_start: Option<(usize, usize)> = None;
    // True once a part has taken suffix symbols: it must end there.
    let mut suffixed = false;
    let end_part = |compound: &mut Compound, start: Option<(usize, usize)>, end: usize| {
        if let Some((original, normalised)) = start {
            compound
                .parts
                .push((normalised..compound.text.len(), original..end));
        }
    };
    let mut at = 0;
    while at < bytes.len() {
        if !suffixed && is_ascii_word(bytes[at]) {
            // Fast path: a run of ASCII letters and digits, lowercased at once.
            let end = bytes[at..]
                .iter()
                .position(|&b| !is_ascii_word(b))
                .map_or(bytes.len(), |length| at + length);
            if part_start.is_none() {
                part_start = Some((at, compound.text.len()));
            }
            let start = compound.text.len();
            compound.text.push_str(&text[at..end]);
            compound.text[start..].make_ascii_lowercase();
            at = end;
            continue;
        }
        let c = text[at..].chars().next().unwrap_or(' ');
        let next = at + c.len_utf8();
        let next_is_word = class_at(text, next) == Class::Word;
        match class(c) {
            Class::Word if !suffixed => {
                if part_start.is_none() {
                    part_start = Some((at, compound.text.len()));
                }
                push_normalised(c, &mut compound.text);
            }
            Class::Suffix if part_start.is_some() => {
                suffixed = true;
                compound.text.push(c);
            }
            Class::Dot | Class::Connector if part_start.is_some() && next_is_word => {
                end_part(compound, part_start.take(), at);
                compound.connectors.push(c);
                suffixed = false;
            }
            Class::Dot if compound.parts.is_empty() && part_start.is_none() && next_is_word => {
                // A leading dot belongs to the part it starts (`.net`).
                part_start = Some((at, compound.text.len()));
                compound.text.push('.');
            }
            other => {
                end_part(compound, part_start.take(), at);
                if !compound.parts.is_empty() {
                    visit(compound);
                }
                compound.clear();
                suffixed = false;
                if other == Class::Word {
                    // A letter straight after suffix symbols (`c++17`) starts anew.
                    part_start = Some((at, 0));
                    push_normalised(c, &mut compound.text);
                } else if other == Class::Dot && next_is_word {
                    part_start = Some((at, 0));
                    compound.text.push('.');
                }
            }
        }
        at = next;
    }
    end_part(compound, part_start.take(), text.len());
    if !compound.parts.is_empty() {
        visit(compound);
    }
    compound.clear();
}

fn is_ascii_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

/// The class of the character at byte `at` (a separator past the end).
fn class_at(text: &str, at: usize) -> Class {
    match text.as_bytes().get(at) {
        None => Class::Separator,
        Some(&byte) if byte.is_ascii_alphanumeric() => Class::Word,
        Some(&byte) if byte.is_ascii() => class(char::from(byte)),
        Some(_) => text[at..].chars().next().map_or(Class::Separator, class),
    }
}

/// Calls `emit(word, position, form, span)` for every word of `text`, numbering
/// positions from `first_position`; returns the position after the last part.
pub fn words(
    text: &str,
    first_position: u32,
    compound: &mut Compound,
    scratch: &mut String,
    mut emit: impl FnMut(&str, u32, Form, Range<usize>),
) -> u32 {
    let mut position = first_position;
    compounds(text, compound, |c| {
        c.words(scratch, |word, offset, form, span| {
            emit(word, position + offset, form, span)
        });
        position += c.len() as u32;
    });
    position
}

/// The key a whole name is compared with: every part run together (`nodejs` for
/// `Node.js`, `node js` and `NodeJS`; `c#` for `C#`).
pub fn joined_key(text: &str) -> String {
    let mut key = String::new();
    let mut compound = Compound::default();
    compounds(text, &mut compound, |c| c.write_joined(&mut key));
    key
}

/// The key a name is completed from: compounds as written, one space apart
/// (`ruby on rails`, `node.js`).
pub fn spaced_key(text: &str) -> String {
    let mut key = String::new();
    let mut compound = Compound::default();
    compounds(text, &mut compound, |c| {
        if !key.is_empty() {
            key.push(' ');
        }
        c.write_literal(&mut key);
    });
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_words(text: &str) -> Vec<(String, u32, Form, String)> {
        let mut out = Vec::new();
        let mut compound = Compound::default();
        let mut scratch = String::new();
        words(text, 0, &mut compound, &mut scratch, |w, p, f, span| {
            out.push((w.to_owned(), p, f, text[span].to_owned()))
        });
        out
    }

    fn word_list(text: &str) -> Vec<String> {
        all_words(text).into_iter().map(|(w, ..)| w).collect()
    }

    #[test]
    fn case_and_accents_fold_away() {
        assert_eq!(
            word_list("Café CRÈME Ångström"),
            ["cafe", "creme", "angstrom"]
        );
        assert_eq!(word_list("José Valim"), ["jose", "valim"]);
    }

    #[test]
    fn symbol_names_keep_their_symbols() {
        assert_eq!(
            word_list("C# and C++, F#; C"),
            ["c#", "and", "c++", "f#", "c"]
        );
        assert_eq!(word_list("c*"), ["c*"]);
        assert_eq!(word_list("+1 #tag"), ["1", "tag"]);
    }

    #[test]
    fn dotted_names_yield_parts_joined_and_literal_forms() {
        let words = all_words("Node.js runs");
        assert_eq!(
            words,
            [
                ("node".into(), 0, Form::Part, "Node".into()),
                ("js".into(), 1, Form::Part, "js".into()),
                ("nodejs".into(), 0, Form::Joined, "Node.js".into()),
                ("node.js".into(), 0, Form::Literal, "Node.js".into()),
                ("runs".into(), 2, Form::Part, "runs".into()),
            ]
        );
        assert_eq!(
            word_list("ASP.NET Core"),
            ["asp", "net", "aspnet", "asp.net", "core"]
        );
    }

    #[test]
    fn a_leading_dot_is_kept_but_a_trailing_one_is_not() {
        assert_eq!(word_list(".NET"), [".net", "net"]);
        assert_eq!(word_list("for .NET."), ["for", ".net", "net"]);
        assert_eq!(word_list("a framework."), ["a", "framework"]);
        assert_eq!(word_list("e.g. this"), ["e", "g", "eg", "e.g", "this"]);
    }

    #[test]
    fn hyphens_and_slashes_join_without_a_literal_form() {
        assert_eq!(
            word_list("ruby-on-rails gorilla/mux"),
            [
                "ruby",
                "on",
                "rails",
                "rubyonrails",
                "gorilla",
                "mux",
                "gorillamux"
            ]
        );
        assert_eq!(word_list("well- known"), ["well", "known"]);
    }

    #[test]
    fn suffix_symbols_end_a_part() {
        assert_eq!(word_list("C++17"), ["c++", "17"]);
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let words = all_words("ØMQ, Sebastián");
        assert_eq!(words[0].3, "ØMQ");
        assert_eq!(words[0].0, "ømq");
        assert_eq!(words[1].3, "Sebastián");
        assert_eq!(words[1].0, "sebastian");
    }

    #[test]
    fn keys_compare_whole_names() {
        for name in ["Node.js", "node js", "NodeJS", "node-js"] {
            assert_eq!(joined_key(name), "nodejs", "{name}");
        }
        assert_eq!(joined_key("C#"), "c#");
        assert_eq!(joined_key("c sharp"), "csharp");
        assert_eq!(spaced_key("Ruby on  Rails"), "ruby on rails");
        assert_eq!(spaced_key("Node.js"), "node.js");
        assert_eq!(spaced_key(" .NET Core "), ".net core");
    }
}
