//! Synthetic catalogues for benchmarks: any number of valid entries whose words
//! follow the real catalogue's distributions, made deterministically from a seed.
//!
//! Each synthetic entry copies the shape of a randomly chosen real entry (its kind,
//! tag set, licence, number and length of texts, which relations it has) and fills
//! it with new words: names built from the syllables of real names (plus real name
//! suffixes such as `DB` or `.js`), texts drawn from a word-bigram chain learnt from
//! the real texts, tags mostly kept and sometimes swapped for others in proportion
//! to their real frequency. Relations point at earlier synthetic entries, skewed so
//! a few become popular, as in the real catalogue. Nothing here is used to serve
//! requests.

use std::collections::{HashMap, HashSet};

use super::{Catalogue, Relations, SourceFile, Technology};

/// A small, fast, deterministic random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }

    /// A number in `0..n` skewed towards 0 (power law), for popularity.
    pub fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as usize % n.max(1)
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A word-bigram chain learnt from texts, for text with real word frequencies.
struct Chain<'a> {
    words: Vec<&'a str>,
    /// Word numbers that start a sentence.
    starts: Vec<u32>,
    /// Per word number, the numbers of the words seen after it.
    next: Vec<Vec<u32>>,
}

impl<'a> Chain<'a> {
    fn learn(texts: impl Iterator<Item = &'a str>) -> Chain<'a> {
        let mut numbers: HashMap<&'a str, u32> = HashMap::new();
        let mut chain = Chain {
            words: Vec::new(),
            starts: Vec::new(),
            next: Vec::new(),
        };
        for text in texts {
            let mut previous: Option<u32> = None;
            for word in text.split_whitespace() {
                let number = *numbers.entry(word).or_insert_with(|| {
                    chain.words.push(word);
                    chain.next.push(Vec::new());
                    chain.words.len() as u32 - 1
                });
                match previous {
                    Some(p) if !chain.words[p as usize].ends_with('.') => {
                        chain.next[p as usize].push(number);
                    }
                    _ => chain.starts.push(number),
                }
                previous = Some(number);
            }
        }
        chain
    }

    /// About `words` words, ending at a sentence end when one comes soon after.
    fn text(&self, rng: &mut Rng, words: usize) -> String {
        let mut out = String::new();
        let mut number = *rng.pick(&self.starts) as usize;
        let mut count = 0;
        loop {
            let word = self.words[number];
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            count += 1;
            if count >= words && (word.ends_with('.') || count >= words + 12) {
                break;
            }
            let followers = &self.next[number];
            number = if followers.is_empty() || word.ends_with('.') {
                *rng.pick(&self.starts) as usize
            } else {
                *rng.pick(followers) as usize
            };
        }
        let trimmed = out.trim_end_matches([',', ';', ':']);
        if trimmed.ends_with('.') {
            trimmed.to_owned()
        } else {
            format!("{trimmed}.")
        }
    }
}

/// What the generator learns from the real catalogue.
struct Vocabulary<'a> {
    templates: &'a [Technology],
    syllables: Vec<String>,
    name_suffixes: Vec<&'a str>,
    dotted_suffixes: Vec<&'a str>,
    tags: Vec<&'a str>,
    summaries: Chain<'a>,
    texts: Chain<'a>,
}

