//! The repository stands alone: nothing built or run from it may read a file
//! outside the clone. A clone without the team's sibling folders must build
//! and pass every test, so no code or script names one, and every literal
//! `include_str!`/`include_bytes!` resolves to a file inside the repository.
//!
//! The scan covers code and scripts (`.rs`, `.toml`, `.sh`, `.py`, `.lua`,
//! `.ci/run`); prose (`.md`) may cite anything. It skips build output
//! (`target*`), `.git` and every other hidden folder except `.ci`.

use std::{
    fs,
    path::{Component, Path, PathBuf},
};

/// Paths of the team's sibling folder, which a clone does not have. Each is
/// written in two pieces so that this file does not name them itself.
const OUTSIDE: [[&str; 2]; 4] = [
    ["..", "/shared"],
    ["shared", "/reference"],
    ["shared", "/seed"],
    ["shared", "/guide"],
];

/// The macros that read a file at compile time.
const INCLUDE_MACROS: [&str; 2] = ["include_str", "include_bytes"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// Whether the walk descends into a folder of this name.
fn walks_into(name: &str) -> bool {
    !(name.starts_with("target") || (name.starts_with('.') && name != ".ci"))
}

/// Whether a file is code or a script (as opposed to prose or data).
fn is_code_or_script(path: &Path) -> bool {
    let in_ci = path.parent().and_then(Path::file_name).is_some_and(|dir| dir == ".ci");
    let extension = path.extension().and_then(|e| e.to_str());
    matches!(extension, Some("rs" | "toml" | "sh" | "py" | "lua"))
        || (in_ci && path.file_name().is_some_and(|n| n == "run"))
}

/// Every code or script file under `root`, in a stable order.
fn code_and_scripts(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        for entry in entries {
            let entry = entry.expect("a readable folder entry");
            let path = entry.path();
            let kind = entry.file_type().expect("a file type");
            let name = entry.file_name();
            if kind.is_dir() {
                if walks_into(&name.to_string_lossy()) {
                    folders.push(path);
                }
            } else if is_code_or_script(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// One finding: where, and what is wrong there.
#[derive(Debug, PartialEq)]
struct Finding {
    file: PathBuf,
    line: usize,
    what: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// A string literal at the start of `text` (plain or raw, no escapes
/// handled beyond what paths need), and the rest of `text` after it.
fn string_literal(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body.find(&close)?;
        return Some((&body[..end], &body[end + close.len()..]));
    }
    let body = text.strip_prefix('"')?;
    let end = body.find('"')?;
    Some((&body[..end], &body[end + 1..]))
}

/// The file an include macro's argument names, relative to the including
/// file's folder (`"…"`) or to its crate (`concat!(env!("CARGO_MANIFEST_DIR"), "…")`).
/// `None` for any other argument, which this check cannot follow.
fn included_path(argument: &str, file: &Path) -> Option<PathBuf> {
    if let Some((literal, _)) = string_literal(argument) {
        return Some(file.parent()?.join(literal));
    }
    let rest = argument
        .trim_start()
        .strip_prefix("concat!")?
        .trim_start()
        .strip_prefix('(')?;
    let rest = rest.trim_start().strip_prefix("env!")?.trim_start().strip_prefix('(')?;
    let (variable, rest) = string_literal(rest)?;
    if variable != "CARGO_MANIFEST_DIR" {
        return None;
    }
    let rest = rest.trim_start().strip_prefix(')')?.trim_start().strip_prefix(',')?;
    let (literal, _) = string_literal(rest)?;
    let manifest_dir = file.ancestors().skip(1).find(|dir| dir.join("Cargo.toml").is_file())?;
    Some(manifest_dir.join(literal.trim_start_matches('/')))
}

/// `path` with `.` and `..` resolved lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Lines that name a folder outside the clone.
fn outside_references(file: &Path, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for [head, tail] in OUTSIDE {
        let needle = format!("{head}{tail}");
        for (offset, _) in text.match_indices(&needle) {
            findings.push(Finding {
                file: file.to_path_buf(),
                line: line_of(text, offset),
                what: format!("names `{needle}`, a path outside the repository"),
            });
        }
    }
    findings
}

/// Include macros whose file is missing or lies outside `root`.
fn unresolved_includes(root: &Path, file: &Path, text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for name in INCLUDE_MACROS {
        let bang = format!("{name}!");
        for (offset, _) in text.match_indices(&bang) {
            // `my_include_str!` is another macro.
            let before = text[..offset].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(argument) = text[offset + bang.len()..].trim_start().strip_prefix('(') else {
                continue;
            };
            let Some(target) = included_path(argument, file) else {
                continue;
            };
            let resolved = normalise(&target);
            let problem = if !resolved.starts_with(root) {
                Some("lies outside the repository")
            } else if !resolved.is_file() {
                Some("does not exist")
            } else {
                match resolved.canonicalize() {
                    Ok(real) if real.starts_with(root) => None,
                    _ => Some("leads outside the repository"),
                }
            };
            if let Some(problem) = problem {
                findings.push(Finding {
                    file: file.to_path_buf(),
                    line: line_of(text, offset),
                    what: format!("{bang} of {} {problem}", resolved.display()),
                });
            }
        }
    }
    findings
}

/// Every finding in the code and scripts under `root`.
fn scan(root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in code_and_scripts(root) {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        findings.extend(outside_references(&file, &text));
        findings.extend(unresolved_includes(root, &file, &text));
    }
    findings
}

/// One line per finding, its file named relative to `root`.
fn report(root: &Path, findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let file = f.file.strip_prefix(root).unwrap_or(&f.file);
            format!("\n  {}:{}: {}", file.display(), f.line, f.what)
        })
        .collect()
}

/// What `check` finds in each code or script file of the workspace.
fn findings(root: &Path, check: impl Fn(&Path, &str) -> Vec<Finding>) -> Vec<Finding> {
    code_and_scripts(root)
        .iter()
        .filter_map(|file| fs::read_to_string(file).ok().map(|text| check(file, &text)))
        .flatten()
        .collect()
}

#[test]
fn no_code_or_script_names_a_path_outside_the_repository() {
    let root = workspace_root();
    let findings = findings(&root, outside_references);
    assert!(
        findings.is_empty(),
        "the repository must stand alone:{}",
        report(&root, &findings)
    );
}

#[test]
fn every_literal_include_resolves_to_a_file_inside_the_repository() {
    let root = workspace_root();
    let findings = findings(&root, |file, text| unresolved_includes(&root, file, text));
    assert!(
        findings.is_empty(),
        "the repository must stand alone:{}",
        report(&root, &findings)
    );
}

#[test]
fn the_walk_reaches_the_crates_the_scripts_and_ci_but_not_build_output() {
    let root = workspace_root();
    let files = code_and_scripts(&root);
    for expected in [
        "Cargo.toml",
        ".ci/run",
        "crates/kycmedia/build.rs",
        "crates/kycmedia/tests/self_contained.rs",
        "crates/kycmedia-proto/src/signing.rs",
        "fixtures/make.py",
    ] {
        assert!(files.contains(&root.join(expected)), "{expected} was not scanned");
    }
    assert!(files.iter().all(|f| {
        let relative = f.strip_prefix(&root).expect("under the root");
        relative
            .components()
            .all(|c| walks_into(&c.as_os_str().to_string_lossy()))
    }));
}

/// A small tree with one file of each kind of fault, and the same faults
/// where the walk must not look.
fn faulty_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let team_folder = format!("{}{}", OUTSIDE[0][0], OUTSIDE[0][1]);
    let reference = format!("{}{}", OUTSIDE[1][0], OUTSIDE[1][1]);
    let include = format!("{}!", INCLUDE_MACROS[0]);
    write("crate/Cargo.toml", "[package]\nname = \"crate\"\n");
    write("crate/data.json", "{}");
    write("docs/vectors.json", "{}");
    write(
        "crate/src/lib.rs",
        &format!(
            "//! fine\nconst A: &str = {include}(\"../data.json\");\n\
             const B: &str = {include}(\"../missing.json\");\n\
             const C: &str = {include}(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../docs/vectors.json\"));\n\
             const D: &str = {include}(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../docs/gone.json\"));\n\
             const E: &str = {include}(\"../../../../../../../../etc/hostname\");\n"
        ),
    );
    write("scripts/fetch.sh", &format!("#!/bin/sh\ncat {team_folder}/x\n"));
    write(".ci/run", &format!("#!/bin/sh\n\ncp {reference}/y .\n"));
    write("notes.md", &format!("see {reference}/api.md\n"));
    write("target/debug/build.rs", &format!("// {team_folder}\n"));
    write(".cache/x.py", &format!("# {team_folder}\n"));
    dir
}

#[test]
fn a_reference_to_the_team_folder_is_reported_with_its_file_and_line_where_code_and_scripts_live() {
    let tree = faulty_tree();
    let root = tree.path().canonicalize().unwrap();
    let found: Vec<(String, usize)> = scan(&root)
        .into_iter()
        .filter(|f| f.what.starts_with("names"))
        .map(|f| (f.file.strip_prefix(&root).unwrap().display().to_string(), f.line))
        .collect();
    assert_eq!(found, [(".ci/run".to_owned(), 3), ("scripts/fetch.sh".to_owned(), 2)]);
}

#[test]
fn an_include_of_a_missing_file_or_of_one_outside_the_repository_is_reported_and_a_good_one_is_not() {
    let tree = faulty_tree();
    let root = tree.path().canonicalize().unwrap();
    let found: Vec<(usize, String)> = scan(&root)
        .into_iter()
        .filter(|f| f.file.ends_with("crate/src/lib.rs"))
        .map(|f| (f.line, f.what))
        .collect();
    let lines: Vec<usize> = found.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 5, 6], "{found:?}");
    assert!(found[0].1.ends_with("does not exist"), "{found:?}");
    assert!(found[1].1.ends_with("does not exist"), "{found:?}");
    assert!(found[2].1.ends_with("lies outside the repository"), "{found:?}");
}
