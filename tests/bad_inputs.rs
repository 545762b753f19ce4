//! The catalog of bad inputs (fixtures/bad/), one test each: exit 1, one error
//! naming the file, the line and the column (or row id) and what to do, never a
//! panic (exit 101), no output file left behind, and the input left untouched.
//! Inputs that only look odd (a zero USD amount or fee, CRLF or mixed line
//! endings, a byte-order mark, a header with no rows) are read as they should be.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn harvest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harvest"))
        .args(args)
        .output()
        .expect("run harvest")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bad(name: &str) -> String {
    format!("fixtures/bad/{name}")
}

/// Runs `args` with `-o` into an empty directory and checks the failure: exit 1,
/// one error message containing every `expect`, nothing left in the directory,
/// and the inputs byte for byte as before.
fn fails(args: &[&str], expect: &[&str]) -> String {
    let inputs: Vec<(PathBuf, Vec<u8>)> = args
        .iter()
        .filter(|a| Path::new(a).is_file())
        .map(|a| (PathBuf::from(a), std::fs::read(a).unwrap()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", out.to_str().unwrap()]);
    let o = harvest(&all);
    let err = stderr(&o);
    assert_ne!(o.status.code(), Some(101), "panic on {args:?}:\n{err}");
    assert_eq!(o.status.code(), Some(1), "{args:?}:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.matches("harvest: error:").count(),
        1,
        "one error message: {err}"
    );
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    assert!(o.stdout.is_empty(), "nothing on stdout");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no output (and no temp file) is left behind"
    );
    for (p, before) in inputs {
        assert_eq!(
            std::fs::read(&p).unwrap(),
            before,
            "{} was modified",
            p.display()
        );
    }
    err
}

fn gains_fails(file: &str, expect: &[&str]) -> String {
    fails(
        &["gains", &bad(file), "--year", "2025", "--format", "csv"],
        expect,
    )
}

fn gains_ok(file: &str) -> Output {
    let o = harvest(&["gains", file, "--year", "2025", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
    o
}

#[test]
fn empty_file() {
    gains_fails(
        "empty.csv",
        &["fixtures/bad/empty.csv: the file is empty: give a ledger (header line id,time,"],
    );
    fails(
        &["import", &bad("empty.csv")],
        &["fixtures/bad/empty.csv: the file is empty"],
    );
}

/// A header and no rows is a valid, empty ledger (issue 14 item 14): a year with
/// no trades but a carryover is a real return (Schedule D lines 14, 15, 16 and
/// 21; the Capital Loss Carryover Worksheet). Every command exits 0 with empty
/// output (README "What harvest guarantees"), with a warning that the file has
/// no rows; a zero-byte file, which has no header, stays an error (empty_file).
#[test]
fn header_only_is_an_empty_ledger() {
    let f = bad("header-only.csv");
    let ok = |args: &[&str]| -> (String, String) {
        let o = harvest(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o))
    };
    let (out, err) = ok(&["report", &f, "--year", "2025", "--carryover-lt", "5000"]);
    assert!(
        err.contains("warning: fixtures/bad/header-only.csv: a header and no rows"),
        "{err}"
    );
    for line in ["-5000.00", "-3000.00", "long-term 2000.00"] {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
    let (json, _) = ok(&[
        "report",
        &f,
        "--year",
        "2025",
        "--carryover-lt",
        "5000",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v["schedule_d"];
    assert_eq!(
        [
            &d["line_14"],
            &d["line_15"],
            &d["line_16"],
            &d["line_21"],
            &d["line_7"]
        ],
        ["-5000.00", "-5000.00", "-5000.00", "-3000.00", "0.00"]
    );
    assert_eq!(v["carryover_in"]["long_term"], "5000.00");
    assert_eq!(v["carryover_next_year"]["short_term"], "0.00");
    assert_eq!(v["carryover_next_year"]["long_term"], "2000.00");
    assert_eq!(v["form_8949"].as_array().map(Vec::len), Some(0));
    // The other commands: empty output, exit 0.
    let (csv, _) = ok(&["gains", &f, "--year", "2025", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
    let (csv, _) = ok(&["lots", &f, "--format", "csv"]);
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
    let (csv, _) = ok(&[
        "scan",
        &f,
        "--prices",
        "fixtures/example/prices-dec15.csv",
        "--as-of",
        "2025-12-15",
        "--format",
        "csv",
    ]);
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
    let (ledger, _) = ok(&["import", &f]);
    assert_eq!(ledger, std::fs::read_to_string(&f).unwrap());
    // Beside a ledger with rows it is only the warning.
    let (_, err) = ok(&[
        "gains",
        &f,
        "fixtures/example/ledger.csv",
        "--year",
        "2025",
        "--format",
        "csv",
    ]);
    assert!(
        err.contains("warning: fixtures/bad/header-only.csv: a header and no rows"),
        "{err}"
    );
}

#[test]
fn missing_required_column() {
    gains_fails(
        "missing-column.csv",
        &["fixtures/bad/missing-column.csv:1: missing required column `account`"],
    );
    fails(
        &["import", &bad("missing-column.csv")],
        &["fixtures/bad/missing-column.csv:1: missing required column `account`"],
    );
}

#[test]
fn duplicated_column() {
    gains_fails(
        "duplicate-column.csv",
        &[
            "fixtures/bad/duplicate-column.csv:1: column `time` appears twice (columns 2 and 7): remove one",
        ],
    );
    fails(
        &["import", &bad("duplicate-column.csv")],
        &["fixtures/bad/duplicate-column.csv:1: column 7 \"time\" appears twice (columns 2 and 7)"],
    );
}

#[test]
fn unknown_kind() {
    gains_fails(
        "unknown-kind.csv",
        &[
            "fixtures/bad/unknown-kind.csv:2: column kind \"airdrop\": unknown kind: use one of buy, sell",
        ],
    );
}

#[test]
fn negative_quantity() {
    gains_fails(
        "negative-quantity.csv",
        &["fixtures/bad/negative-quantity.csv:2: column received_qty \"-1\": is negative"],
    );
}

#[test]
fn non_numeric_quantity() {
    gains_fails(
        "non-numeric-quantity.csv",
        &[
            "fixtures/bad/non-numeric-quantity.csv:2: column received_qty \"one\": is not a decimal number (write it like 1234.56",
        ],
    );
}

#[test]
fn over_long_quantity() {
    gains_fails(
        "overlong-quantity.csv",
        &[
            "fixtures/bad/overlong-quantity.csv:2: column received_qty \"1234567890.12345678901234567890123\": has more digits than an exact decimal holds",
        ],
    );
}

#[test]
fn zero_crypto_quantity() {
    gains_fails(
        "zero-quantity.csv",
        &[
            "fixtures/bad/zero-quantity.csv:2: column received_qty \"0\": is zero: a crypto quantity must be positive",
        ],
    );
}

#[test]
fn zero_usd_amount_and_fee_are_valid() {
    let o = gains_ok(&bad("zero-usd-and-fee-valid.csv"));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("s1,b1,BTC,1,coinbase,2025-01-01,2025-02-01,short,H,1 BTC,0.00,0.00,,,0.00")
    );
}

#[test]
fn malformed_time() {
    gains_fails(
        "malformed-time.csv",
        &[
            "fixtures/bad/malformed-time.csv:2: column time \"01/02/2025 10:00\": is neither an RFC 3339 time",
        ],
    );
}

#[test]
fn sale_before_any_acquisition() {
    gains_fails(
        "sale-before-acquisition.csv",
        &[
            "fixtures/bad/sale-before-acquisition.csv:2 (id s1): sell of 1 BTC from account coinbase, which holds only 0 BTC",
            "--missing-basis zero",
        ],
    );
}

#[test]
fn deposit_with_no_basis() {
    gains_fails(
        "deposit-no-basis.csv",
        &[
            "fixtures/bad/deposit-no-basis.csv:2 (id d1): deposit of 1 BTC into ledger-nano has no matching withdrawal and no basis",
            "--missing-basis zero",
        ],
    );
}

#[test]
fn selection_of_an_unknown_lot() {
    fails(
        &[
            "gains",
            &bad("selection-ledger.csv"),
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            &bad("selection-unknown-lot.csv"),
        ],
        &["fixtures/bad/selection-unknown-lot.csv:2: lot nope is not held in account coinbase"],
    );
}

#[test]
fn selection_of_more_than_the_lot_holds() {
    fails(
        &[
            "gains",
            &bad("selection-ledger.csv"),
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            &bad("selection-too-much.csv"),
        ],
        &[
            "fixtures/bad/selection-too-much.csv:2: disposal s1 selects 1.5 BTC from lot b1, which holds only 1 in account coinbase",
        ],
    );
}

#[test]
fn price_file_without_the_needed_date() {
    fails(
        &[
            "gains",
            &bad("price-needed.csv"),
            "--year",
            "2025",
            "--prices",
            &bad("prices-without-date.csv"),
        ],
        &[
            "fixtures/bad/price-needed.csv:3 (id t1): no USD value for ETH: fill in usd_value (or fee_usd), or give --prices with a ETH price at or before 2025-03-01",
        ],
    );
}

#[test]
fn non_utf8_bytes() {
    gains_fails(
        "non-utf8.csv",
        &[
            "fixtures/bad/non-utf8.csv:2: column account: is not valid UTF-8 text: save the file as UTF-8",
        ],
    );
}

#[test]
fn a_ten_megabyte_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.csv");
    let mut text =
        String::from("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset\n");
    text.push_str("b1,2025-01-01T00:00:00Z,coinbase,buy,100,USD,");
    text.push_str(&"9".repeat(10 << 20));
    text.push_str(",BTC\n");
    std::fs::write(&p, &text).unwrap();
    let err = fails(
        &["gains", p.to_str().unwrap(), "--year", "2025"],
        &[
            "huge.csv:2: column received_qty \"9999",
            "...\": has more digits than an exact decimal holds",
        ],
    );
    assert!(
        err.len() < 1000,
        "the message quotes a shortened value: {} bytes",
        err.len()
    );

    // A 10 MB note is free text: read, and not echoed anywhere.
    let mut text =
        String::from("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,note\n");
    text.push_str("b1,2025-01-01T00:00:00Z,coinbase,buy,100,USD,1,BTC,");
    text.push_str(&"n".repeat(10 << 20));
    text.push('\n');
    std::fs::write(&p, &text).unwrap();
    let o = gains_ok(p.to_str().unwrap());
    assert!(o.stdout.len() < 1000);
}

#[test]
fn a_thousand_columns() {
    gains_fails(
        "thousand-columns.csv",
        &[
            "fixtures/bad/thousand-columns.csv:1: unknown column `extra0` (column 9): a ledger has only the columns",
        ],
    );
    fails(
        &["import", &bad("thousand-columns.csv")],
        &[
            "fixtures/bad/thousand-columns.csv:",
            ":1: column 9 \"extra0\" unknown column",
        ],
    );
}

#[test]
fn crlf_mixed_line_endings_and_bom_read_like_plain_lf() {
    let plain = gains_ok(&bad("bom.csv")).stdout;
    assert!(
        String::from_utf8_lossy(&plain).contains(
            "s1,b1,BTC,1,coinbase,2025-01-01,2025-02-01,short,H,1 BTC,150.00,100.00,,,50.00"
        ),
        "{}",
        String::from_utf8_lossy(&plain)
    );
    for f in ["crlf.csv", "mixed-line-endings.csv"] {
        assert_eq!(gains_ok(&bad(f)).stdout, plain, "{f}");
    }
    // And through import, which writes the same ledger for all three.
    let import = |f: &str| {
        let o = harvest(&["import", &bad(f)]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stderr(&o));
        o.stdout
    };
    let a = import("bom.csv");
    assert_eq!(import("crlf.csv"), a);
    assert_eq!(import("mixed-line-endings.csv"), a);
}

#[test]
fn the_older_catalog_entries_still_fail_cleanly() {
    gains_fails(
        "bad-cells.csv",
        &["fixtures/bad/bad-cells.csv:2: column kind \"swap\""],
    );
    gains_fails("oversold.csv", &["fixtures/bad/oversold.csv:3 (id s1)"]);
    gains_fails(
        "missing-price.csv",
        &["fixtures/bad/missing-price.csv:3 (id t1)"],
    );
}

/// Every fixture of the catalog, through every command: never a panic, and
/// exit 0 or 1 only.
#[test]
fn no_bad_input_panics_any_command() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("fixtures/bad")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let f = f.to_str().unwrap();
        for args in [
            vec!["import", f],
            vec!["lots", f],
            vec!["gains", f, "--year", "2025"],
            vec!["report", f, "--year", "2025", "--format", "json"],
            vec![
                "scan",
                f,
                "--prices",
                "fixtures/example/prices-dec15.csv",
                "--as-of",
                "2025-12-15",
            ],
        ] {
            let o = harvest(&args);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{args:?}: exit {:?}\n{}",
                o.status.code(),
                stderr(&o)
            );
            assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        }
    }
}

#[test]
fn an_amount_too_large_to_compute_with() {
    gains_fails(
        "too-large-amount.csv",
        &[
            "fixtures/bad/too-large-amount.csv:2: column sent_qty \"1000000000000000\": is too large",
        ],
    );
}

/// Crashers found by fuzzing, kept as regression fixtures: every command, with
/// and without the wash-sale window, ends with exit 0 or 1, never a panic.
#[test]
fn fuzz_crashers_stay_fixed() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("fixtures/bad/fuzz")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let f = f.to_str().unwrap();
        for args in [
            vec!["import", f],
            vec!["lots", f, "--prices", "fixtures/example/prices.csv"],
            vec!["gains", f, "--year", "2025"],
            vec!["gains", f, "--year", "2025", "--wash-window", "30"],
            vec![
                "gains",
                f,
                "--year",
                "2025",
                "--wash-window",
                "30",
                "--missing-basis",
                "zero",
                "--method",
                "lifo",
            ],
            vec![
                "gains",
                f,
                "--year",
                "2025",
                "--method",
                "hifo",
                "--scope",
                "universal",
            ],
            vec![
                "report",
                f,
                "--year",
                "2025",
                "--format",
                "json",
                "--missing-basis",
                "zero",
            ],
            vec![
                "scan",
                f,
                "--prices",
                "fixtures/example/prices-dec15.csv",
                "--as-of",
                "2025-12-15",
            ],
        ] {
            let o = harvest(&args);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{args:?}: exit {:?}\n{}",
                o.status.code(),
                stderr(&o)
            );
            assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        }
    }
}

