//! The server binary: read settings, load the catalogue, serve until stopped.
//! SIGTERM (and SIGINT) stop accepting, let in-flight requests finish within the
//! shutdown timeout, and exit 0; SIGHUP reloads the catalogue.

use std::process::ExitCode;

use clap::Parser;
use stackatlas::api;
use stackatlas::app::Application;
use stackatlas::config::Settings;

/// Keeps glibc's allocator from holding on to freed memory: allocations of 64 KiB
/// and more (answer buffers: list pages, exports, OpenAPI) get their own mappings,
/// returned to the system when freed, instead of fragmenting the heap; and two
/// arenas serve every thread. Without this, resident memory crept up under mixed
/// load (+17% over a 60 s soak); with it, it stays flat. mimalloc was tried and
/// kept two to four times more resident memory (docs/BENCHMARKS.md).
#[cfg_attr(
    all(target_os = "linux", target_env = "gnu"),
    expect(
        unsafe_code,
        reason = "mallopt has no safe wrapper; GLIBC_TUNABLES would need the caller's environment"
    )
)]
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// The glibc tunable the server runs with: `memcpy` copies of up to 4 MiB by vector
/// loads and stores rather than `rep movsb`. On this project's machines (AMD EPYC)
/// `rep movsb` slows 4- to 20-fold when the destination sits a few bytes after the
/// source modulo 4 KiB, and each connection's write buffer lands at its own
/// offset, so some connections of every run copied each answer that slowly; the
/// vector loop does not (53,332 bytes, hot: mean 1,127 ns over 1,024 offsets,
/// worst 19,604 ns; with the tunable 956 ns, worst 1,191 ns). Under load, copying
/// the list page into actix's write buffer went from 3.06 to 2.66 µs an answer
/// (perf, 4 server instances each).
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
const TUNABLES: &str = "glibc.cpu.x86_rep_movsb_threshold=4194304";

/// `GLIBC_TUNABLES` with [`TUNABLES`] added before what the caller set (a key
/// the caller sets wins; an empty value counts as none), or `None` when the caller
/// sets the same key already.
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
fn tunables_with_ours(current: Option<std::ffi::OsString>) -> Option<std::ffi::OsString> {
    let key = TUNABLES.split('=').next().unwrap_or(TUNABLES);
    match current {
        None => Some(TUNABLES.into()),
        Some(theirs) if theirs.is_empty() => Some(TUNABLES.into()),
        Some(theirs) if theirs.to_string_lossy().contains(key) => None,
        Some(theirs) => {
            let mut value = std::ffi::OsString::from(TUNABLES);
            value.push(":");
            value.push(theirs);
            Some(value)
        }
    }
}

/// glibc reads its tunables only when a process starts: when [`TUNABLES`] are not
/// in the environment yet, starts this program again in place (same process id,
/// arguments and environment, plus `GLIBC_TUNABLES`). Should that fail, it runs
/// on without them.
fn start_with_tunables() {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
    if let Some(value) = tunables_with_ours(std::env::var_os("GLIBC_TUNABLES")) {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new("/proc/self/exe");
        if let Some(name) = args.next() {
            command.arg0(name);
        }
        // `exec` returns only when it failed.
        let _ = command.args(args).env("GLIBC_TUNABLES", value).exec();
    }
}

/// glibc's default `M_TOP_PAD`: how much more than asked a heap grows by.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_TOP_PAD: i32 = 128 * 1024;

/// While the first catalogue loads, lets each allocator heap grow in large steps:
/// a thread's heap otherwise grows by `mprotect` page by page (about 5% of the
/// start-up's CPU time at 100,000 entries, whose parsing threads allocate ~500 MB).
/// Untouched pages cost no resident memory; the default comes back once loaded, so
/// memory freed later is returned as before.
#[cfg_attr(
    all(target_os = "linux", target_env = "gnu"),
    expect(
        unsafe_code,
        reason = "mallopt has no safe wrapper, and M_TOP_PAD changes while the process runs"
    )
)]
fn grow_heaps_in_large_steps(large: bool) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, under the allocator's lock.
    // 63 MiB: a new thread heap (at most 64 MiB) is made writable whole at once.
    unsafe {
        libc::mallopt(
            libc::M_TOP_PAD,
            if large { 63 << 20 } else { DEFAULT_TOP_PAD },
        );
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = large;
}

fn print_json(value: Result<String, serde_json::Error>, what: &str) -> ExitCode {
    match value {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot render the {what}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the catalogue once, the way the server would, and reports what it found.
fn check(dir: Option<&std::path::Path>) -> ExitCode {
    let loaded = match dir {
        Some(dir) => stackatlas::catalogue::Catalogue::from_dir(dir),
        None => stackatlas::catalogue::Catalogue::embedded(),
    };
    match loaded {
        Ok(catalogue) => {
            let lifecycles = (0..catalogue.len())
                .filter(|&position| catalogue.lifecycle(position).is_some())
                .count();
            println!(
                "{} technologies, {lifecycles} with a lifecycle: no problems",
                catalogue.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::FAILURE
        }
    }
}

/// Refreshes the lifecycle facts from endoflife.date's data, or stamps `updated`,
/// in a data folder, and prints what changed.
fn refresh(settings: &Settings) -> ExitCode {
    use stackatlas::catalogue::{Date, refresh};
    let data = settings
        .data_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("data"));
    let today = Date::today();
    let done = match &settings.refresh_lifecycle {
        Some(input) => refresh::refresh(input, &data, settings.as_of.unwrap_or(today), today),
        None => refresh::stamp(&data, today),
    };
    match done {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("nothing was written; {} problems:", errors.0.len());
            for error in &errors.0 {
                eprintln!("  {error}");
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    start_with_tunables();
    tune_allocator();
    let code = serve();
    stackatlas::logging::flush(); // what the log writer has not written yet
    code
}

#[actix_web::main]
async fn serve() -> ExitCode {
    let settings = Settings::parse();
    if settings.print_openapi {
        return print_json(api::openapi().to_pretty_json(), "OpenAPI document");
    }
    if settings.print_data_schema {
        let schema = stackatlas::catalogue::schema::technology_json_schema();
        return print_json(serde_json::to_string_pretty(&schema), "data schema");
    }
    if settings.check {
        return check(settings.data_dir.as_deref());
    }
    if settings.refresh_lifecycle.is_some() || settings.stamp {
        return refresh(&settings);
    }
    stackatlas::logging::init();
    grow_heaps_in_large_steps(true);
    let built = Application::build(&settings);
    grow_heaps_in_large_steps(false);
    let application = match built {
        Ok(application) => application,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match application.run().await {
        Ok(()) => {
            log::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
mod tests {
    use std::ffi::OsString;

    use super::{TUNABLES, tunables_with_ours};

    #[test]
    fn our_tunables_go_before_the_callers_and_yield_to_the_same_key() {
        assert_eq!(tunables_with_ours(None), Some(OsString::from(TUNABLES)));
        assert_eq!(
            tunables_with_ours(Some(OsString::new())),
            Some(OsString::from(TUNABLES))
        );
        assert_eq!(
            tunables_with_ours(Some("glibc.malloc.arena_max=4".into())),
            Some(OsString::from(format!(
                "{TUNABLES}:glibc.malloc.arena_max=4"
            )))
        );
        // Once started with them (or when the caller chose a value), no new start.
        assert_eq!(tunables_with_ours(Some(TUNABLES.into())), None);
        assert_eq!(
            tunables_with_ours(Some("glibc.cpu.x86_rep_movsb_threshold=2048".into())),
            None
        );
    }
}
