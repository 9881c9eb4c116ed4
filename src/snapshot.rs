//! The immutable unit every request reads: one validated catalogue, its search
//! index, its fingerprint and dates. No HTTP type: answers already made are kept by
//! the API's own memo layer (`api::memo`), keyed by [`answer_key`].
//!
//! A reload builds a whole new [`Snapshot`] beside the serving one and swaps it in
//! atomically ([`Snapshots`]); a request holds one snapshot from start to end, so
//! no answer ever mixes two catalogues.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use xxhash_rust::xxh3::Xxh3;

use crate::catalogue::{Catalogue, Date, LoadErrors};
use crate::search::Index;

/// Where a catalogue comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The files compiled into the binary.
    Embedded,
    /// A directory laid out like `data/`, re-read on reload.
    Directory(std::path::PathBuf),
}

impl Source {
    /// Loads and validates the catalogue.
    pub fn load(&self) -> Result<Catalogue, LoadErrors> {
        match self {
            Source::Embedded => Catalogue::embedded(),
            Source::Directory(dir) => Catalogue::from_dir(dir),
        }
    }
}

/// A catalogue ready to serve.
pub struct Snapshot {
    /// The catalogue.
    pub catalogue: Catalogue,
    /// Its search index: built beside the first snapshot while the server starts
    /// (see [`Snapshot::index`]), before the swap on a reload.
    index: OnceLock<Index>,
    /// Hash of the catalogue's content: equal catalogues, equal fingerprints.
    pub fingerprint: u64,
    /// When the catalogue last changed (the `Last-Modified` of every answer).
    pub last_modified: SystemTime,
    /// Monotonic number of this snapshot within the process (1 for the first).
    pub generation: u64,
}

impl Snapshot {
    /// Indexes a catalogue for serving.
    pub fn new(catalogue: Catalogue, generation: u64) -> Snapshot {
        let snapshot = Snapshot::unindexed(catalogue, generation);
        snapshot.build_index();
        snapshot
    }

    /// A snapshot whose index is still to be built ([`Snapshot::build_index`]).
    fn unindexed(catalogue: Catalogue, generation: u64) -> Snapshot {
        let fingerprint = catalogue.fingerprint();
        let updated = catalogue.updated().or(catalogue.lifecycle_as_of());
        let last_modified = updated
            .map(Date::to_system_time)
            .unwrap_or_else(SystemTime::now);
        Snapshot {
            catalogue,
            index: OnceLock::new(),
            fingerprint,
            last_modified,
            generation,
        }
    }

    /// Builds the search index (once; later calls return at once).
    fn build_index(&self) {
        self.index.get_or_init(|| {
            let started = std::time::Instant::now();
            let index = Index::build(&self.catalogue);
            log::info!(
                "search index of {} technologies built in {} ms",
                self.catalogue.len(),
                started.elapsed().as_millis()
            );
            index
        });
    }

    /// The search index, once built; `None` only for the first snapshot while the
    /// server starts.
    pub fn index_if_built(&self) -> Option<&Index> {
        self.index.get()
    }

    /// The search index, waiting for it to be built if the server has just started
    /// (block in a blocking context only).
    pub fn index(&self) -> &Index {
        self.index.wait()
    }

    /// A validator for the answer to `request_key` on `today`: the answer is a
    /// function of the catalogue, the request and the day, so equal keys mean
    /// equivalent answers (a weak validator: bytes may differ in compression or
    /// timing fields).
    pub fn answer_key(&self, request_key: &str, today: Date) -> u64 {
        answer_key(self.fingerprint, request_key, today)
    }
}

/// The search index of a first snapshot, still to be built: started on a thread of
/// its own by [`IndexBuild::start`], or when dropped.
#[must_use = "the search index is built once this is started or dropped"]
pub struct IndexBuild(Option<Arc<Snapshot>>);

