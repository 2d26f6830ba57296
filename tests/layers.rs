//! The library's modules point one way: each imports only modules declared before it in
//! `src/lib.rs` (plumbing, then the core, then what builds on entries, then the CMS layer),
//! so no module reaches a layer above its own and no two modules import each other. The
//! crate docs' module map lists the same modules in the same order.
//!
//! Imports are read from the source text: `crate::module` paths (also inside `use crate::{..}`
//! groups), `$crate::module` in macros, `super::` out of a top-level module, and root items
//! (`crate::LogContext`) through the root's own `pub use crate::module::...` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The modules in the order `src/lib.rs` declares them.
fn declared_order(lib: &str) -> Vec<String> {
    lib.lines()
        .map(str::trim)
        .filter_map(|line| {
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_owned())
        })
        .collect()
}

/// The modules the crate docs' layer table lists, in order.
fn documented_order(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! | "))
        .filter_map(|row| row.split(" | ").nth(1))
        .filter(|cell| cell.contains('`'))
        .flat_map(|cell| {
            cell.split(", ")
                .map(|name| name.trim_matches(|c| "[]`".contains(c)).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Root names re-exported from a module (`pub use crate::context::{LogContext, Scoped};`).
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let text = lib.replace('\n', " ");
    for statement in text.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use crate::") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in items.split(|c: char| "{}, ".contains(c)) {
            if !item.is_empty() {
                names.insert(item.to_owned(), module.to_owned());
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comment lines (doc links may name any module).
fn code_of(source: &str) -> String {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first segments of the paths in a `{...}` group (nested groups skipped).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => at_start = true,
            c if at_start && depth == 0 && !c.is_whitespace() => {
                heads.push(identifier_at(&group[i..]));
                at_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// Every root-level name `code` reaches: after `crate::` / `$crate::`, and after `super::`
/// in a file at the top of its module.
fn root_names(code: &str, super_is_root: bool) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut prefixes = vec!["crate::"];
    if super_is_root {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (at, _) in code.match_indices(prefix) {
            // `super::` inside a longer name (`a_super::`) is not a path start.
            let before = code[..at].chars().next_back();
            if prefix == "super::" && before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 1;
                let end = group
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(group.len(), |(i, _)| i);
                names.extend(group_heads(&group[..end]));
            } else {
                names.insert(identifier_at(rest));
            }
        }
    }
    names.retain(|name| !name.is_empty() && name != "self" && name != "super");
    names
}

#[test]
fn modules_import_only_modules_declared_before_them() {
    let lib = std::fs::read_to_string(format!("{SRC}/lib.rs")).expect("src/lib.rs");
    let order = declared_order(&lib);
    assert!(order.len() > 20, "lib.rs declares the modules: {order:?}");
    assert_eq!(
        documented_order(&lib),
        order,
        "the crate docs' module map and lib.rs's module list disagree"
    );
    let position: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(SRC).expect("under src");
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
            .collect();
        if parts == ["lib"] {
            continue;
        }
        let module = parts[0].clone();
        let Some(&own) = position.get(module.as_str()) else {
            violations.push(format!(
                "{relative:?}: module `{module}` is not declared in lib.rs"
            ));
            continue;
        };
        let super_is_root = parts.len() == 1 || parts[1] == "mod";
        let code = code_of(&std::fs::read_to_string(file).expect("readable"));
        for name in root_names(&code, super_is_root) {
            let target = reexports.get(&name).cloned().unwrap_or(name.clone());
            let Some(&theirs) = position.get(target.as_str()) else {
                continue; // a root item that is no module (`__private`, a macro)
            };
            if theirs > own {
                violations.push(format!(
                    "{}: `{module}` imports `{target}` (via `{name}`), declared after it",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layer order:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_every_form_of_import() {
    let code = "use crate::{entry::{A, B}, registry};\nlet x = crate::db::f();\n$crate::model::g();\nsuper::page::h();\n";
    let names = root_names(code, true);
    let expected: BTreeSet<String> = ["entry", "registry", "db", "model", "page"]
        .map(String::from)
        .into();
    assert_eq!(names, expected);
    assert!(root_names("use super::read;", false).is_empty());
}
