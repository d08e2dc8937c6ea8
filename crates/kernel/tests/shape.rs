//! The library's modules import one another one way only: a request flows dispatch →
//! handlers → methods / inverted / ring channel → registry → km, and the types every step shares
//! live in leaf modules. A module that imported one importing it back would tie the two into
//! one unit no reader can take in alone (the driver's dispatch, handlers, methods and inverted
//! call once formed such a cycle). Checked from the sources: each `crate::<module>` a module
//! names is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of `src/` and the modules of this crate it names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src/ lists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a module reads");
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::Evshare` and the like are re-exported items, not modules.
            let is_module = module.starts_with(|c: char| c.is_ascii_lowercase());
            if is_module && module != name {
                named.insert(module);
            }
        }
        modules.insert(name, named);
    }
    modules
}

/// A cycle through `start`, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(path.last()?)?.clone() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next);
            return Some(cycle);
        }
        if path.contains(&next) {
            continue;
        }
        path.push(next);
        if let Some(cycle) = cycle_from(graph, start, path) {
            return Some(cycle);
        }
        path.pop();
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() >= 10, "found only {:?}", graph.keys());
    for module in graph.keys() {
        let cycle = cycle_from(&graph, module, &mut vec![module.clone()]);
        assert_eq!(cycle, None, "modules import each other back");
    }
}

#[test]
fn requests_flow_from_dispatch_down() {
    let graph = imports();
    let order = [
        "dispatch",
        "handlers",
        "methods",
        "registry",
        "registration",
    ];
    for (upper, lower) in order.iter().zip(order.iter().skip(1)) {
        assert!(
            reaches(&graph, upper, lower),
            "{upper} should reach {lower} (the graph moved: update this test and the crate docs)"
        );
        assert!(
            !reaches(&graph, lower, upper),
            "{lower} reaches back up to {upper}"
        );
    }
    // The shared types: each names only others of them (the handle's state holds its inverted
    // call's channel inbox, which completes IRPs through `notification`).
    let leaves = [
        "caller",
        "config",
        "handle_state",
        "stats",
        "channel_inbox",
        "notification",
    ];
    for leaf in leaves {
        let named = &graph[leaf];
        assert!(
            named.iter().all(|m| leaves.contains(&m.as_str())),
            "{leaf} is a leaf but names {named:?}"
        );
    }
}

#[test]
fn sources_sit_above_the_instance_and_nothing_calls_them() {
    // A source is a host's caller of `Evshare::publish`: it names the instance and its
    // channels, and no module of the library names it back (the library never publishes on
    // its own).
    let graph = imports();
    let named = &graph["source"];
    assert!(
        named.contains("dispatch") && named.contains("channel"),
        "source should name dispatch and channel, names {named:?}"
    );
    let callers: Vec<&String> = graph
        .iter()
        .filter(|(_, named)| named.contains("source"))
        .map(|(module, _)| module)
        .collect();
    assert!(callers.is_empty(), "{callers:?} name source");
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(module) = todo.pop() {
        if module == to {
            return true;
        }
        if seen.insert(module.clone()) {
            todo.extend(graph.get(&module).into_iter().flatten().cloned());
        }
    }
    false
}
