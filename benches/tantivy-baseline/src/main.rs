//! Stack Atlas's search engine and tantivy, the reference Rust search library, side
//! by side: the same synthetic catalogues (`stackatlas::catalogue::synthetic`), the
//! same fields, the same queries, in one process and one run, each answering the
//! top 20 hits, the total and exact facet counts of kind, tag and language over
//! every match.
//!
//! tantivy is given Stack Atlas's rules as far as its query types allow: each query
//! word matches any of the five fields (name, aliases, tags, summary, description)
//! with one typo from 5 characters and two from 9 (a swap of neighbours counting as
//! one), the last word also as a prefix while it is being typed, and the words are
//! alternatives (an entry matching any word is a hit, as Stack Atlas's "words
//! matched" rule ranks partial matches). Facets are counted by a collector that reads
//! the three facet columns (fast fields) of every matching document.
//!
//! Run from this folder (it is its own crate, so that `cargo test` in the project
//! never compiles tantivy):
//!
//! `cargo run --release -- --sizes 10000,100000 --queries 1000 --rounds 3`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use stackatlas::catalogue::{Catalogue, Technology, synthetic};
use stackatlas::search::Index as AtlasIndex;
use stackatlas::search::query::typo_budget;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TEXT};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocId, Index, IndexReader, ReloadPolicy, Score, SegmentOrdinal, SegmentReader, TantivyDocument,
    Term,
};

/// Most facet values answered per facet, as Stack Atlas answers.
const FACET_VALUES: usize = 100;
/// Hits answered.
const TOP: usize = 20;

struct Arguments {
    sizes: Vec<usize>,
    queries: usize,
    rounds: usize,
}

fn arguments() -> Arguments {
    let mut arguments = Arguments {
        sizes: vec![10_000, 100_000],
        queries: 1000,
        rounds: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let number = |v: &str| {
            v.parse::<usize>()
                .unwrap_or_else(|e| panic!("{flag} {v}: {e}"))
        };
        match flag.as_str() {
            "--sizes" => arguments.sizes = value.split(',').map(number).collect(),
            "--queries" => arguments.queries = number(&value),
            "--rounds" => arguments.rounds = number(&value),
            _ => panic!("unknown flag {flag} (--sizes A,B --queries N --rounds N)"),
        }
    }
    arguments
}

/// The facet values of a catalogue, numbered.
#[derive(Default)]
struct Values {
    numbers: HashMap<String, u64>,
}

impl Values {
    fn number(&mut self, value: &str) -> u64 {
        let next = self.numbers.len() as u64;
        *self.numbers.entry(value.to_owned()).or_insert(next)
    }

    fn len(&self) -> usize {
        self.numbers.len()
    }
}

struct Fields {
    text: [Field; 5],
    kind: Field,
    tag: Field,
    language: Field,
}

/// tantivy's index of a catalogue, with what its queries and facets need.
struct Baseline {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    facet_sizes: [usize; 3],
}

impl Baseline {
    fn build(technologies: &[Technology]) -> tantivy::Result<Baseline> {
        let mut schema = Schema::builder();
        let text = ["name", "aliases", "tags", "summary", "description"]
            .map(|name| schema.add_text_field(name, TEXT));
        let fields = Fields {
            text,
            kind: schema.add_u64_field("kind", FAST),
            tag: schema.add_u64_field("tag", FAST),
            language: schema.add_u64_field("language", FAST),
        };
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(2, 400_000_000)?;
        let (mut kinds, mut tags, mut languages) =
            (Values::default(), Values::default(), Values::default());
        for t in technologies {
            let mut document = TantivyDocument::default();
            document.add_text(fields.text[0], format!("{} {}", t.name, t.id));
            document.add_text(fields.text[1], t.aliases.join(" "));
            document.add_text(fields.text[2], t.tags.join(" "));
            document.add_text(fields.text[3], &t.summary);
            document.add_text(fields.text[4], &t.description);
            document.add_u64(fields.kind, kinds.number(t.kind.as_str()));
            for tag in &t.tags {
                document.add_u64(fields.tag, tags.number(tag));
            }
            for language in &t.relations.for_language {
                document.add_u64(fields.language, languages.number(language));
            }
            writer.add_document(document)?;
        }
        writer.commit()?;
        // One segment, as Stack Atlas has one index.
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let analyzer = index.tokenizer_for_field(fields.text[0])?;
        Ok(Baseline {
            reader,
            fields,
            analyzer,
            facet_sizes: [kinds.len(), tags.len(), languages.len()],
        })
    }

    /// The query: per word, any field, with Stack Atlas's typo budget, the last word
    /// also as a prefix while it is being typed; words are alternatives.
    fn query(&mut self, text: &str) -> BooleanQuery {
        let mut words: Vec<String> = Vec::new();
        let mut stream = self.analyzer.token_stream(text);
        while stream.advance() {
            if words.len() < 10 {
                words.push(stream.token().text.clone());
            }
        }
        let typing = !text.ends_with(' ');
        let count = words.len();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(count);
        for (index, word) in words.iter().enumerate() {
            let budget = typo_budget(word);
            let prefix = typing && index + 1 == count && word.chars().count() >= 2;
            let per_field: Vec<(Occur, Box<dyn Query>)> = self
                .fields
                .text
                .iter()
                .map(|&field| {
                    let term = Term::from_field_text(field, word);
                    let query: Box<dyn Query> = if prefix {
                        Box::new(FuzzyTermQuery::new_prefix(term, budget, true))
                    } else if budget > 0 {
                        Box::new(FuzzyTermQuery::new(term, budget, true))
                    } else {
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                    };
                    (Occur::Should, query)
                })
                .collect();
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(per_field))));
        }
        BooleanQuery::new(clauses)
    }

    /// Top 20, total and the three facets' largest counts.
    fn search(&mut self, text: &str) -> Answer {
        let query = self.query(text);
        let searcher = self.reader.searcher();
        let facets = FacetCounter {
            sizes: self.facet_sizes,
        };
        let collectors = (TopDocs::with_limit(TOP).order_by_score(), Count, facets);
        match searcher.search(&query, &collectors) {
            Ok((top, total, counts)) => (top, total, counts.largest()),
            Err(e) => panic!("{text}: {e}"),
        }
    }
}