impl IndexBuild {
    /// Starts building the index on a thread of its own (here, if no thread can
    /// be started).
    pub fn start(mut self) {
        self.spawn();
    }

    fn spawn(&mut self) {
        let Some(snapshot) = self.0.take() else {
            return;
        };
        let building = snapshot.clone();
        let spawned = std::thread::Builder::new()
            .name("search-index".to_owned())
            .spawn(move || building.build_index());
        if spawned.is_err() {
            snapshot.build_index();
        }
    }
}

impl Drop for IndexBuild {
    fn drop(&mut self) {
        self.spawn();
    }
}

/// The serving snapshot, swappable while requests run.
pub struct Snapshots {
    current: ArcSwap<Snapshot>,
    source: Source,
    generations: AtomicU64,
}

impl Snapshots {
    /// Loads the first snapshot from `source`; its search index is built on a
    /// thread of its own from when the returned [`IndexBuild`] is started (or
    /// dropped), so a server can first open its socket.
    pub fn load(source: Source) -> Result<(Snapshots, IndexBuild), LoadErrors> {
        let started = std::time::Instant::now();
        let catalogue = source.load()?;
        log::info!(
            "catalogue of {} technologies read and validated in {} ms",
            catalogue.len(),
            started.elapsed().as_millis()
        );
        Ok(Snapshots::unindexed(catalogue, source))
    }

    /// Serves an already loaded catalogue; reloads read `source`. The search index
    /// is built on a thread of its own, so everything but search and suggest can be
    /// served while it is built; those wait for it ([`Snapshot::index`]).
    pub fn from_catalogue(catalogue: Catalogue, source: Source) -> Snapshots {
        let (snapshots, index) = Snapshots::unindexed(catalogue, source);
        index.start();
        snapshots
    }

    fn unindexed(catalogue: Catalogue, source: Source) -> (Snapshots, IndexBuild) {
        let snapshot = Arc::new(Snapshot::unindexed(catalogue, 1));
        let snapshots = Snapshots {
            current: ArcSwap::new(snapshot.clone()),
            source,
            generations: AtomicU64::new(1),
        };
        (snapshots, IndexBuild(Some(snapshot)))
    }

    /// The snapshot serving now; hold it for the whole request.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The snapshot serving now, for a short look that does not await: unlike
    /// [`Snapshots::current`], no count on the shared `Arc` is taken (a write to
    /// a cache line every worker writes).
    pub fn peek(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Re-reads the source and swaps the new snapshot in; on any error the serving
    /// snapshot stays and the errors are returned.
    pub fn reload(&self) -> Result<Arc<Snapshot>, LoadErrors> {
        let catalogue = self.source.load()?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot = Arc::new(Snapshot::new(catalogue, generation));
        self.current.store(snapshot.clone());
        Ok(snapshot)
    }

    /// Where reloads read from.
    pub fn source(&self) -> &Source {
        &self.source
    }
}

/// The validator of an answer: XXH3 (64 bits, an output the algorithm specifies)
/// of the catalogue's fingerprint, the day and the request key, so every replica —
/// whatever toolchain built it — gives the same answer the same ETag.
pub fn answer_key(fingerprint: u64, request_key: &str, today: Date) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&fingerprint.to_le_bytes());
    hasher.update(&today.days_since_epoch().to_le_bytes());
    hasher.update(request_key.as_bytes());
    hasher.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two replicas built with different toolchains must give one answer one ETag:
    /// the key is XXH3-64 of the little-endian fingerprint and day number and the
    /// request key, the expected value computed independently (Python's
    /// `xxhash.xxh3_64_intdigest`).
    #[test]
    fn answer_keys_are_xxh3_so_every_build_agrees() {
        let day = Date::parse("2026-12-06").unwrap_or_else(|| panic!("a date"));
        assert_eq!(
            answer_key(0x0123_4567_89ab_cdef, "/v1/technologies?kind=database", day),
            0x09ee_316c_34b9_24ff
        );
    }
}
