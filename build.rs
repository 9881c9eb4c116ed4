//! Embeds the catalogue in the binary: lists every `data/technologies/*.json` and
//! adding, changing or removing a data file rebuilds the crate.

use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn write_table(out: &mut impl Write, name: &str, dir: &Path) -> std::io::Result<()> {
    writeln!(out, "pub static {name}: &[(&str, &str)] = &[")?;
    for path in json_files(dir) {
        let file_name = path
            .strip_prefix(env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .unwrap_or(&path)
            .display()
            .to_string();
        let absolute = path.canonicalize()?;
        writeln!(
            out,
            "    ({file_name:?}, include_str!({:?})),",
            absolute.display().to_string()
        )?;
    }
    writeln!(out, "];")
}

/// An environment variable cargo sets for every build script.
fn cargo_var(name: &str) -> std::io::Result<PathBuf> {
    env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| std::io::Error::other(format!("cargo did not set {name}")))
}

fn main() -> std::io::Result<()> {
    let manifest = cargo_var("CARGO_MANIFEST_DIR")?;
    let data = manifest.join("data");
    println!("cargo:rerun-if-changed=data");
    println!("cargo:rerun-if-changed=data/technologies");
    println!("cargo:rerun-if-changed=data/lifecycle");
    let out_path = cargo_var("OUT_DIR")?.join("embedded.rs");
    let mut out = fs::File::create(out_path)?;
    write_table(&mut out, "TECHNOLOGIES", &data.join("technologies"))?;
    write_table(&mut out, "LIFECYCLES", &data.join("lifecycle"))?;
    let meta = data.join("catalogue.json");
    println!("cargo:rerun-if-changed=data/catalogue.json");
    if meta.exists() {
        writeln!(
            out,
            "pub static META: Option<(&str, &str)> = Some((\"data/catalogue.json\", include_str!({:?})));",
            meta.canonicalize()?.display().to_string()
        )?;
    } else {
        writeln!(out, "pub static META: Option<(&str, &str)> = None;")?;
    }
    Ok(())
}
