//! `docs/ddi.md`, the DDI table, must stay in step with the code: exactly the routines km
//! imports and resolves; each import's IRQL the rule declared with it (the one the verifier
//! build checks); "may raise" as `docs/raise-audit.md` says; "stub" exactly for Wine 8.0's stubs.

mod docs;

use std::collections::{BTreeMap, BTreeSet};

use docs::{declared_imports, repo_file, resolved_names, table_rows};

const DDI: &str = "../../docs/ddi.md";
const AUDIT: &str = "../../docs/raise-audit.md";
const STUBS: &str = "../../xtask/data/wine-8.0-stubs.tsv";

/// The column `index` (after the routine) of every row of both tables.
fn column(index: usize) -> BTreeMap<String, String> {
    let doc = repo_file(DDI);
    let mut rows = table_rows(&doc, "Imports");
    rows.extend(table_rows(&doc, "Resolved at run time"));
    rows.into_iter()
        .map(|(name, cells)| {
            let cell = cells
                .get(index)
                .unwrap_or_else(|| panic!("docs/ddi.md: the row of `{name}` is short"))
                .clone();
            (name, cell)
        })
        .collect()
}

/// How `docs/ddi.md` writes each rule keyword of `imports.rs`.
fn written(rule: &str) -> &'static str {
    match rule {
        "passive" => "PASSIVE_LEVEL",
        "apc" => "<= APC_LEVEL",
        "dispatch" => "<= DISPATCH_LEVEL",
        "any" => "any",
        other => panic!("unknown rule keyword `{other}`"),
    }
}

#[test]
fn the_table_lists_exactly_what_km_binds() {
    let doc = repo_file(DDI);
    let imports: BTreeSet<String> = table_rows(&doc, "Imports").into_keys().collect();
    let resolved: BTreeSet<String> = table_rows(&doc, "Resolved at run time")
        .into_keys()
        .collect();
    let declared: BTreeSet<String> = declared_imports().into_keys().collect();
    let looked_up: BTreeSet<String> = resolved_names().into_iter().collect();
    assert_eq!(imports, declared, "docs/ddi.md `## Imports` vs imports.rs");
    assert_eq!(
        resolved, looked_up,
        "docs/ddi.md `## Resolved` vs utf16! names"
    );
}

#[test]
fn each_import_has_the_irql_rule_declared_with_it() {
    let irql = column(1);
    let mut wrong = Vec::new();
    for (name, rule) in declared_imports() {
        // Outside `kernel_imports!` (not called through a checked wrapper): any IRQL.
        let expected = rule.as_deref().map_or("any", written);
        if irql.get(&name).map(String::as_str) != Some(expected) {
            wrong.push(format!(
                "{name}: table {:?}, imports.rs {expected}",
                irql.get(&name)
            ));
        }
    }
    assert!(wrong.is_empty(), "IRQL column out of date: {wrong:#?}");
    for (name, cell) in &irql {
        assert!(
            ["PASSIVE_LEVEL", "<= APC_LEVEL", "<= DISPATCH_LEVEL", "any"].contains(&cell.as_str()),
            "{name}: IRQL `{cell}` is not one of the rules"
        );
    }
}

#[test]
fn may_raise_agrees_with_the_raise_audit() {
    let raise = column(2);
    let audit = repo_file(AUDIT);
    let mut audited = table_rows(&audit, "Imports");
    audited.extend(table_rows(&audit, "Resolved at run time"));
    for (name, cell) in &raise {
        let verdict = audited
            .get(name)
            .and_then(|cells| cells.first())
            .unwrap_or_else(|| panic!("{name} is not in docs/raise-audit.md"));
        let audit_says_yes = verdict.contains("**yes**");
        assert_eq!(
            cell.starts_with("yes"),
            audit_says_yes,
            "{name}: ddi.md says `{cell}`, raise-audit.md says `{verdict}`"
        );
        assert!(
            cell.starts_with("yes") || cell.starts_with("no"),
            "{name}: `{cell}`"
        );
    }
}

#[test]
fn stub_is_written_exactly_for_wine_stubs() {
    let stubs: BTreeSet<String> = repo_file(STUBS)
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .filter(|(dll, _)| *dll == "ntoskrnl.exe" || *dll == "hal.dll")
        .map(|(_, name)| name.trim().to_owned())
        .collect();
    assert!(
        stubs.contains("ExAcquireRundownProtection"),
        "the stub list did not parse"
    );
    let imports = table_rows(&repo_file(DDI), "Imports");
    for (name, state) in column(3) {
        let expected = if stubs.contains(&name) {
            "stub"
        } else {
            "implemented"
        };
        assert_eq!(state, expected, "{name}: Wine 8.0 column");
        assert!(
            !(imports.contains_key(&name) && state == "stub"),
            "{name} is imported but a Wine stub: the PE lint would refuse the image"
        );
    }
}
