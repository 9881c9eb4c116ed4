//! The code's shape: no import cycles between files, and settings that know nothing
//! of the HTTP layer (docs/ARCHITECTURE.md draws the one-way dependencies).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path (`["api", "search"]` for `src/api/search.rs`).
type Module = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Module = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The paths written after `prefix` (`crate::`, `super::`) in `code`, groups
/// (`super::{a, b::c}`) expanded.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut parts: Vec<String> = path
            .split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        let after = &rest[path.len()..];
        if after.starts_with('{') {
            let group = &after[1..after.find('}').unwrap_or(1)];
            for item in group.split(',') {
                let mut item_parts = parts.clone();
                item_parts.extend(item.trim().split("::").map(str::to_owned));
                out.push(item_parts);
            }
            parts.clear();
        }
        if !parts.is_empty() {
            out.push(parts);
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items (the attribute up to the end of the
/// braces of the item it marks).
fn without_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(open) = rest.find('{') else {
            return out;
        };
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Every file's module and the modules it uses, leaving out a parent's uses of its
/// own children (declaring and registering them is what a parent does).
fn dependencies() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(&src, f)).collect();
    let resolve = |parts: &[String]| -> Option<Module> {
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].to_vec())
            .find(|m| modules.contains(m))
    };
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{e}"));
        // Code only: comments are not uses, and unit tests may reach anywhere.
        let code: String = text
            .lines()
            .map(|line| line.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let code = without_test_modules(&code);
        let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
        let mut uses = BTreeSet::new();
        let mut add = |parts: Vec<String>| {
            if let Some(target) = resolve(&parts)
                && target != module
                && !(target.len() == module.len() + 1 && target.starts_with(&module))
            {
                uses.insert(target);
            }
        };
        for parts in paths_after(&code, "crate::") {
            add(parts);
        }
        for parts in paths_after(&code, "super::") {
            let mut full = parent.clone();
            full.extend(parts);
            add(full);
        }
        graph.insert(module, uses);
    }
    graph
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = dependencies();
    assert!(graph.len() > 30, "{} modules", graph.len());
    // Depth-first search for a path back to where it started.
    fn cycle_from(
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        let last = path.last().cloned().unwrap_or_default();
        for next in graph.get(&last).into_iter().flatten() {
            if let Some(start) = path.iter().position(|m| m == next) {
                let mut cycle = path[start..].to_vec();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if done.contains(next) {
                continue;
            }
            path.push(next.clone());
            if let Some(cycle) = cycle_from(graph, path, done) {
                return Some(cycle);
            }
            path.pop();
            done.insert(next.clone());
        }
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, &mut vec![module.clone()], &mut done) {
            let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
            panic!("import cycle: {}", names.join(" -> "));
        }
        done.insert(module.clone());
    }
}

#[test]
fn settings_catalogue_and_search_know_nothing_of_http() {
    let graph = dependencies();
    for (module, uses) in &graph {
        let name = module.join("::");
        let domain = ["config", "logging", "catalogue", "search", "snapshot"]
            .iter()
            .any(|m| module.first().is_some_and(|first| first == m));
        if domain {
            assert!(
                !uses.iter().any(|m| m.first().is_some_and(|f| f == "api")),
                "{name} uses the HTTP layer: {uses:?}"
            );
        }
        if module.first().is_some_and(|f| f == "catalogue") {
            assert!(
                uses.iter()
                    .all(|m| m.first().is_some_and(|f| f == "catalogue")),
                "{name} reaches outside the domain: {uses:?}"
            );
        }
    }
}
