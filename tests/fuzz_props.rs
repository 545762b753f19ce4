//! "Never panics" property tests: the fuzzing effect without a nightly toolchain.
//!
//! Arbitrary bytes, and valid inputs mutated byte by byte and cell by cell, go
//! through the ledger reader, every importer (forced with `--format`, and
//! detected), the engine and the Form 8949 rows. Any outcome is fine except a
//! panic. A last property runs the binary itself on mutated valid ledgers and
//! asserts it never exits 101 (a panic) and always exits 0, 1 or 2.
//!
//! `HARVEST_FUZZ_CASES=N` raises the number of cases (default 256 per property).

use std::path::Path;
use std::process::Command;

use chrono_tz::Tz;
use harvest::engine::{self, Config, Method, MissingBasis, Scope};
use harvest::import::{Format, ImportOptions, Importer};
use harvest::ledger::LedgerBuilder;
use harvest::tax::{BoxRules, build_rows};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("HARVEST_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Every valid input under fixtures/ (ledgers and exchange exports): the seeds.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new("fixtures").to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "csv")
                && !p.to_string_lossy().contains(".expected")
            {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// Runs the whole library pipeline on one ledger input; panics are the only failure.
pub fn ledger_pipeline(data: &[u8]) {
    let mut b = LedgerBuilder::new(Tz::UTC);
    if b.read_csv(data, "fuzz.csv").is_err() {
        return;
    }
    let Ok(ledger) = b.finish() else {
        return;
    };
    engine_pipeline(&ledger);
}

fn engine_pipeline(ledger: &harvest::model::Ledger) {
    for (method, scope, missing_basis, wash_window) in [
        (Method::Fifo, Scope::Wallet, MissingBasis::Error, 0),
        (Method::Hifo, Scope::Universal, MissingBasis::Zero, 0),
        (Method::Lifo, Scope::Wallet, MissingBasis::Zero, 30),
        (Method::Hifo, Scope::Transition, MissingBasis::Zero, 0),
    ] {
        let cfg = Config {
            method,
            scope,
            missing_basis,
            tz: Tz::UTC,
            wash_window,
            late_identification: scope != Scope::Transition,
            standing_orders: vec![harvest::engine::StandingOrder {
                from: chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_default(),
                method: Method::Lifo,
                accounts: vec!["a".into()],
            }],
            ..Config::default()
        };
        if let Ok(o) = engine::run(
            ledger,
            &cfg,
            None,
            None,
            Some(chrono::DateTime::<chrono::Utc>::MAX_UTC),
        ) {
            let rows = build_rows(ledger, &o, &BoxRules::default());
            if let Err(e) = harvest::tax::check_invariants(ledger, &cfg, &o, &rows) {
                panic!("invariant broken: {e}");
            }
        }
    }
}

/// Imports `data` as `format` (None = detected) and runs what it made.
pub fn import_pipeline(data: &[u8], format: Option<Format>) {
    let mut imp = Importer::new(ImportOptions {
        account: None,
        prices: None,
        tz: Tz::UTC,
        accounts: Default::default(),
    });
    let Ok(imported) = imp.import(data, "fuzz.csv", format) else {
        return;
    };
    let mut b = LedgerBuilder::new(Tz::UTC);
    let file: std::sync::Arc<str> = "fuzz.csv".into();
    let idx = b.add_file("fuzz.csv");
    for (line, rec) in &imported.records {
        b.add_record(rec, &file, idx, *line);
    }
    if let Ok(ledger) = b.finish() {
        engine_pipeline(&ledger);
    }
}

/// Cells and bytes that break parsers.
const NASTY: &[&[u8]] = &[
    b"",
    b",",
    b"\"",
    b"\"\"",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"-",
    b"-1",
    b"0",
    b"-0",
    b"0.0000000000000000000000000001",
    b"79228162514264337593543950335",
    b"79228162514264337593543950336",
    b"99999999999999999999999999999999999999",
    b"1e400",
    b"1e-400",
    b"2.5e+28",
    b"1,000",
    b"(5)",
    b"()",
    b"$",
    b"NaN",
    b"inf",
    b"USD",
    b"BTC",
    b"buy",
    b"sell",
    b"trade",
    b"deposit",
    b"withdrawal",
    b"income",
    b"spend",
    b"fee",
    b"=HYPERLINK(\"x\")",
    b"2025-02-29",
    b"2025-01-01T00:00:00Z",
    b"2025-01-01T00:00:00+14:00",
    b"9999-12-31T23:59:59Z",
    b"0000-01-01",
    b"+262143-01-01",
    b"1970-01-01T00:00:00.9999999999Z",
    b"2025-13-01",
    b"24:00:00",
    b"\xe2\x80\x8b",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace `len` bytes at `at` (a fraction of the length) with a nasty token.
    Splice { at: u16, len: u8, token: usize },
    /// Insert random bytes.
    Insert { at: u16, bytes: Vec<u8> },
    /// Delete a range.
    Delete { at: u16, len: u16 },
    /// Duplicate a line.
    DupLine { line: u16 },
    /// Replace the k-th cell (between commas) with a nasty token.
    Cell { index: u16, token: usize },
    /// Swap two lines.
    SwapLines { a: u16, b: u16 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<u16>(), 0..8u8, 0..NASTY.len())
            .prop_map(|(at, len, token)| Mutation::Splice { at, len, token }),
        2 => (any::<u16>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<u16>(), 1..64u16).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => any::<u16>().prop_map(|line| Mutation::DupLine { line }),
        4 => (any::<u16>(), 0..NASTY.len()).prop_map(|(index, token)| Mutation::Cell { index, token }),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn pos(at: u16, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (at as usize * len) / (u16::MAX as usize + 1)
    }
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Splice { at, len, token } => {
            let i = pos(*at, data.len());
            let end = (i + *len as usize).min(data.len());
            data.splice(i..end, NASTY[*token].iter().copied());
        }
        Mutation::Insert { at, bytes } => {
            let i = pos(*at, data.len() + 1);
            data.splice(i..i, bytes.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let i = pos(*at, data.len());
            let end = (i + *len as usize).min(data.len());
            data.drain(i..end);
        }
        Mutation::DupLine { line } => {
            let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let i = pos(*line, lines.len());
            let l = lines[i].clone();
            lines.insert(i, l);
            *data = lines.join(&b'\n');
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let (i, j) = (pos(*a, lines.len()), pos(*b, lines.len()));
            lines.swap(i, j);
            *data = lines.join(&b'\n');
        }
        Mutation::Cell { index, token } => {
            let commas: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b',' || **b == b'\n')
                .map(|(i, _)| i)
                .collect();
            if commas.is_empty() {
                return;
            }
            let k = pos(*index, commas.len());
            let start = if k == 0 { 0 } else { commas[k - 1] + 1 };
            let end = commas[k];
            data.splice(start..end, NASTY[*token].iter().copied());
        }
    }
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    assert!(!seeds.is_empty(), "run from the crate root");
    (0..seeds.len(), prop::collection::vec(mutation(), 1..6)).prop_map(move |(s, ms)| {
        let mut d = seeds[s].clone();
        for m in &ms {
            apply(&mut d, m);
        }
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn ledger_reader_never_panics_on_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
        ledger_pipeline(&data);
    }

    #[test]
    fn ledger_reader_never_panics_on_mutated_inputs(data in mutated()) {
        ledger_pipeline(&data);
    }

    #[test]
    fn importers_never_panic_on_bytes(data in prop::collection::vec(any::<u8>(), 0..512)) {
        import_pipeline(&data, None);
        for f in Format::ALL {
            import_pipeline(&data, Some(f));
        }
    }

    #[test]
    fn importers_never_panic_on_mutated_inputs(data in mutated()) {
        import_pipeline(&data, None);
        for f in Format::ALL {
            import_pipeline(&data, Some(f));
        }
    }
}

fn harvest_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harvest"))
}

fn ledger_seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "fixtures/example/ledger.csv",
        "fixtures/ledgers/carryover-chain.csv",
        "fixtures/ledgers/scam-token-names.csv",
        "fixtures/ledgers/three-way-split.csv",
    ]
    .iter()
    .map(|p| std::fs::read(p).unwrap())
    .collect();
    v.push(std::fs::read("fixtures/walkthrough/coinbase.csv").unwrap());
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256) / 4))]

    /// The binary, on mutated valid ledgers, with each command: never a panic.
    #[test]
    fn binary_never_panics_on_mutated_ledgers(
        seed in 0..5usize,
        ms in prop::collection::vec(mutation(), 1..5),
        cmd in 0..5usize,
    ) {
        let mut d = ledger_seeds()[seed].clone();
        for m in &ms {
            apply(&mut d, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, &d).unwrap();
        let p = p.to_str().unwrap();
        let args: Vec<&str> = match cmd {
            0 => vec!["gains", p, "--year", "2025", "--format", "csv"],
            1 => vec!["report", p, "--year", "2025", "--format", "json"],
            2 => vec!["lots", p, "--prices", "fixtures/example/prices.csv", "--format", "csv"],
            3 => vec!["scan", p, "--prices", "fixtures/example/prices-dec15.csv", "--as-of", "2025-12-15"],
            _ => vec!["import", p],
        };
        let o = harvest_bin().args(&args).output().unwrap();
        let code = o.status.code();
        prop_assert!(
            matches!(code, Some(0..=2)),
            "exit {:?} on {:?}\nstderr: {}",
            code,
            String::from_utf8_lossy(&d),
            String::from_utf8_lossy(&o.stderr)
        );
        prop_assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
}

/// Found by `importers_never_panic_on_mutated_inputs`: a legacy Coinbase wallet
/// report with an unreadable time panicked while formatting the example time of
/// its error message (a layout with an offset).
#[test]
fn regression_coinbase_wallet_unreadable_time() {
    let data = std::fs::read("fixtures/bad/fuzz/coinbase-wallet-unreadable-time.csv").unwrap();
    import_pipeline(&data, None);
    for f in Format::ALL {
        import_pipeline(&data, Some(f));
    }
    let o = Command::new(env!("CARGO_BIN_EXE_harvest"))
        .args([
            "import",
            "fixtures/bad/fuzz/coinbase-wallet-unreadable-time.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("coinbase-wallet-unreadable-time.csv:"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256) / 4))]

    /// The binary, on mutated 1099-DA files (reconcile and report --1099da) and
    /// mutated frozen allocations: never a panic.
    #[test]
    fn binary_never_panics_on_mutated_1099da_and_allocations(
        seed in 0..3usize,
        ms in prop::collection::vec(mutation(), 1..5),
        cmd in 0..3usize,
    ) {
        let seeds = [
            "fixtures/reconcile/coinbase-1099da.csv",
            "fixtures/reconcile/kraken-1099da.csv",
            "tests/golden/transition-allocation.csv",
        ];
        let mut d = std::fs::read(seeds[seed]).unwrap();
        for m in &ms {
            apply(&mut d, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, &d).unwrap();
        let p = p.to_str().unwrap();
        let kraken = format!("kraken={p}");
        let f = if seed == 1 { kraken.as_str() } else { p };
        let args: Vec<&str> = match (seed, cmd) {
            (2, _) => vec!["report", "fixtures/transition/ledger.csv", "--year", "2025", "--allocation", p, "--format", "json"],
            (_, 0) => vec!["reconcile", "fixtures/reconcile/ledger.csv", "--1099da", f, "--year", "2025"],
            (_, 1) => vec!["reconcile", "fixtures/reconcile/ledger.csv", "--1099da", f, "--year", "2025", "--format", "json"],
            _ => vec!["report", "fixtures/reconcile/ledger.csv", "--1099da", f, "--year", "2025", "--format", "csv"],
        };
        let o = harvest_bin().args(&args).output().unwrap();
        let code = o.status.code();
        prop_assert!(
            matches!(code, Some(0..=2)),
            "exit {:?} on {:?}\nstderr: {}",
            code,
            String::from_utf8_lossy(&d),
            String::from_utf8_lossy(&o.stderr)
        );
        prop_assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
}

/// Notes a valid ledger may hold, written as harvest writes them: plain, or
/// quoted (RFC 4180 section 2.6-2.7) for a comma, a quote (doubled) or a line
/// break, or quoted without need.
const NOTES: &[&str] = &[
    "",
    "dip",
    "\"bought, at last\"",
    "\"a \"\"quote\"\"\"",
    "\"two\nlines\"",
    "\"two\r\nlines, one comma\"",
    "\"quoted\"",
];

/// A valid ledger of `n` rows (buys, then sells), with these notes, LF or
/// CRLF line ends, and its row count.
fn valid_ledger(notes: &[usize], crlf: bool) -> (String, usize) {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut s = String::from(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note",
    );
    s.push_str(end);
    for (i, &n) in notes.iter().enumerate() {
        let row = if i % 3 == 2 {
            format!(
                "s{i},2025-02-{:02}T00:00:00Z,cb,sell,0.1,BTC,150,USD,,,,,,",
                1 + i % 28
            )
        } else {
            format!(
                "b{i},2025-01-{:02}T00:00:00Z,cb,buy,100,USD,1,BTC,,,,,,",
                1 + i % 28
            )
        };
        s.push_str(&row);
        s.push_str(NOTES[n % NOTES.len()]);
        s.push_str(end);
    }
    (s, notes.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// Issue 14 item 9: a quote inserted anywhere in a valid ledger either
    /// leaves every row read (a quote inside a cell is a character of it) or
    /// is an error; never fewer rows and no error (README "No row is lost").
    #[test]
    fn a_stray_quote_never_loses_a_row(
        notes in prop::collection::vec(0..NOTES.len(), 1..12),
        crlf: bool,
        at in any::<u16>(),
    ) {
        let (text, n) = valid_ledger(&notes, crlf);
        let mut b = LedgerBuilder::new(Tz::UTC);
        b.read_csv(text.as_bytes(), "valid.csv").unwrap();
        prop_assert_eq!(b.finish().unwrap().rows.len(), n);
        let mut data = text.into_bytes();
        let i = pos(at, data.len() + 1);
        data.insert(i, b'"');
        let mut b = LedgerBuilder::new(Tz::UTC);
        if b.read_csv(&data[..], "fuzz.csv").is_ok() && let Ok(ledger) = b.finish() {
            prop_assert_eq!(ledger.rows.len(), n, "{:?}", String::from_utf8_lossy(&data));
        }
        // The importer's reader (exports, and ledgers given to import).
        let mut imp = Importer::new(ImportOptions { account: None, prices: None, tz: Tz::UTC, accounts: Default::default() });
        if let Ok(imported) = imp.import(&data, "fuzz.csv", None) {
            prop_assert_eq!(imported.stats.read, n, "{:?}", String::from_utf8_lossy(&data));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256) / 8))]

    /// The same through the binary: `import` writes every row of the ledger
    /// (exit 0) or fails with exit 1; `gains` exits 0 only when import does.
    #[test]
    fn binary_a_stray_quote_never_loses_a_row(
        notes in prop::collection::vec(0..NOTES.len(), 1..12),
        crlf: bool,
        at in any::<u16>(),
    ) {
        let (text, n) = valid_ledger(&notes, crlf);
        let mut data = text.into_bytes();
        let i = pos(at, data.len() + 1);
        data.insert(i, b'"');
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, &data).unwrap();
        let p = p.to_str().unwrap();
        let o = harvest_bin().args(["import", p]).output().unwrap();
        let shown = String::from_utf8_lossy(&data);
        match o.status.code() {
            Some(0) => {
                let mut rdr = csv::ReaderBuilder::new().from_reader(&o.stdout[..]);
                prop_assert_eq!(rdr.records().count(), n, "{:?}", shown);
            }
            Some(1) => {}
            c => prop_assert!(false, "exit {:?} on {:?}", c, shown),
        }
        let g = harvest_bin().args(["gains", p, "--year", "2025", "--format", "csv"]).output().unwrap();
        prop_assert!(matches!(g.status.code(), Some(0 | 1)), "{:?}", shown);
        if g.status.code() == Some(0) {
            prop_assert_eq!(o.status.code(), Some(0), "{:?}", shown);
        }
    }
}
