//! Which texts of a technology are searched, under which [`Field`], and the words
//! each yields — shared by indexing and highlighting so both see the same words at
//! the same places.

use std::ops::Range;

use super::Field;
use super::tokenizer::{self, Compound, Form};
use crate::catalogue::Technology;

/// Positions left empty between two values of one field (two aliases, the name and
/// the id), so words of different values never count as near each other.
pub const VALUE_GAP: u32 = 16;

/// Longest run of a name's compounds also indexed run together (`spring boot` →
/// `springboot`); the whole name is always indexed run together too.
const NAME_RUN: usize = 3;

/// Where a searched text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The technology's name.
    Name,
    /// Its id (ranked as the name).
    Id,
    /// One alias.
    Alias,
    /// One tag.
    Tag,
    /// The summary.
    Summary,
    /// The description.
    Description,
}

impl Source {
    /// The field words from this source rank as.
    pub fn field(self) -> Field {
        match self {
            Source::Name | Source::Id => Field::Name,
            Source::Alias => Field::Aliases,
            Source::Tag => Field::Tags,
            Source::Summary => Field::Summary,
            Source::Description => Field::Description,
        }
    }

    /// The name used in highlights.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Name => "name",
            Source::Id => "id",
            Source::Alias => "aliases",
            Source::Tag => "tags",
            Source::Summary => "summary",
            Source::Description => "description",
        }
    }

    /// True for names people type whole: their runs are indexed joined.
    fn is_name_like(self) -> bool {
        matches!(self, Source::Name | Source::Id | Source::Alias)
    }
}

/// Every searched text of `technology`, strongest field first, in index order.
pub fn sources(technology: &Technology) -> impl Iterator<Item = (Source, &str)> {
    std::iter::once((Source::Name, technology.name.as_str()))
        .chain(std::iter::once((Source::Id, technology.id.as_str())))
        .chain(
            technology
                .aliases
                .iter()
                .map(|a| (Source::Alias, a.as_str())),
        )
        .chain(technology.tags.iter().map(|t| (Source::Tag, t.as_str())))
        .chain(std::iter::once((
            Source::Summary,
            technology.summary.as_str(),
        )))
        .chain(std::iter::once((
            Source::Description,
            technology.description.as_str(),
        )))
}

/// Reusable buffers for tokenizing.
#[derive(Default)]
pub struct WordScratch {
    compound: Compound,
    text: String,
    /// Joined forms of a name's compounds: (text range in `runs`, position, span).
    compounds: Vec<(Range<usize>, u32, Range<usize>)>,
    runs: String,
    run: String,
}

/// Calls `emit(word, position, span)` for every word of one value, positions from
/// `first_position`; returns the position after the value.
pub fn value_words(
    source: Source,
    text: &str,
    first_position: u32,
    scratch: &mut WordScratch,
    mut emit: impl FnMut(&str, u32, Range<usize>),
) -> u32 {
    let WordScratch {
        compound,
        text: buffer,
        compounds,
        runs,
        run,
    } = scratch;
    compounds.clear();
    runs.clear();
    let name_like = source.is_name_like();
    let mut position = first_position;
    tokenizer::compounds(text, compound, |c| {
        c.words(buffer, |word, offset, _form: Form, span| {
            emit(word, position + offset, span)
        });
        if name_like {
            let start = runs.len();
            c.write_joined(runs);
            compounds.push((start..runs.len(), position, c.span()));
        }
        position += c.len() as u32;
    });
    if name_like && compounds.len() > 1 {
        let count = compounds.len();
        for first in 0..count {
            let longest = if first == 0 {
                count
            } else {
                NAME_RUN.min(count - first)
            };
            for length in 2..=longest {
                if length > NAME_RUN && length != count {
                    continue;
                }
                run.clear();
                for (text, ..) in &compounds[first..first + length] {
                    run.push_str(&runs[text.clone()]);
                }
                let span = compounds[first].2.start..compounds[first + length - 1].2.end;
                emit(run, compounds[first].1, span);
            }
        }
    }
    position
}

/// Calls `emit(source, value index, word, position, span)` for every word of
/// `technology`, with positions numbered per field and values of one field
/// [`VALUE_GAP`] apart.
pub fn technology_words(
    technology: &Technology,
    scratch: &mut WordScratch,
    mut emit: impl FnMut(Source, &str, u32, Range<usize>),
) {
    let mut field = None;
    let mut position = 0;
    for (source, text) in sources(technology) {
        if field != Some(source.field()) {
            field = Some(source.field());
            position = 0;
        } else {
            position += VALUE_GAP;
        }
        position = value_words(source, text, position, scratch, |word, p, span| {
            emit(source, word, p, span)
        });
    }
}
