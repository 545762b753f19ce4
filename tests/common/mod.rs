//! What the end-to-end tests share.

use std::path::{Path, PathBuf};

/// tests/golden/NAME.
pub fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `got` with tests/golden/NAME (rewritten with
/// HARVEST_UPDATE_GOLDEN=1).
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
