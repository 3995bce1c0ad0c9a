//! The server's top-level modules (the files and folders directly under
//! `src/`) form layers that only point down: no two import each other,
//! directly or around a circle, and the shared state knows nothing of HTTP.
//! Read from the source, so that a new import that closes a circle fails here.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every top-level module and the `.rs` files that make it up.
fn modules() -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let files = if path.is_dir() {
            let mut files = Vec::new();
            let mut stack = vec![path];
            while let Some(dir) = stack.pop() {
                for entry in fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(path);
                    }
                }
            }
            files
        } else {
            vec![path]
        };
        modules.entry(name).or_insert_with(Vec::new).extend(files);
    }
    modules
}

/// The top-level modules a source text names through `crate::`: in paths
/// (`crate::store::Store`) and in grouped imports (`use crate::{a, b::c}`).
fn named_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The top-level names of the group, at brace depth zero.
            let (mut depth, mut item, mut end) = (0, String::new(), group.len());
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        end = i;
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c != '{' {
                    item.push(c);
                }
            }
            names.insert(first_segment(&item));
            rest = &group[end..];
        } else {
            names.insert(first_segment(rest));
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

fn first_segment(text: &str) -> String {
    text.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Which top-level modules each one imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    modules
        .iter()
        .map(|(name, files)| {
            let mut imports = BTreeSet::new();
            for file in files {
                imports.extend(named_modules(&fs::read_to_string(file).unwrap()));
            }
            imports.retain(|m| m != name && modules.contains_key(m));
            (name.clone(), imports)
        })
        .collect()
}

/// A path of imports from `from` back to `to`, if there is one.
fn path_back(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flatten() {
            if next == to {
                let mut found = path.clone();
                found.push(next.clone());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_two_top_level_modules_import_each_other_directly_or_around_a_circle() {
    let graph = graph();
    assert!(graph.len() > 10, "the walk found the modules: {graph:?}");
    let mut circles = Vec::new();
    for (module, imports) in &graph {
        for import in imports {
            if let Some(back) = path_back(&graph, import, module) {
                circles.push(format!("{module} -> {}", back.join(" -> ")));
            }
        }
    }
    assert!(circles.is_empty(), "imports that go round:\n{}", circles.join("\n"));
}

#[test]
fn the_shared_state_and_the_domain_know_nothing_of_http() {
    let graph = graph();
    for module in [
        "state",
        "ingest",
        "lifecycle",
        "store",
        "blobs",
        "integration_cache",
        "sweep",
    ] {
        let imports = &graph[module];
        assert!(!imports.contains("http"), "{module} imports http: {imports:?}");
        assert!(!imports.contains("app"), "{module} imports app: {imports:?}");
    }
}

#[test]
fn grouped_and_path_imports_are_both_read() {
    let text = "use crate::{a, b::{c, d}, e::f};\nfn x() { crate::g::h(); } // crate::ignored::x";
    let names: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(names, ["a", "b", "e", "g"]);
}
