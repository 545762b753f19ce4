//! Issue 19 item 3: order never matters. Importing the same files in any
//! order gives the same ledger, byte for byte: for every multi-file fixture
//! group, a property test gives `harvest import` the files shuffled, some of
//! them twice (an overlapping export given again), with the sorted runs kept
//! in memory or spilled to disk, and compares the ledger with that of the
//! files in their listed order.
//!
//! What could make the order matter, and what harvest does instead (README,
//! "Importing exchange exports"): rows of two files at one instant are
//! written in the order of the files' fingerprints (a hash of their bytes);
//! one id in two inputs keeps the copy of a ledger over an export's, and
//! otherwise that of the file with the smaller fingerprint (import reads the
//! files in that order).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use assert_cmd::Command;
use proptest::prelude::*;

const PRICES: &str = "fixtures/import/prices.csv";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.csv` inputs of a fixture directory (expected outputs and prices
/// left out), sorted.
fn inputs_in(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv") && !n.contains(".expected.") && !n.starts_with("prices"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

/// A ledger written by `import` (of the 2025 Coinbase statement), to stand
/// beside an export that overlaps it.
fn ledger_2025() -> String {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    let path = dir.path().join("ledger-2025.csv");
    if !path.exists() {
        let o = import(
            &["fixtures/import/coinbase/overlap-2025-statement.csv".to_string()],
            None,
        );
        std::fs::write(&path, o).unwrap();
    }
    path.to_str().unwrap().to_string()
}

/// Every group of files imported together in the fixtures.
fn groups() -> &'static [Vec<String>] {
    static GROUPS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut g = vec![
            // Kraken's two exports of the same trades (tests/import.rs).
            s(&[
                "fixtures/import/kraken-ledgers/trades-also-in-trades-export.csv",
                "fixtures/import/kraken-trades/trades-also-in-ledgers-export.csv",
            ]),
            s(&[
                "fixtures/import/kraken-ledgers/trade-legs-paired-by-refid.csv",
                "fixtures/import/kraken-trades/concatenated-pairs.csv",
            ]),
            // Overlapping Coinbase statements, and a ledger beside one.
            s(&[
                "fixtures/import/coinbase/overlap-2025-statement.csv",
                "fixtures/import/coinbase/overlap-2026-statement.csv",
            ]),
            vec![
                ledger_2025(),
                "fixtures/import/coinbase/overlap-2026-statement.csv".to_string(),
            ],
            inputs_in("fixtures/import/dali")
                .into_iter()
                .filter(|f| !f.contains("unpriced"))
                .collect(),
            // Binance's transfer histories.
            [
                inputs_in("fixtures/import/binance-deposits"),
                inputs_in("fixtures/import/binance-withdrawals"),
            ]
            .concat(),
            // The README walkthrough, and the own addresses end to end.
            inputs_in("fixtures/walkthrough"),
            inputs_in("fixtures/own-addresses"),
        ];
        // Groups made for this test: overlapping Binance statements, one
        // wallet exported by Electrum and by Sparrow beside the wallet its
        // send reached at the same instant, Coinbase files with rows at one
        // instant and an ID repeated with other facts, and a Coinbase wallet
        // report beside the Transfers report listing its buys and sells.
        for d in [
            "binance-overlap",
            "wallets",
            "coinbase-same-instant",
            "coinbase-wallet-and-transfers",
        ] {
            g.push(inputs_in(&format!("fixtures/order/{d}")));
        }
        for group in &g {
            assert!(group.len() >= 2, "{group:?}");
        }
        g
    })
}

/// `harvest import FILES --prices PRICES`, with the spool's budget when
/// given; its stdout (the ledger).
fn import(files: &[String], budget: Option<&str>) -> String {
    let mut c = Command::cargo_bin("harvest").unwrap();
    c.current_dir(root()).arg("import").args(files);
    c.args(["--prices", PRICES]);
    if let Some(b) = budget {
        c.env("HARVEST_IMPORT_SPOOL_BYTES", b);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "import {files:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The ledger of group `g` in its listed order.
fn reference(g: usize) -> String {
    static SEEN: OnceLock<Mutex<HashMap<usize, String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(l) = seen.lock().unwrap().get(&g) {
        return l.clone();
    }
    let l = import(&groups()[g], None);
    seen.lock().unwrap().insert(g, l.clone());
    l
}

/// A group, the order of its files (indices, some twice), and a spool budget.
fn case() -> impl Strategy<Value = (usize, Vec<usize>, Option<&'static str>)> {
    let n = groups().len();
    (0..n).prop_flat_map(|g| {
        let k = groups()[g].len();
        (
            Just(g),
            // Each file once, some a second time, all shuffled.
            proptest::collection::vec(any::<bool>(), k).prop_flat_map(move |again| {
                let mut order: Vec<usize> = (0..k).collect();
                order.extend((0..k).filter(|&i| again[i]));
                Just(order).prop_shuffle()
            }),
            prop_oneof![Just(None), Just(Some("1")), Just(Some("300"))],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_order_of_the_files_never_changes_the_ledger((g, order, budget) in case()) {
        let files: Vec<String> = order.iter().map(|&i| groups()[g][i].clone()).collect();
        prop_assert_eq!(import(&files, budget), reference(g), "{:?} budget {:?}", files, budget);
    }
}

/// Every order of each group, exhaustively, for the groups of three files or
/// fewer: the property test's cases, without chance.
#[test]
fn every_order_of_the_small_groups_gives_one_ledger() {
    fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first);
                out.push(p);
            }
        }
        out
    }
    for (g, group) in groups().iter().enumerate() {
        if group.len() > 3 {
            continue;
        }
        let idx: Vec<usize> = (0..group.len()).collect();
        for order in permutations(&idx) {
            let files: Vec<String> = order.iter().map(|&i| group[i].clone()).collect();
            assert_eq!(import(&files, None), reference(g), "{files:?}");
        }
    }
}

/// The groups made for this test do what they are for: rows of two files at
/// one instant, and an id two files give with other facts.
#[test]
fn the_made_groups_have_ties_and_other_facts() {
    let wallets = inputs_in("fixtures/order/wallets");
    let ledger = reference(groups().iter().position(|g| *g == wallets).unwrap());
    // The hot wallet's send and the cold wallet's receipt, one instant.
    assert_eq!(
        ledger.matches(",2024-03-04T12:00:00Z,").count(),
        2,
        "{ledger}"
    );
    // One wallet in both apps: its rows once each.
    assert_eq!(ledger.matches("-out-120000,").count(), 1, "{ledger}");
    let coinbase = inputs_in("fixtures/order/coinbase-same-instant");
    let ledger = reference(groups().iter().position(|g| *g == coinbase).unwrap());
    assert_eq!(
        ledger.matches(",2024-05-02T15:20:00Z,").count(),
        3,
        "{ledger}"
    );
    assert_eq!(
        ledger.matches("coinbase-e0e000000000000000000c02,").count(),
        1
    );
    // Two rows of one second, in one order in one report and in the other in
    // the other: the order of the report read first (smaller fingerprint).
    assert_eq!(
        ledger.matches(",2024-07-01T10:00:00Z,").count(),
        2,
        "{ledger}"
    );
    assert!(Path::new(&root().join("fixtures/order/README.md")).exists());
}

/// `harvest import FILE --prices PRICES` of a file's text; its stdout, or
/// None when the import fails.
fn import_text(dir: &Path, name: &str, text: &str) -> Option<String> {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let o = Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(root())
        .arg("import")
        .arg(&path)
        .args(["--prices", PRICES])
        .output()
        .unwrap();
    o.status
        .success()
        .then(|| String::from_utf8(o.stdout).unwrap())
}

/// Exports whose rows tell a repeat from a second event (Coinbase Pro's and
/// Gemini's running balance, Kraken's txid of each ledger row, Binance's
/// trades whose rows are each there as often): an export pasted twice into
/// one file gives the ledger of the export alone. So does an earlier part
/// of it pasted before the whole (two overlapping date ranges joined), cut
/// anywhere where every row states its balance or txid; Binance's statement
/// has neither, and a part ending inside a trade (one split over two
/// seconds) leaves that trade's rows there unevenly.
#[test]
fn an_export_joined_with_an_overlapping_one_counts_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let formats = [
        ("coinbase-pro", true),
        ("gemini", true),
        ("kraken-ledgers", true),
        ("binance", false),
    ];
    for (format, cut) in formats {
        for file in inputs_in(&format!("fixtures/import/{format}")) {
            let text = std::fs::read_to_string(root().join(&file)).unwrap();
            let Some(alone) = import_text(dir.path(), "alone.csv", &text) else {
                continue;
            };
            let mut lines = text.split_inclusive('\n');
            let header = lines.next().unwrap();
            let rows: Vec<&str> = lines.collect();
            let mut joined = vec![[header, &rows.concat(), &rows.concat()].concat()];
            if cut {
                for at in [1, rows.len() / 2, rows.len() - 1] {
                    joined.push([header, &rows[..at].concat(), &rows.concat()].concat());
                }
            }
            for joined in joined {
                let got = import_text(dir.path(), "joined.csv", &joined);
                assert_eq!(got.as_deref(), Some(alone.as_str()), "{file}:\n{joined}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}
