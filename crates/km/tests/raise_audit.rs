//! `docs/raise-audit.md` must list exactly the routines km imports (`src/sys/imports.rs`) and
//! exactly the names it resolves at run time (`utf16!("…")` passed to
//! `MmGetSystemRoutineAddress`), so no routine reaches the driver without a "may it raise"
//! verdict.

mod docs;

use std::collections::BTreeSet;

use docs::{declared_imports, repo_file, resolved_names, table_rows};

fn table_names(doc: &str, heading: &str) -> BTreeSet<String> {
    table_rows(doc, heading).into_keys().collect()
}

#[test]
fn the_audit_lists_exactly_the_imports() {
    let declared: BTreeSet<String> = declared_imports().into_keys().collect();
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
    let resolved: BTreeSet<String> = resolved_names().into_iter().collect();
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