impl<'a> Vocabulary<'a> {
    fn learn(base: &'a Catalogue) -> Vocabulary<'a> {
        let templates = base.technologies();
        let mut syllables = Vec::new();
        let mut name_suffixes = Vec::new();
        let mut dotted_suffixes = Vec::new();
        for technology in templates {
            let mut words = technology.name.split_whitespace();
            if let Some(first) = words.next() {
                let first = first.to_lowercase();
                if let Some((_, suffix)) = technology.name.split_once('.') {
                    dotted_suffixes.push(suffix);
                }
                syllables.extend(split_syllables(&first));
            }
            name_suffixes.extend(words);
        }
        syllables.sort();
        syllables.dedup();
        let tags = templates
            .iter()
            .flat_map(|t| t.tags.iter().map(String::as_str))
            .collect();
        Vocabulary {
            templates,
            syllables,
            name_suffixes,
            dotted_suffixes,
            tags,
            summaries: Chain::learn(templates.iter().map(|t| t.summary.as_str())),
            texts: Chain::learn(templates.iter().flat_map(|t| {
                std::iter::once(t.description.as_str())
                    .chain(t.strengths.iter().map(String::as_str))
                    .chain(t.weaknesses.iter().map(String::as_str))
                    .chain(t.use_cases.iter().map(String::as_str))
            })),
        }
    }

    fn pseudo_word(&self, rng: &mut Rng) -> String {
        let count = 2 + rng.below(2);
        let mut word = String::new();
        for _ in 0..count {
            let syllable: &String = rng.pick(&self.syllables);
            word.push_str(syllable);
        }
        word
    }
}

/// Splits a word into consonants-then-vowels chunks (`po`, `stgre`, `sql`).
fn split_syllables(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut seen_vowel = false;
    for c in word.chars().filter(char::is_ascii_alphabetic) {
        let vowel = "aeiouy".contains(c);
        if seen_vowel && !vowel {
            out.push(std::mem::take(&mut current));
            seen_vowel = false;
        }
        seen_vowel |= vowel;
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// `count` synthetic technology files (`technologies/<id>.json`) learnt from `base`,
/// the same for the same `base`, `count` and `seed`. They load with
/// [`Catalogue::from_files`] (or from a directory with [`Catalogue::from_dir`]).
pub fn technology_files(base: &Catalogue, count: usize, seed: u64) -> Vec<SourceFile> {
    generate(base, count, seed)
        .into_iter()
        .map(|technology| SourceFile {
            path: format!("technologies/{}.json", technology.id),
            text: serde_json::to_string_pretty(&technology).unwrap_or_default(),
        })
        .collect()
}

/// A synthetic catalogue of `count` entries (see [`technology_files`]).
pub fn catalogue(
    base: &Catalogue,
    count: usize,
    seed: u64,
) -> Result<Catalogue, super::LoadErrors> {
    Catalogue::from_files(&technology_files(base, count, seed))
}

/// `count` synthetic technologies learnt from `base`.
pub fn generate(base: &Catalogue, count: usize, seed: u64) -> Vec<Technology> {
    let vocabulary = Vocabulary::learn(base);
    let mut rng = Rng::new(seed);
    let mut taken: HashSet<String> = HashSet::new();
    let mut languages: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(count);
    if vocabulary.templates.is_empty() {
        return out;
    }
    for _ in 0..count {
        let template = rng.pick(vocabulary.templates);
        let (name, id) = unique_name(&vocabulary, &mut rng, &mut taken);
        let mut aliases = Vec::new();
        let joined: String = name.to_lowercase().chars().filter(|c| *c != ' ').collect();
        if rng.chance(0.4) && joined != id && taken.insert(joined.clone()) {
            aliases.push(joined);
        }
        if rng.chance(0.2) {
            let nickname = vocabulary.pseudo_word(&mut rng);
            if nickname != id && taken.insert(nickname.clone()) {
                aliases.push(nickname);
            }
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in &template.tags {
            let tag = if rng.chance(0.2) {
                *rng.pick(&vocabulary.tags)
            } else {
                tag.as_str()
            };
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_owned());
            }
        }
        let words = |text: &str| text.split_whitespace().count().max(4);
        let sentences = |rng: &mut Rng, items: &[String]| -> Vec<String> {
            let mut list: Vec<String> = Vec::new();
            for item in items {
                let sentence = vocabulary.texts.text(rng, words(item));
                if !list.iter().any(|s| s.eq_ignore_ascii_case(&sentence)) {
                    list.push(sentence);
                }
            }
            list
        };
        let mut relations = Relations::default();
        let pick_language = |rng: &mut Rng| -> Option<String> {
            (!languages.is_empty()).then(|| languages[rng.skewed(languages.len())].clone())
        };
        if !template.relations.for_language.is_empty()
            && let Some(language) = pick_language(&mut rng)
        {
            relations.for_language.push(language);
        }
        if !template.relations.written_in.is_empty()
            && let Some(language) = pick_language(&mut rng)
        {
            relations.written_in.push(language);
        }
        if !template.relations.used_with.is_empty() && !ids.is_empty() {
            for _ in 0..1 + rng.below(4) {
                let other = &ids[rng.skewed(ids.len())];
                if !relations.used_with.contains(other) {
                    relations.used_with.push(other.clone());
                }
            }
        }
        let technology = Technology {
            summary: vocabulary
                .summaries
                .text(&mut rng, words(&template.summary)),
            description: vocabulary
                .texts
                .text(&mut rng, words(&template.description)),
            strengths: sentences(&mut rng, &template.strengths),
            weaknesses: sentences(&mut rng, &template.weaknesses),
            use_cases: sentences(&mut rng, &template.use_cases),
            kind: template.kind,
            tags,
            relations,
            first_released: template.first_released,
            license: template.license.clone(),
            developer: None,
            website: Some(format!("https://{id}.example.org/")),
            repository: None,
            documentation: None,
            identifiers: Default::default(),
            sources: vec![format!("https://{id}.example.org/about")],
            updated: template.updated,
            aliases,
            name,
            id: id.clone(),
        };
        if technology.kind == super::Kind::Language {
            languages.push(id.clone());
        }
        ids.push(id);
        out.push(technology);
    }
    out
}

/// A name and id no entry has yet.
fn unique_name(
    vocabulary: &Vocabulary<'_>,
    rng: &mut Rng,
    taken: &mut HashSet<String>,
) -> (String, String) {
    let mut attempt = 0;
    loop {
        let mut name = capitalised(&vocabulary.pseudo_word(rng));
        if rng.chance(0.08) && !vocabulary.dotted_suffixes.is_empty() {
            name = format!("{name}.{}", rng.pick(&vocabulary.dotted_suffixes));
        } else if rng.chance(0.3) && !vocabulary.name_suffixes.is_empty() {
            name = format!("{name} {}", rng.pick(&vocabulary.name_suffixes));
        }
        if attempt >= 4 {
            // Many collisions: a number makes the name unique.
            name = format!("{name} {attempt}");
        }
        attempt += 1;
        let id = slug(&name);
        let lower = name.to_lowercase();
        if !id.is_empty() && !taken.contains(&lower) && !taken.contains(&id) {
            taken.insert(lower);
            taken.insert(id.clone());
            return (name, id);
        }
    }
}

/// Removes a character, swaps two, doubles one or changes one (never the first).
pub fn with_typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return word.to_owned();
    }
    let at = 1 + rng.below(chars.len() - 2);
    match rng.below(4) {
        0 => {
            chars.remove(at);
        }
        1 => chars.swap(at, at + 1),
        2 => chars.insert(at, chars[at]),
        _ => chars[at] = (b'a' + rng.below(26) as u8) as char,
    }
    chars.into_iter().collect()
}

