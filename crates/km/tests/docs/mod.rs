//! Reading km's sources and its docs' tables, for the tests that keep the docs in step with
//! the code (`raise_audit.rs`, `ddi_table.rs`).
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file of the repository, by its path relative to `crates/km`.
pub fn repo_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every import in `src/sys/imports.rs` and its IRQL rule: `kernel_imports!` entries
/// (`RULE fn NAME(`) with their rule, and the `pub fn NAME(` / `pub static NAME:` declared
/// outside it, with `None`.
pub fn declared_imports() -> BTreeMap<String, Option<String>> {
    let source = repo_file("src/sys/imports.rs");
    let mut names = BTreeMap::new();
    for line in source.lines().map(str::trim) {
        for (prefix, rule) in [
            ("pub fn ", None),
            ("pub static ", None),
            ("passive fn ", Some("passive")),
            ("apc fn ", Some("apc")),
            ("dispatch fn ", Some("dispatch")),
            ("any fn ", Some("any")),
        ] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name, rule.map(str::to_owned));
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every `utf16!("NAME")` in km's sources: the names km looks up at run time.
pub fn resolved_names() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut names = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in text.split("utf16!(\"").skip(1) {
            if let Some((name, _)) = piece.split_once('"') {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The rows of the table under the heading (`## …`) that starts with `heading` in `doc`: the
/// backticked first cell, then the other cells, trimmed.
pub fn table_rows(doc: &str, heading: &str) -> BTreeMap<String, Vec<String>> {
    let section = doc
        .split("\n## ")
        .find(|part| part.starts_with(heading))
        .unwrap_or_else(|| panic!("no section `## {heading}`"));
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, rest)| {
            let cells = rest
                .trim_start_matches(" |")
                .trim_end_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect();
            (name.to_owned(), cells)
        })
        .collect()
}
