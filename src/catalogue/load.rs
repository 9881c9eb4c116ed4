//! Loading a catalogue: its files read and parsed on the worker threads (each file
//! checked on its own as it is parsed), then checked across entries, put in name
//! order and given its lookups and fingerprint.

use super::*;

impl Catalogue {
    /// The catalogue in a directory laid out like `data/`: every
    /// `technologies/*.json` and `lifecycle/*.json` file below `dir` (the
    /// `lifecycle` folder may be absent).
    pub fn from_dir(dir: &std::path::Path) -> Result<Catalogue, LoadErrors> {
        let started = std::time::Instant::now();
        let technologies_dir = dir.join("technologies");
        let technologies = json_files(&technologies_dir, true)?;
        log::debug!(
            "{} technology files listed in {} ms",
            technologies.len(),
            started.elapsed().as_millis()
        );
        let lifecycles = json_files(&dir.join("lifecycle"), false)?
            .into_iter()
            .map(|path| read_file(&path))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| LoadErrors(vec![error]))?;
        let meta_path = dir.join("catalogue.json");
        let meta = match std::fs::read_to_string(&meta_path) {
            Ok(text) => Some(SourceFile {
                path: meta_path.display().to_string(),
                text,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(LoadErrors(vec![LoadError {
                    file: meta_path.display().to_string(),
                    field: String::new(),
                    message: format!("cannot read the file: {error}"),
                }]));
            }
        };
        let folder = Folder::open(technologies_dir);
        let technologies: Vec<Input<'_>> = technologies.into_iter().map(Input::Disk).collect();
        Catalogue::from_inputs(&technologies, &lifecycles, folder.as_ref())?
            .with_meta(meta.as_ref())
    }

    /// Parses and validates technology files into a catalogue without lifecycles.
    pub fn from_files(files: &[SourceFile]) -> Result<Catalogue, LoadErrors> {
        Catalogue::from_sources(files, &[])
    }

    /// Parses and validates technology and lifecycle files into a catalogue.
    pub fn from_sources(
        files: &[SourceFile],
        lifecycle_files: &[SourceFile],
    ) -> Result<Catalogue, LoadErrors> {
        let inputs: Vec<Input<'_>> = files.iter().map(Input::Loaded).collect();
        Catalogue::from_inputs(&inputs, lifecycle_files, None)
    }

