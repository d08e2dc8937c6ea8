//! `docs/raise-audit.md` must list exactly the routines km imports (`src/sys/imports.rs`) and
//! exactly the names it resolves at run time (`utf16!("…")` passed to
//! `MmGetSystemRoutineAddress`), so no routine reaches the driver without a "may it raise"
//! verdict.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every routine `kernel_imports!` declares (`RULE fn NAME(`), and every `pub fn NAME(` and
/// `pub static NAME:` declared outside it, in imports.rs.
fn declared_imports(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in source.lines().map(str::trim) {
        for prefix in [
            "pub fn ",
            "pub static ",
            "passive fn ",
            "apc fn ",
            "dispatch fn ",
            "any fn ",
        ] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
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
fn resolved_names() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut names = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in text.split("utf16!(\"").skip(1) {
            if let Some((name, _)) = piece.split_once('"') {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// The backticked first cells of the table under the heading that starts with `heading`.
fn table_names(doc: &str, heading: &str) -> BTreeSet<String> {
    let section = doc
        .split("\n## ")
        .find(|part| part.starts_with(heading))
        .unwrap_or_else(|| panic!("no section `## {heading}` in docs/raise-audit.md"));
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn the_audit_lists_exactly_the_imports() {
    let declared = declared_imports(&repo_file("src/sys/imports.rs"));
    assert!(declared.contains("MmProbeAndLockPages") && declared.len() > 40);
    let audited = table_names(&repo_file("../../docs/raise-audit.md"), "Imports");
    let missing: Vec<_> = declared.difference(&audited).collect();
    let stale: Vec<_> = audited.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/raise-audit.md is out of date: not audited {missing:?}, no longer imported {stale:?}"
    );
}

#[test]
fn the_audit_lists_exactly_the_names_resolved_at_run_time() {
    let resolved = resolved_names();
    assert!(resolved.contains("ZwQuerySection"));
    let audited = table_names(
        &repo_file("../../docs/raise-audit.md"),
        "Resolved at run time",
    );
    let missing: Vec<_> = resolved.difference(&audited).collect();
    let stale: Vec<_> = audited.difference(&resolved).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/raise-audit.md is out of date: not audited {missing:?}, no longer resolved {stale:?}"
    );
}
