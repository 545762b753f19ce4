//! `harvest report` end to end: every worked example of RULES.md §11 from the
//! binary, a three-year carryover chain with --carryover-from, and the edge cases.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn harvest(dir: &Path, args: &[&str]) -> Value {
    let o = Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "harvest {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

const HEADER: &str = "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset\n";

/// A ledger whose 2025 rows net to `st` short-term and `lt` long-term.
fn ledger(st: i64, lt: i64) -> String {
    let mut s = HEADER.to_string();
    if st != 0 {
        s += &format!(
            "sb,2025-01-10T12:00:00Z,cb,buy,20000,USD,1,BTC\nss,2025-06-10T12:00:00Z,cb,sell,1,BTC,{},USD\n",
            20000 + st
        );
    }
    if lt != 0 {
        s += &format!(
            "lb,2023-01-10T12:00:00Z,cb,buy,20000,USD,1,ETH\nls,2025-06-10T12:00:00Z,cb,sell,1,ETH,{},USD\n",
            20000 + lt
        );
    }
    s
}

fn line(v: &Value, key: &str) -> String {
    v["schedule_d"][key].as_str().unwrap().to_string()
}

fn money(n: i64) -> String {
    format!("{n}.00")
}

#[test]
fn rules_md_worked_examples_from_the_binary() {
    // (st, lt, co st, co lt, status, ti, l7, l15, l16, l21, next st, next lt)
    let cases = [
        (
            -5000, 0, 0, 0, "single", 50000, -5000, 0, -5000, -3000, 2000, 0,
        ),
        (
            -8000, 3000, 0, 0, "single", 60000, -8000, 3000, -5000, -3000, 2000, 0,
        ),
        (
            2000, -10000, 0, 0, "single", 70000, 2000, -10000, -8000, -3000, 0, 5000,
        ),
        (
            -4000, -6000, 0, 0, "mfj", 120000, -4000, -6000, -10000, -3000, 1000, 6000,
        ),
        (
            -1000, -4000, 0, 0, "mfs", 40000, -1000, -4000, -5000, -1500, 0, 3500,
        ),
        (
            -5000, 0, 0, 0, "single", -2000, -5000, 0, -5000, -3000, 4000, 0,
        ),
        (
            -2000, -3000, 0, 0, "single", -4000, -2000, -3000, -5000, -3000, 2000, 3000,
        ),
        (
            1500, 4000, 6000, 9000, "single", 80000, -4500, -5000, -9500, -3000, 1500, 5000,
        ),
        (
            500, 12000, 2500, 0, "single", 90000, -2000, 12000, 10000, 0, 0, 0,
        ),
        (
            -1200, -800, 0, 0, "single", 40000, -1200, -800, -2000, -2000, 0, 0,
        ),
        (0, -7000, 0, 0, "mfs", -500, 0, -7000, -7000, -1500, 0, 6000),
        (
            5000, -12000, 0, 0, "hoh", 90000, 5000, -12000, -7000, -3000, 0, 4000,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (n, c) in cases.iter().enumerate() {
        std::fs::write(dir.path().join("l.csv"), ledger(c.0, c.1)).unwrap();
        let v = harvest(
            dir.path(),
            &[
                "report",
                "l.csv",
                "--year",
                "2025",
                "--format",
                "json",
                "-q",
                "--carryover-st",
                &c.2.to_string(),
                "--carryover-lt",
                &c.3.to_string(),
                "--filing-status",
                c.4,
                "--taxable-income",
                &c.5.to_string(),
            ],
        );
        let got = (
            line(&v, "line_7"),
            line(&v, "line_15"),
            line(&v, "line_16"),
            line(&v, "line_21"),
            v["carryover_next_year"]["short_term"]
                .as_str()
                .unwrap()
                .to_string(),
            v["carryover_next_year"]["long_term"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let want = (
            money(c.6),
            money(c.7),
            money(c.8),
            money(c.9),
            money(c.10),
            money(c.11),
        );
        assert_eq!(got, want, "RULES.md example {}", n + 1);
        assert_eq!(line(&v, "line_6"), money(-c.2));
        assert_eq!(line(&v, "line_14"), money(-c.3));
    }
}

#[test]
fn a_three_year_chain_with_carryover_from() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ledgers/carryover-chain.csv");
    std::fs::copy(src, dir.path().join("ledger.csv")).unwrap();
    let run = |year: &str, extra: &[&str]| {
        let mut args = vec![
            "report",
            "ledger.csv",
            "--year",
            year,
            "--format",
            "json",
            "-q",
        ];
        args.extend_from_slice(extra);
        let v = harvest(dir.path(), &args);
        std::fs::write(dir.path().join(format!("{year}.json")), v.to_string()).unwrap();
        v
    };
    // Year 1: a 12,000 short-term loss; 3,000 deducted, 9,000 carried.
    let y1 = run("2023", &[]);
    assert_eq!(line(&y1, "line_16"), "-12000.00");
    assert_eq!(line(&y1, "line_21"), "-3000.00");
    assert_eq!(y1["carryover_next_year"]["short_term"], "9000.00");
    // Year 2: a 4,000 gain; net -5,000, 3,000 deducted, 2,000 carried.
    let y2 = run("2024", &["--carryover-from", "2023.json"]);
    assert_eq!(line(&y2, "line_6"), "-9000.00");
    assert_eq!(line(&y2, "line_7"), "-5000.00");
    assert_eq!(line(&y2, "line_21"), "-3000.00");
    assert_eq!(y2["carryover_next_year"]["short_term"], "2000.00");
    // Year 3: the 2,000 comes in against a 500 gain.
    let y3 = run("2025", &["--carryover-from", "2024.json"]);
    assert_eq!(line(&y3, "line_6"), "-2000.00");
    assert_eq!(line(&y3, "line_7"), "-1500.00");
    assert_eq!(line(&y3, "line_21"), "-1500.00");
    assert_eq!(y3["carryover_next_year"]["short_term"], "0.00");
}

/// Issue 14 item 7: lines 6 and 14 carry last year's loss (Schedule D
/// instructions, Capital Loss Carryover Worksheet), so `--carryover-from` given
/// the report of another year (the same year, or two years back) is an error
/// naming both years, unless `--any-carryover-year` says it is meant.
#[test]
fn carryover_from_the_wrong_year_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ledgers/carryover-chain.csv");
    std::fs::copy(src, dir.path().join("ledger.csv")).unwrap();
    let y1 = harvest(
        dir.path(),
        &[
            "report",
            "ledger.csv",
            "--year",
            "2023",
            "--format",
            "json",
            "-q",
        ],
    );
    std::fs::write(dir.path().join("2023.json"), y1.to_string()).unwrap();
    for year in ["2023", "2025"] {
        let o = Command::cargo_bin("harvest")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "report",
                "ledger.csv",
                "--year",
                year,
                "--carryover-from",
                "2023.json",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{year}");
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("2023.json is the report for 2023")
                && err.contains("--any-carryover-year"),
            "{err}"
        );
    }
    let v = harvest(
        dir.path(),
        &[
            "report",
            "ledger.csv",
            "--year",
            "2025",
            "--carryover-from",
            "2023.json",
            "--any-carryover-year",
            "--format",
            "json",
            "-q",
        ],
    );
    assert_eq!(line(&v, "line_6"), "-9000.00");
}

#[test]
fn a_year_with_no_disposals_is_zeros_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.csv"), ledger(-500, 0)).unwrap();
    let v = harvest(
        dir.path(),
        &["report", "l.csv", "--year", "2021", "--format", "json"],
    );
    for k in ["line_7", "line_15", "line_16", "line_21"] {
        assert_eq!(line(&v, k), "0.00");
    }
    assert_eq!(v["form_8949"].as_array().unwrap().len(), 0);
}