    /// Parses and validates technology files (read from disk by the parsing
    /// threads where they are not loaded yet, through `folder` when they are in it)
    /// and lifecycle files.
    fn from_inputs(
        inputs: &[Input<'_>],
        lifecycle_files: &[SourceFile],
        folder: Option<&Folder>,
    ) -> Result<Catalogue, LoadErrors> {
        let mut errors = Vec::new();
        let mut parsed = Vec::with_capacity(inputs.len());
        // The worker threads read and parse the files (start-up time is mostly this and
        // indexing); each also runs the checks that need one entry only and hashes
        // the file for the fingerprint, so a file's text is dropped once parsed.
        let started = std::time::Instant::now();
        let results = Parsed::all(inputs, folder);
        let mut found = Vec::new();
        let mut hasher = Xxh3::new();
        // Texts of the files with a problem, to say where in the file it is.
        let mut kept: HashMap<String, String> = HashMap::new();
        for result in results {
            match result {
                Ok(parsed_file) => {
                    hasher.update(&parsed_file.hash.to_le_bytes());
                    if let Some(text) = parsed_file.kept_text {
                        kept.insert(parsed_file.path.clone(), text);
                    }
                    parsed.push((parsed_file.path, parsed_file.technology));
                    found.extend(parsed_file.errors);
                }
                Err(error) => errors.push(error),
            }
        }
        let mut stored_lifecycles = Vec::with_capacity(lifecycle_files.len());
        for file in lifecycle_files {
            hasher.update(&file_hash(&file.path, &file.text).to_le_bytes());
            match parse_json::<StoredLifecycle>(&file.path, &file.text) {
                Ok(lifecycle) => stored_lifecycles.push((file.path.clone(), lifecycle)),
                Err(error) => errors.push(error),
            }
        }
        let parsed_in = started.elapsed();
        // The names' check across entries on one thread; the name order, the lookup
        // tables (which need no valid catalogue to be made) and the identifiers'
        // check on this one; then the relations' check on both.
        let (checks, order, lookups) = std::thread::scope(|scope| {
            let names = scope.spawn(|| validate::unique_names(&parsed));
            // Ids are unique, so the order is total; each name is lowercased once.
            let mut order: Vec<usize> = (0..parsed.len()).collect();
            order.sort_by_cached_key(|&i| (parsed[i].1.name.to_lowercase(), &parsed[i].1.id));
            let sorted: Vec<&Technology> = order.iter().map(|&i| &parsed[i].1).collect();
            let lookups = Lookups::of(&sorted);
            let identifiers = validate::unique_identifiers(&parsed);
            let (mut checks, names) = names
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            checks.extend(identifiers);
            checks.extend(
                in_order_on_threads(&parsed, 1024, |entry, _: &mut ()| {
                    validate::relations(std::slice::from_ref(entry), &names)
                })
                .flatten(),
            );
            checks.extend(validate::lifecycles(&parsed, &stored_lifecycles));
            (checks, order, lookups)
        });
        found.extend(checks);
        for error in &mut found {
            let loaded = inputs
                .iter()
                .filter_map(|input| match input {
                    Input::Loaded(file) => Some(*file),
                    Input::Disk(_) => None,
                })
                .chain(lifecycle_files)
                .find(|f| f.path == error.file)
                .map(|f| std::borrow::Cow::Borrowed(f.text.as_str()));
            // A file whose problem shows only beside other entries is read again.
            let text = loaded
                .or_else(|| kept.get(&error.file).map(|t| t.as_str().into()))
                .or_else(|| std::fs::read_to_string(&error.file).ok().map(Into::into));
            if let Some((line, column)) = text.and_then(|text| locate(&text, &error.field)) {
                error.file = format!("{}:{line}:{column}", error.file);
            }
        }
        errors.extend(found);
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        let checked_in = started.elapsed();
        let lifecycle_as_of = stored_lifecycles.iter().map(|(_, l)| l.as_of).min();
        let fingerprint = hasher.digest();
        let mut by_product: HashMap<String, StoredLifecycle> = stored_lifecycles
            .into_iter()
            .map(|(_, l)| (l.product.clone(), l))
            .collect();
        // Put into name order where they are (`order` holds every position once),
        // then the paths dropped in the same allocation: no second copy of the
        // entries (65 MB of fresh pages at 100,000 entries).
        permute(&mut parsed, &order);
        let technologies: Vec<Technology> = parsed.into_iter().map(|(_, t)| t).collect();
        let lifecycles = technologies
            .iter()
            .enumerate()
            .filter_map(|(position, t)| {
                let product = t.identifiers.endoflife.as_ref()?;
                by_product.remove(product).map(|l| (position, l))
            })
            .collect();
        let Lookups {
            by_id,
            by_alias,
            by_purl,
            cpes,
        } = lookups;
        log::debug!(
            "{} files read, parsed and checked on their own in {} ms, across entries by {} ms, in name order by {} ms",
            inputs.len(),
            parsed_in.as_millis(),
            checked_in.as_millis(),
            started.elapsed().as_millis()
        );
        let (license_sets, license_of) = license_sets(&technologies);
        Ok(Catalogue {
            technologies,
            by_id,
            by_alias,
            lifecycles,
            by_purl,
            cpes,
            lifecycle_as_of,
            updated: None,
            fingerprint,
            license_sets,
            license_of,
        })
    }
}

/// Rearranges `items` so that position `k` holds what was at `order[k]`
/// (`order` a permutation of the positions), by swaps along each cycle.
fn permute<T>(items: &mut [T], order: &[usize]) {
    debug_assert_eq!(items.len(), order.len());
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// A technology file to parse: already in memory, or to be read from disk.
enum Input<'a> {
    Loaded(&'a SourceFile),
    Disk(std::path::PathBuf),
}

/// A technology file parsed and checked on its own.
struct Parsed {
    path: String,
    technology: Technology,
    /// What [`validate::entry`] found.
    errors: Vec<LoadError>,
    /// Hash of the path and text, for the catalogue's fingerprint.
    hash: u64,
    /// The text of a file read from disk that has a problem.
    kept_text: Option<String>,
}

impl Parsed {
    /// Parses and checks one file; `buffer` is reused from file to file.
    fn of(
        input: &Input<'_>,
        folder: Option<&Folder>,
        buffer: &mut Vec<u8>,
    ) -> Result<Parsed, LoadError> {
        let (path, text, from_disk) = match input {
            Input::Loaded(file) => (file.path.clone(), file.text.as_str(), false),
            Input::Disk(path) => (shown(path), read_into(path, folder, buffer)?, true),
        };
        let technology = parse_json::<Technology>(&path, text)?;
        let errors = validate::entry(&path, &technology);
        Ok(Parsed {
            hash: file_hash(&path, text),
            kept_text: (from_disk && !errors.is_empty()).then(|| text.to_owned()),
            path,
            technology,
            errors,
        })
    }

    /// Parses and checks `inputs` on the worker threads, in order, each thread reusing
    /// one read buffer.
    fn all(
        inputs: &[Input<'_>],
        folder: Option<&Folder>,
    ) -> impl Iterator<Item = Result<Parsed, LoadError>> {
        in_order_on_threads(inputs, 256, move |input, buffer: &mut Vec<u8>| {
            Parsed::of(input, folder, buffer)
        })
    }
}

/// Threads to share CPU-bound work between: the cores this process may use
/// (`std::thread::available_parallelism`), at most [`MAX_THREADS`], at least one.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_THREADS)
}

/// Most threads one piece of CPU-bound work is shared between.
pub const MAX_THREADS: usize = 16;

/// `work` on contiguous parts of `0..len`, one part per worker thread (fewer for
/// small `len`), the results in order. A panic in any part is raised again here:
/// work that failed is never silently redone or left out.
pub fn split_on_threads<R: Send>(
    len: usize,
    work: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    let parts = worker_threads().min(len.max(1));
    let bounds: Vec<std::ops::Range<usize>> = (0..parts)
        .map(|part| part * len / parts..(part + 1) * len / parts)
        .collect();
    std::thread::scope(|scope| {
        let work = &work;
        let others: Vec<_> = bounds[1..]
            .iter()
            .map(|range| {
                let range = range.clone();
                scope.spawn(move || work(range))
            })
            .collect();
        let mut results = vec![work(bounds[0].clone())];
        for other in others {
            results.push(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    })
}

/// `work` done on every item on [`worker_threads`] threads, the results in the
/// items' order. The threads take `chunk` items at a time as they go, so a thread
/// slowed down (its core busy with something else) leaves more items to the others:
/// with fixed halves, one half of 100,000 files took up to 0.4 s longer than the
/// other. Each thread keeps its own `S` from item to item; a panic in any thread is
/// raised again here.
fn in_order_on_threads<T: Sync, S: Default, R: Send>(
    items: &[T],
    chunk: usize,
    work: impl Fn(&T, &mut S) -> R + Sync,
) -> impl Iterator<Item = R> {
    in_order_on(worker_threads(), items, chunk, work)
}

/// [`in_order_on_threads`] on `threads` threads.
fn in_order_on<T: Sync, S: Default, R: Send>(
    threads: usize,
    items: &[T],
    chunk: usize,
    work: impl Fn(&T, &mut S) -> R + Sync,
) -> impl Iterator<Item = R> {
    let chunk = chunk.max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let mut state = S::default();
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(chunk, std::sync::atomic::Ordering::Relaxed);
            if start >= items.len() {
                break;
            }
            let end = start.saturating_add(chunk).min(items.len());
            let results: Vec<R> = items[start..end]
                .iter()
                .map(|item| work(item, &mut state))
                .collect();
            done.push((start, results));
        }
        done
    };
    let mut done = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads.max(1)).map(|_| scope.spawn(take)).collect();
        let mut done = take();
        for other in others {
            done.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(start, _)| *start);
    done.into_iter().flat_map(|(_, results)| results)
}

/// A folder of data files. Files are opened without updating their access time
/// where the server may (it owns them): reading the catalogue should not write to
/// the disk, and the first start after the files were written would otherwise dirty
/// every file's inode (25 MB to write back at 100,000 entries). `O_NOATIME` is asked
/// through `OpenOptionsExt::custom_flags`, a safe API; opening each file relative to
/// a folder descriptor (`openat`) saved one path lookup per file but needed `unsafe`,
/// and was dropped.
struct Folder {
    /// Whether `O_NOATIME` is still worth asking for (cleared on the first refusal).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    no_atime: std::sync::atomic::AtomicBool,
}

impl Folder {
    /// The folder at `path`, when it is one (else files are opened as they come).
    fn open(path: std::path::PathBuf) -> Option<Folder> {
        if !path.is_dir() {
            return None;
        }
        Some(Folder {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            no_atime: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// Opens the file at `path` for reading.
    fn open_file(&self, path: &std::path::Path) -> std::io::Result<std::fs::File> {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            use std::os::unix::fs::OpenOptionsExt;
            use std::sync::atomic::Ordering::Relaxed;
            if self.no_atime.load(Relaxed) {
                let opened = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOATIME)
                    .open(path);
                match opened {
                    // Not the files' owner: no O_NOATIME from now on.
                    Err(error) if error.raw_os_error() == Some(libc::EPERM) => {
                        self.no_atime.store(false, Relaxed);
                    }
                    opened => return opened,
                }
            }
        }
        std::fs::File::open(path)
    }
}

/// Reads a UTF-8 file into `buffer` (open, read to the end, close: no size query),
/// returning its text.
fn read_into<'b>(
    path: &std::path::Path,
    folder: Option<&Folder>,
    buffer: &'b mut Vec<u8>,
) -> Result<&'b str, LoadError> {
    use std::io::Read;
    let fail = |message: String| LoadError {
        file: shown(path),
        field: String::new(),
        message: format!("cannot read the file: {message}"),
    };
    let opened = match folder {
        Some(folder) => folder.open_file(path),
        None => std::fs::File::open(path),
    };
    let mut file = opened.map_err(|e| fail(e.to_string()))?;
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize((buffer.len() * 2).max(64 * 1024), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    std::str::from_utf8(&buffer[..filled])
        .map_err(|e| fail(format!("stream did not contain valid UTF-8 ({e})")))
}

/// A path as error messages and fingerprints show it.
fn shown(path: &std::path::Path) -> String {
    path.to_str()
        .map_or_else(|| path.display().to_string(), str::to_owned)
}

/// Hash of a file's path and text: XXH3 (64 bits), whose output the algorithm
/// specifies, so replicas built by different toolchains agree on the catalogue's
/// fingerprint and so on every ETag.
fn file_hash(path: &str, text: &str) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(path.as_bytes());
    hasher.update(&[0xFF]); // never in UTF-8: the path ends here
    hasher.update(text.as_bytes());
    hasher.digest()
}