/// Error lines count every line end, LF or CRLF, and blank lines, as editors
/// and `grep -n` count them (README "What harvest guarantees": CRLF and mixed
/// line endings are read like plain LF; SPEC section 1: every error names the
/// line). Each fixture has its bad cell on the line named here.
#[test]
fn crlf_and_mixed_line_endings_name_the_right_line() {
    for (f, line) in [
        ("crlf-bad-cell.csv", 3),
        ("mixed-line-endings-bad-cell.csv", 4),
    ] {
        let at = format!("fixtures/bad/{f}:{line}: column sent_qty \"x\"");
        gains_fails(f, &[&at]);
        fails(&["import", &bad(f)], &[&at]);
    }
    fails(
        &[
            "gains",
            "fixtures/example/ledger.csv",
            "--year",
            "2025",
            "--prices",
            &bad("prices-crlf-bad-price.csv"),
        ],
        &["fixtures/bad/prices-crlf-bad-price.csv:3: column price \"abc\""],
    );
    fails(
        &[
            "import",
            "fixtures/walkthrough/coinbase.csv",
            "--prices",
            &bad("prices-crlf-bad-price.csv"),
        ],
        &["fixtures/bad/prices-crlf-bad-price.csv:3: column price \"abc\""],
    );
    fails(
        &[
            "gains",
            &bad("selection-ledger.csv"),
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            &bad("selections-crlf-bad-quantity.csv"),
        ],
        &["fixtures/bad/selections-crlf-bad-quantity.csv:3: column quantity \"x\""],
    );
}