#[test]
fn a_year_with_only_carryovers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.csv"), ledger(-500, 0)).unwrap();
    let v = harvest(
        dir.path(),
        &[
            "report",
            "l.csv",
            "--year",
            "2026",
            "--format",
            "json",
            "--carryover-st",
            "1000",
            "--carryover-lt",
            "4000",
        ],
    );
    assert_eq!(line(&v, "line_16"), "-5000.00");
    assert_eq!(line(&v, "line_21"), "-3000.00");
    assert_eq!(v["carryover_next_year"]["short_term"], "0.00");
    assert_eq!(v["carryover_next_year"]["long_term"], "2000.00");
}

#[test]
fn disposals_of_other_years_are_left_out_but_their_lot_use_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("l.csv"),
        format!(
            "{HEADER}a,2024-01-01T00:00:00Z,cb,buy,100,USD,1,BTC\nb,2024-02-01T00:00:00Z,cb,buy,300,USD,1,BTC\ns1,2024-12-01T00:00:00Z,cb,sell,1,BTC,200,USD\ns2,2025-06-01T00:00:00Z,cb,sell,1,BTC,200,USD\n"
        ),
    )
    .unwrap();
    let v = harvest(
        dir.path(),
        &["report", "l.csv", "--year", "2025", "--format", "json"],
    );
    let rows = v["form_8949"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["lot_id"], "b", "the 2024 sale used lot a");
    assert_eq!(line(&v, "line_10"), "-100.00");
}

#[test]
fn zero_taxable_income_carries_the_whole_loss() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.csv"), ledger(-5000, 0)).unwrap();
    let v = harvest(
        dir.path(),
        &[
            "report",
            "l.csv",
            "--year",
            "2025",
            "--format",
            "json",
            "--taxable-income",
            "-3000",
        ],
    );
    assert_eq!(v["carryover_next_year"]["short_term"], "5000.00");
    let v = harvest(
        dir.path(),
        &[
            "report",
            "l.csv",
            "--year",
            "2025",
            "--format",
            "json",
            "--taxable-income",
            "0",
        ],
    );
    // Line 3 = max(0, 0 + 3,000) = 3,000: the deduction is used in full.
    assert_eq!(v["carryover_next_year"]["short_term"], "2000.00");
}

#[test]
fn account_boxes_from_harvest_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("l.csv"), ledger(-500, 700)).unwrap();
    std::fs::write(
        dir.path().join("harvest.toml"),
        "[accounts.cb]\nbox_short = \"H\"\nbox_long = \"K\"\n",
    )
    .unwrap();
    let v = harvest(
        dir.path(),
        &["report", "l.csv", "--year", "2025", "--format", "json"],
    );
    assert_eq!(line(&v, "line_2"), "-500.00");
    assert_eq!(line(&v, "line_9"), "700.00");
    let boxes: Vec<&str> = v["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["box"].as_str().unwrap())
        .collect();
    assert_eq!(boxes, vec!["H", "K"]);
}

#[test]
fn box_totals_equal_the_sum_of_their_rounded_rows() {
    let v = harvest(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "report",
            "fixtures/example/ledger.csv",
            "--year",
            "2025",
            "--format",
            "json",
        ],
    );
    for b in v["boxes"].as_array().unwrap() {
        let sum: rust_decimal::Decimal = v["form_8949"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["box"] == b["box"])
            .map(|r| {
                r["gain"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        assert_eq!(sum.to_string(), b["gain"].as_str().unwrap());
    }
}