/// Reads one data file.
fn read_file(path: &std::path::Path) -> Result<SourceFile, LoadError> {
    let mut buffer = Vec::new();
    let text = read_into(path, None, &mut buffer)?.to_owned();
    Ok(SourceFile {
        path: shown(path),
        text,
    })
}

/// The `*.json` files of a directory, in name order.
fn json_files(
    dir: &std::path::Path,
    required: bool,
) -> Result<Vec<std::path::PathBuf>, LoadErrors> {
    let fail = |file: &std::path::Path, message: String| {
        LoadErrors(vec![LoadError {
            file: file.display().to_string(),
            field: String::new(),
            message,
        }])
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(error) => return Err(fail(dir, format!("cannot read the directory: {error}"))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| fail(dir, format!("cannot list the directory: {e}")))?
            .file_name();
        if std::path::Path::new(&name)
            .extension()
            .is_some_and(|ext| ext == "json")
        {
            names.push(name);
        }
    }
    // Sorted by file name (short keys, compared as bytes), then made paths.
    names.sort_unstable();
    Ok(names.into_iter().map(|name| dir.join(name)).collect())
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
) -> Result<T, LoadError> {
    // The plain parser first; only a file that fails is parsed again to name the
    // field at fault (tracking the path costs about half of the parse).
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        LoadError {
            file: format!("{path}:{}:{}", inner.line(), inner.column()),
            field: if field == "." { String::new() } else { field },
            message: format!("invalid JSON: {inner}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{file_hash, in_order_on, permute};
    use proptest::prelude::*;

    /// The fingerprint is made of XXH3-64 hashes, whose output is specified: the
    /// expected value computed independently (Python's `xxhash.xxh3_64_intdigest`
    /// of the path, a 0xFF byte and the text).
    #[test]
    fn file_hashes_are_xxh3_of_path_and_text() {
        assert_eq!(
            file_hash("data/technologies/x.json", "{\"id\": \"x\"}"),
            0x9ad7_b556_d1f2_98c6
        );
    }

    /// Results come in the items' order although every thread takes chunks (each
    /// item takes a millisecond, so the other threads start before the first is
    /// done), and each thread's state carries from item to item.
    #[test]
    fn work_on_threads_comes_back_in_order() {
        let items: Vec<usize> = (0..64).collect();
        let done: Vec<(usize, std::thread::ThreadId, usize)> =
            in_order_on(3, &items, 1, |&item, seen: &mut usize| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                *seen += 1;
                (item, std::thread::current().id(), *seen)
            })
            .collect();
        let order: Vec<usize> = done.iter().map(|(item, _, _)| *item).collect();
        assert_eq!(order, items);
        let threads: std::collections::HashSet<_> = done.iter().map(|(_, id, _)| *id).collect();
        assert_eq!(threads.len(), 3, "every thread took items");
        // Per thread, its count of items seen goes 1, 2, 3, … in the items' order.
        for thread in threads {
            let counts: Vec<usize> = done
                .iter()
                .filter(|(_, id, _)| *id == thread)
                .map(|(_, _, seen)| *seen)
                .collect();
            assert_eq!(counts, (1..=counts.len()).collect::<Vec<_>>());
        }
    }

    proptest! {
        /// Position `k` ends up holding what was at `order[k]`, for any permutation
        /// (fixed points, long cycles, many short ones).
        #[test]
        fn permute_puts_each_item_where_the_order_says(
            order in (0usize..200).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, &order);
            prop_assert_eq!(permuted, expected);
        }
    }
}