/// A quoted cell that is never closed would run to the end of the file and
/// swallow every line after it (RFC 4180 section 2: a quoted field ends at its
/// closing quote). It is an error naming the line where the quote opens, for
/// every file harvest reads, never fewer rows with exit 0 (README "No row is
/// lost").
#[test]
fn a_quote_never_closed_is_an_error() {
    let what = "a quote (\") opens a cell on this line and is never closed";
    let at = "fixtures/bad/unclosed-quote.csv:2: column note";
    gains_fails("unclosed-quote.csv", &[at, what]);
    fails(
        &["report", &bad("unclosed-quote.csv"), "--year", "2025"],
        &[at, what],
    );
    fails(&["lots", &bad("unclosed-quote.csv")], &[at, what]);
    fails(&["import", &bad("unclosed-quote.csv")], &[at, what]);
    fails(
        &[
            "gains",
            "fixtures/example/ledger.csv",
            "--year",
            "2025",
            "--prices",
            &bad("prices-unclosed-quote.csv"),
        ],
        &["fixtures/bad/prices-unclosed-quote.csv:2: ", what],
    );
    fails(
        &[
            "gains",
            &bad("selection-ledger.csv"),
            "--year",
            "2025",
            "--method",
            "specific",
            "--selections",
            &bad("selections-unclosed-quote.csv"),
        ],
        &["fixtures/bad/selections-unclosed-quote.csv:2: ", what],
    );
    // An exchange export, given to gains directly (import has a golden file
    // in fixtures/import/malformed/).
    fails(
        &[
            "gains",
            "fixtures/import/malformed/coinbase-unclosed-quote.csv",
            "--year",
            "2025",
        ],
        &[
            "fixtures/import/malformed/coinbase-unclosed-quote.csv:6: column Notes: ",
            what,
        ],
    );
}