/// What one search answers: the top hits, the total and each facet's largest counts.
type Answer = (
    Vec<(Score, tantivy::DocAddress)>,
    usize,
    [Vec<(u64, u32)>; 3],
);

/// Exact counts of every facet value over the matching documents.
struct FacetCounter {
    sizes: [usize; 3],
}

struct FacetCounts([Vec<u32>; 3]);

impl FacetCounts {
    /// Each facet's [`FACET_VALUES`] largest counts, largest first.
    fn largest(self) -> [Vec<(u64, u32)>; 3] {
        self.0.map(|counts| {
            let mut values: Vec<(u64, u32)> = counts
                .into_iter()
                .enumerate()
                .filter(|&(_, count)| count > 0)
                .map(|(value, count)| (value as u64, count))
                .collect();
            if values.len() > FACET_VALUES {
                values.select_nth_unstable_by(FACET_VALUES - 1, |a, b| b.1.cmp(&a.1));
                values.truncate(FACET_VALUES);
            }
            values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            values
        })
    }
}

struct SegmentFacets {
    columns: [Column<u64>; 3],
    counts: FacetCounts,
}

impl Collector for FacetCounter {
    type Fruit = FacetCounts;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let fast = reader.fast_fields();
        Ok(SegmentFacets {
            columns: [fast.u64("kind")?, fast.u64("tag")?, fast.u64("language")?],
            counts: FacetCounts(self.sizes.map(|size| vec![0; size])),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged = FacetCounts(self.sizes.map(|size| vec![0; size]));
        for fruit in fruits {
            for (into, from) in merged.0.iter_mut().zip(fruit.0) {
                for (a, b) in into.iter_mut().zip(from) {
                    *a += b;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.0.iter_mut()) {
            for value in column.values_for_doc(doc) {
                counts[value as usize] += 1;
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        self.counts
    }
}

struct Percentiles {
    p50: Duration,
    p90: Duration,
    p99: Duration,
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Times every query once per round, the two engines taking turns round by round so
/// that both meet the same machine; answers both engines' samples.
fn time_both(
    queries: &[String],
    rounds: usize,
    mut atlas: impl FnMut(&str),
    mut tantivy: impl FnMut(&str),
) -> (Vec<Duration>, Vec<Duration>) {
    for query in queries {
        atlas(query); // warm-up
        tantivy(query);
    }
    let mut times = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for query in queries {
            let started = Instant::now();
            atlas(query);
            times.0.push(started.elapsed());
        }
        for query in queries {
            let started = Instant::now();
            tantivy(query);
            times.1.push(started.elapsed());
        }
    }
    times
}

fn main() {
    let arguments = arguments();
    let base = Catalogue::embedded().unwrap_or_else(|errors| panic!("{errors}"));
    println!("| entries | engine | index build s | p50 µs | p90 µs | p99 µs |");
    println!("|---:|---|---:|---:|---:|---:|");
    let mut ratios = Vec::new();
    for &size in &arguments.sizes {
        let catalogue = synthetic::catalogue(&base, size, 42).unwrap_or_else(|e| panic!("{e}"));
        let technologies = catalogue.technologies();
        let started = Instant::now();
        let atlas = AtlasIndex::build(&catalogue);
        let atlas_build = started.elapsed();
        let started = Instant::now();
        let mut baseline = Baseline::build(technologies).unwrap_or_else(|e| panic!("{e}"));
        let tantivy_build = started.elapsed();
        let queries = synthetic::search_queries(&catalogue, arguments.queries, 1);
        // Both engines find matches for the same queries: report how many.
        let matched = queries
            .iter()
            .filter(|q| atlas.search_all(q, 0..0).total > 0)
            .count();
        let tantivy_matched = queries.iter().filter(|q| baseline.search(q).1 > 0).count();
        eprintln!(
            "{size} entries: {} queries; with hits: Stack Atlas {matched}, tantivy {tantivy_matched}",
            queries.len()
        );
        let (atlas_times, tantivy_times) = time_both(
            &queries,
            arguments.rounds,
            |q| {
                black_box(atlas.search_all(q, 0..TOP));
            },
            |q| {
                black_box(baseline.search(q));
            },
        );
        let (a, t) = (percentiles(atlas_times), percentiles(tantivy_times));
        for (engine, build, p) in [
            ("Stack Atlas", atlas_build, &a),
            ("tantivy 0.27", tantivy_build, &t),
        ] {
            println!(
                "| {size} | {engine} | {:.2} | {:.1} | {:.1} | {:.1} |",
                build.as_secs_f64(),
                micros(p.p50),
                micros(p.p90),
                micros(p.p99)
            );
        }
        ratios.push((
            size,
            micros(a.p50) / micros(t.p50),
            micros(a.p90) / micros(t.p90),
            micros(a.p99) / micros(t.p99),
        ));
    }
    println!();
    println!("| entries | Stack Atlas ÷ tantivy, p50 | p90 | p99 |");
    println!("|---:|---:|---:|---:|");
    for (size, p50, p90, p99) in ratios {
        println!("| {size} | {p50:.2} | {p90:.2} | {p99:.2} |");
    }
}
