//! What the end-to-end tests share.

use std::path::{Path, PathBuf};

/// tests/golden/NAME.
#[allow(dead_code)]
pub fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `got` with tests/golden/NAME (rewritten with
/// HARVEST_UPDATE_GOLDEN=1).
#[allow(dead_code)]
pub fn golden(name: &str, got: &str) {
    let path = golden_path(name);
    if std::env::var_os("HARVEST_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with HARVEST_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(got, want, "differs from {name}");
}

/// Runs harvest in the crate's folder with `SOURCE_DATE_EPOCH` fixed, asserts
/// success, and returns its standard output.
#[allow(dead_code)]
pub fn ok(args: &[&str]) -> String {
    let o = assert_cmd::Command::cargo_bin("harvest")
        .unwrap()
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "harvest {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A temporary folder holding a copy of every file of the fixture folder
/// `rel` (its harvest.toml included), to run harvest in.
#[allow(dead_code)]
pub fn copy_fixture(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    for e in std::fs::read_dir(&root).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// The harvest binary with `SOURCE_DATE_EPOCH` fixed, for tests that look at
/// its exit status and standard error.
#[allow(dead_code)]
pub fn harvest() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("harvest").unwrap();
    c.env("SOURCE_DATE_EPOCH", "1767225600");
    c
}

/// A report's JSON without what names the input files: its `settings`
/// (files and checksums), a scan's `inputs` (the same, with the scan's
/// settings), and the first row of each reason of the digital-asset
/// question. For comparing runs over the same facts in other files.
#[allow(dead_code)]
pub fn without_settings(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("settings");
                o.remove("inputs");
                if let Some(q) = o.get_mut("digital_asset_question") {
                    for key in ["yes_because", "not_counted"] {
                        for r in q[key].as_array_mut().into_iter().flatten() {
                            if let Some(r) = r.as_object_mut() {
                                r.remove("first");
                            }
                        }
                    }
                }
            }
            serde_json::to_string_pretty(&v).unwrap()
        }
        Err(_) => json.to_string(),
    }
}
