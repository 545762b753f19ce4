//! The modules form one-way layers (README "How the code is laid out"): each
//! may use only modules of lower layers, so that the cell rules, the readers,
//! the engine and the tax rules never depend on what renders or runs them. This
//! test reads every `crate::` path in `src/` (tests and comments left out) and
//! fails on one that points up or across.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers, lowest first. A module may use the modules of earlier layers.
const LAYERS: &[&[&str]] = &[
    // Cells, CSV records, memory, threads and time: no module of the crate.
    &["cell", "csvread", "memory", "threads", "time"],
    // The ledger's types.
    &["model"],
    // Readers: the ledger, and the other files a run is given.
    &["ledger", "readers"],
    // Exchange exports into ledger records; lot matching; fetching prices.
    &["import", "engine", "fetch"],
    // Form 8949, Schedule D, the carryover, the tax on a capital result; the
    // statement of a run's settings and files.
    &["tax", "statement"],
    // The tax-loss planner; the 1099-DA reconciliation.
    &["plan", "reconcile"],
    // Tables, CSV, JSON, HTML and tax-software files.
    &["render"],
    // The command line, then harvest.toml, then the commands.
    &["cli"],
    &["config"],
    &["cmd"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The code of a source file without its tests and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate modules a piece of code names: `crate::x` and `crate::{x, y::z}`.
fn used(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each top-level part of the group.
            let (mut depth, mut start) = (0usize, true);
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphanumeric() || c == '_') => name.push(c),
                    _ if start && !name.is_empty() => {
                        out.push(std::mem::take(&mut name));
                        start = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                out.push(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn visit(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            visit(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

#[test]
fn modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    visit(&src, &mut files);
    files.sort();
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut modules = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if ["lib", "main"].contains(&module.as_str()) || rel.ends_with("tests.rs") {
            continue;
        }
        modules += 1;
        let Some(mine) = layer_of(&module) else {
            panic!(
                "src/{}: module {module} is in no layer: add it to LAYERS in tests/layers.rs and to README's \"How the code is laid out\"",
                rel.display()
            );
        };
        let text = std::fs::read_to_string(f).unwrap();
        for other in used(&code(&text)) {
            if other == module {
                continue;
            }
            match layer_of(&other) {
                Some(l) if l < mine => {}
                _ => wrong
                    .entry(format!("src/{}", rel.display()))
                    .or_default()
                    .push(format!("{module} -> {other}")),
            }
        }
    }
    assert!(modules > 50, "{modules} files read");
    assert!(
        wrong.is_empty(),
        "imports that point up or across the layers (see LAYERS): {wrong:#?}"
    );
}

#[test]
fn the_reader_of_paths_sees_groups_and_skips_comments() {
    let c = code(
        "use crate::{cell::money, engine::{self, Lot}};\n// crate::cmd\nlet x = crate::tax::cents(y); // crate::render\n#[cfg(test)]\nuse crate::cmd;",
    );
    assert_eq!(used(&c), ["cell", "engine", "tax"]);
}