/// English function words, which people leave out of searches.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "each", "for", "from", "has", "have", "in", "into", "is", "it", "its",
    "more", "most", "no", "not", "of", "on", "one", "only", "or", "other", "so", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "through", "to",
    "up", "use", "used", "was", "were", "what", "when", "where", "which", "while", "who", "will",
    "with", "without",
];

/// The words of `text` people might search for: lowercase, two characters or
/// more, no function words.
fn plain_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .map(str::to_lowercase)
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .collect()
}

/// `count` search queries of one to three words taken from random entries of
/// `catalogue` — name words, tag words, summary and description words, leaving
/// out function words (`the`, `of`) as people do — half of the words of five
/// characters or more with a typo, some last words cut short (typed so far).
pub fn search_queries(catalogue: &Catalogue, count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let technologies = catalogue.technologies();
    let mut queries = Vec::with_capacity(count);
    while queries.len() < count && !technologies.is_empty() {
        let technology = rng.pick(technologies);
        let words = 1 + rng.below(3);
        let mut query: Vec<String> = Vec::new();
        for _ in 0..words {
            let pool = match rng.below(10) {
                0..=3 => plain_words(&technology.name),
                4..=5 => plain_words(&technology.tags.join(" ")),
                6..=7 => plain_words(&technology.summary),
                _ => plain_words(&technology.description),
            };
            if pool.is_empty() {
                continue;
            }
            let mut word = rng.pick(&pool).clone();
            if word.chars().count() >= 5 && rng.chance(0.5) {
                word = with_typo(&word, &mut rng);
            }
            query.push(word);
        }
        if let Some(last) = query.last_mut()
            && last.chars().count() > 4
            && rng.chance(0.3)
        {
            let keep = 3 + rng.below(last.chars().count() - 3);
            *last = last.chars().take(keep).collect();
        }
        if !query.is_empty() {
            queries.push(query.join(" "));
        }
    }
    queries
}

/// `count` completion queries: the first 2 to 10 characters of random names, a
/// third of those of 5 or more characters with a typo.
pub fn suggest_queries(catalogue: &Catalogue, count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let technologies = catalogue.technologies();
    let mut queries = Vec::with_capacity(count);
    while queries.len() < count && !technologies.is_empty() {
        let name = rng.pick(technologies).name.to_lowercase();
        let length = name.chars().count();
        if length < 2 {
            continue;
        }
        let keep = 2 + rng.below(length.min(10) - 1);
        let mut prefix: String = name.chars().take(keep).collect();
        if keep >= 5 && rng.chance(0.33) {
            prefix = with_typo(&prefix, &mut rng);
        }
        queries.push(prefix);
    }
    queries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Catalogue {
        Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"))
    }

    #[test]
    fn synthetic_entries_pass_validation() {
        let catalogue = catalogue(&base(), 600, 7).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(catalogue.len(), 600);
        let languages = catalogue
            .technologies()
            .iter()
            .filter(|t| !t.relations.for_language.is_empty())
            .count();
        assert!(languages > 0, "some entries are for a language");
    }

    #[test]
    fn the_same_seed_makes_the_same_catalogue() {
        let base = base();
        let first = technology_files(&base, 50, 3);
        let again = technology_files(&base, 50, 3);
        let other = technology_files(&base, 50, 4);
        assert!(first.iter().zip(&again).all(|(a, b)| a.text == b.text));
        assert!(first.iter().zip(&other).any(|(a, b)| a.text != b.text));
    }

    #[test]
    fn a_written_catalogue_loads_from_its_directory() {
        let dir = std::env::temp_dir().join(format!("stackatlas-synthetic-{}", std::process::id()));
        let files = technology_files(&base(), 40, 11);
        std::fs::create_dir_all(dir.join("technologies")).unwrap_or_else(|e| panic!("{e}"));
        for file in &files {
            std::fs::write(dir.join(&file.path), &file.text).unwrap_or_else(|e| panic!("{e}"));
        }
        let loaded = Catalogue::from_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.map(|c| c.len()).ok(), Some(40));
    }

    #[test]
    fn typos_change_one_place_but_not_the_first_letter() {
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            let typo = with_typo("postgresql", &mut rng);
            assert!(typo.starts_with('p'));
            assert!(typo.len().abs_diff(10) <= 1);
        }
    }
}
