//! Writes a synthetic catalogue for benchmarks: `DIR/technologies/<id>.json`, valid
//! for `Catalogue::from_dir` and `stackatlas --data-dir DIR`, learnt from the
//! embedded catalogue and the same for the same count and seed.
//!
//! `cargo run --release --example synthetic -- --count 100000 --out /tmp/atlas-100k`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use stackatlas::catalogue::{Catalogue, synthetic};

/// Write a synthetic catalogue.
#[derive(Debug, Parser)]
struct Arguments {
    /// Number of entries.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Directory to write `technologies/*.json` into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    let base = match Catalogue::embedded() {
        Ok(base) => base,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    let files = synthetic::technology_files(&base, arguments.count, arguments.seed);
    let folder = arguments.out.join("technologies");
    if let Err(error) = std::fs::create_dir_all(&folder) {
        eprintln!("cannot create {}: {error}", folder.display());
        return ExitCode::FAILURE;
    }
    for file in &files {
        let path = arguments.out.join(&file.path);
        if let Err(error) = std::fs::write(&path, &file.text) {
            eprintln!("cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("wrote {} technologies to {}", files.len(), folder.display());
    ExitCode::SUCCESS
}
