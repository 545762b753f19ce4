//! Exports for tax software add up to Schedule D, or are refused (issue 14 item
//! 1). A program imports what its format has fields for: where a Form 8949 row
//! carries a code and an amount in column (g) that the format cannot hold, the
//! import would compute another gain than the return's Schedule D, so harvest
//! refuses that export and names the rows instead of writing a silent mismatch.
//! Runs with `--wash-window` (a simulated rule, not law) are never exported.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use rust_decimal::Decimal;
use serde_json::Value;

fn harvest(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(args)
        .output()
        .unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dec(s: &str) -> Decimal {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Schedule D's total of column (h): lines 1b, 2, 3, 8b, 9 and 10, i.e. lines 7
/// and 15 without the carryovers of lines 6 and 14.
fn schedule_d_total(v: &Value) -> Decimal {
    let l = |k: &str| dec(v["schedule_d"][k].as_str().unwrap());
    l("line_7") - l("line_6") + l("line_15") - l("line_14")
}

/// What a tax program computes from an export: the sum over its rows of
/// proceeds - basis (+ the adjustment, where the format carries one).
fn imported_total(format: &str, text: &str) -> Decimal {
    match format {
        "txf" => {
            // Records between `TD` and `^`: $basis, $proceeds[, $wash amount].
            let mut total = Decimal::ZERO;
            let mut amounts: Vec<Decimal> = Vec::new();
            let mut in_record = false;
            for line in text.lines() {
                match line {
                    "TD" => {
                        in_record = true;
                        amounts.clear();
                    }
                    "^" if in_record => {
                        in_record = false;
                        total +=
                            amounts[1] - amounts[0] + amounts.get(2).copied().unwrap_or_default();
                    }
                    l if in_record && l.starts_with('$') => amounts.push(dec(&l[1..])),
                    _ => {}
                }
            }
            total
        }
        "turbotax" | "taxact" => {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let h = r.headers().unwrap().clone();
            let col = |name: &str| h.iter().position(|x| x == name);
            let (p, b) = if format == "turbotax" {
                (col("Proceeds").unwrap(), col("Cost Basis").unwrap())
            } else {
                (
                    col("Sales Proceeds").unwrap(),
                    col("Cost or Other Basis").unwrap(),
                )
            };
            let adj = col("Adjustment Amount");
            r.records()
                .map(|rec| {
                    let rec = rec.unwrap();
                    let a = adj
                        .map(|i| rec[i].trim())
                        .filter(|s| !s.is_empty())
                        .map_or(Decimal::ZERO, dec);
                    dec(&rec[p]) - dec(&rec[b]) + a
                })
                .sum()
        }
        f => panic!("{f}"),
    }
}

const FORMATS: [&str; 3] = ["txf", "turbotax", "taxact"];

/// A report whose rows a 1099-DA routes with codes B and E.
const WITH_1099DA: [&str; 8] = [
    "report",
    "fixtures/reconcile/ledger.csv",
    "--year",
    "2025",
    "--1099da",
    "coinbase=fixtures/reconcile/coinbase-1099da.csv",
    "--1099da",
    "kraken=fixtures/reconcile/kraken-1099da.csv",
];

fn report_json(dir: &Path, base: &[&str]) -> Value {
    let o = harvest(dir, &[base, &["--format", "json", "-q"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn every_accepted_export_adds_up_to_schedule_d() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["report", "fixtures/example/ledger.csv", "--year", "2025"],
        vec!["report", "fixtures/example/ledger.csv", "--year", "2024"],
        vec![
            "report",
            "fixtures/walkthrough/coinbase.csv",
            "fixtures/walkthrough/kraken-ledgers.csv",
            "--year",
            "2025",
        ],
        vec![
            "report",
            "fixtures/ledgers/three-way-split.csv",
            "--year",
            "2025",
        ],
        // A 1099-DA: codes B and E, which TaxAct's import carries.
        WITH_1099DA.to_vec(),
    ];
    let mut accepted = 0;
    for base in &cases {
        let total = schedule_d_total(&report_json(root(), base));
        for f in FORMATS {
            let o = harvest(root(), &[&base[..], &["--format", f, "-q"]].concat());
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(1), "{base:?} {f}");
                continue;
            }
            accepted += 1;
            let text = String::from_utf8(o.stdout).unwrap();
            assert_eq!(
                imported_total(f, &text),
                total,
                "{base:?} --format {f}:\n{text}"
            );
        }
    }
    assert_eq!(
        accepted,
        cases.len() * 3 - 2,
        "only the 1099-DA run's txf and turbotax are refused"
    );
}

#[test]
fn exports_without_fields_for_the_adjustment_are_refused_naming_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.file");
    for f in ["turbotax", "txf"] {
        let o = harvest(
            root(),
            &[
                &WITH_1099DA[..],
                &["--format", f, "-o", out.to_str().unwrap()],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(1), "{f}");
        assert!(!out.exists(), "{f}: nothing is written");
        let err = String::from_utf8_lossy(&o.stderr);
        for needle in [
            "2 rows carry them",
            "disposal cb-s2 (lot cb-b2) code B adjustment -8.25",
            "disposal kr-s1 (lot kr-b1) code E adjustment -3.90",
            "--format taxact",
        ] {
            assert!(err.contains(needle), "{f}: {needle:?} in {err}");
        }
    }
    // TaxAct carries them, in its Adjustment Code and Adjustment Amount columns.
    let o = harvest(
        root(),
        &[&WITH_1099DA[..], &["--format", "taxact", "-q"]].concat(),
    );
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains(",Short,B,-8.25\n"), "{text}");
}

#[test]
fn a_wash_window_run_is_never_exported_for_filing() {
    for f in FORMATS {
        let o = harvest(
            root(),
            &[
                "report",
                "fixtures/example/ledger.csv",
                "--year",
                "2025",
                "--wash-window",
                "30",
                "--format",
                f,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{f}");
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not a filing position"), "{f}: {err}");
    }
}
