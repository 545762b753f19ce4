//! Issue 21, end to end: a person with staking on two exchanges (Coinbase,
//! Kraken), rewards, Binance interest and an airdrop, and a mining rig run as a
//! business (harvest.toml `income_as_business = ["mining"]`) files Schedule 1
//! line 8v and Schedule C from `harvest income` alone (fixtures/income).
//!
//! By hand: Coinbase staking 5.67 + 5.75 + 5.89 = 17.31 and rewards 2.00 (GRT,
//! Learning Reward) + 1.25 (USDC, Rewards Income) = 3.25; Kraken earn reward
//! 1.2 DOT at 6.00 with 0.18 DOT withheld: 1.02 DOT and 6.00 × 1.02 / 1.2 =
//! 5.10, staking 0.5 DOT 2.25; Binance POS savings interest 0.85 USDT (at
//! 1.00) and an airdrop of 10 ARB at 0.52 (--prices) = 5.20. Line 8v is
//! 17.31 plus 3.25, 5.10, 2.25, 0.85 and 5.20: 33.96. Mining 40.00, 33.25 and
//! 25.80 make 99.05 on Schedule C (the December 2024 payout is last year's).
//! Total 133.01.

mod common;
use common::golden;
use std::path::Path;

use assert_cmd::Command;
use rust_decimal::Decimal;
use serde_json::Value;

const FIXTURE: &str = "fixtures/income";
const EXPORTS: [&str; 4] = [
    "coinbase.csv",
    "kraken-ledgers.csv",
    "binance.csv",
    "mining.csv",
];

fn workdir() -> tempfile::TempDir {
    common::copy_fixture(FIXTURE)
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "harvest {args:?}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// `harvest income` over the exports, with `more` arguments.
fn income(dir: &Path, more: &[&str]) -> String {
    let mut args = vec!["income"];
    args.extend(EXPORTS);
    args.extend(["--year", "2025", "--prices", "prices.csv"]);
    args.extend(more);
    ok(dir, &args).0
}

fn d(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn the_year_in_every_format_with_the_forms_compared() {
    let dir = workdir();
    let forms = ["--1099misc", "coinbase=20.00", "--1099misc", "kraken=7.35"];
    golden("income-2025.txt", &income(dir.path(), &forms));
    golden(
        "income-2025.json",
        &income(dir.path(), &[&forms[..], &["--format", "json"]].concat()),
    );
    golden("income-2025.csv", &income(dir.path(), &["--format", "csv"]));
    let html = income(dir.path(), &["--format", "html"]);
    assert!(html.contains("<section id=\"income\">"), "{html}");
    assert!(html.contains("133.01"));
}

#[test]
fn totals_add_up_every_way_and_match_hand_arithmetic() {
    let dir = workdir();
    let j: Value = serde_json::from_str(&income(dir.path(), &["--format", "json"])).unwrap();
    assert_eq!(j["year"], 2025);
    assert_eq!(j["total"], "133.01");
    assert_eq!(j["schedule_1_line_8v"], "33.96");
    assert_eq!(j["schedule_c"], "99.05");
    assert_eq!(j["by_category"]["staking"], "24.66");
    assert_eq!(j["by_category"]["reward"], "3.25");
    assert_eq!(j["by_category"]["interest"], "0.85");
    assert_eq!(j["by_category"]["airdrop"], "5.20");
    assert_eq!(j["by_category"]["mining"], "99.05");
    assert_eq!(j["by_category"]["fork"], "0.00");
    let total = d(&j["total"]);
    let sum = |key: &str| -> Decimal { j[key].as_object().unwrap().values().map(d).sum() };
    assert_eq!(sum("by_category"), total);
    assert_eq!(sum("by_month"), total);
    assert_eq!(sum("by_account"), total);
    let by_asset: Decimal = j["by_asset"]
        .as_object()
        .unwrap()
        .values()
        .map(|a| d(&a["usd_value"]))
        .sum();
    assert_eq!(by_asset, total);
    assert_eq!(d(&j["schedule_1_line_8v"]) + d(&j["schedule_c"]), total);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(
        rows.iter().map(|r| d(&r["usd_value"])).sum::<Decimal>(),
        total
    );
    for r in rows {
        for key in ["id", "time", "asset", "quantity", "category", "usd_value"] {
            assert!(r[key].is_string(), "{key} in {r}");
        }
    }
    // The CSV rows are the JSON rows.
    let csv = income(dir.path(), &["--format", "csv"]);
    let csv_total: Decimal = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(7).unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(csv_total, total);
}

/// Each exchange's income rows land in the category its export names, through
/// `import` as through the exports given directly; and the ledger `import`
/// writes gives the same income.
#[test]
fn import_categorizes_each_exchange_and_the_ledger_gives_the_same_income() {
    let dir = workdir();
    let mut args = vec!["import"];
    args.extend(EXPORTS);
    args.extend(["--prices", "prices.csv", "-o", "ledger.csv"]);
    ok(dir.path(), &args);
    let ledger = std::fs::read_to_string(dir.path().join("ledger.csv")).unwrap();
    assert!(ledger.starts_with(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired\n"
    ));
    let category = |needle: &str| -> String {
        let line = ledger.lines().find(|l| l.contains(needle)).unwrap();
        line.rsplit(',').nth(2).unwrap().to_string()
    };
    assert_eq!(category("c1c1000000000000000000b2"), "staking"); // Staking Income
    assert_eq!(category("c1c1000000000000000000b4"), "reward"); // Learning Reward
    assert_eq!(category("c1c1000000000000000000b5"), "reward"); // Rewards Income
    assert_eq!(category("LKINCA-00004"), "staking"); // Kraken earn reward
    assert_eq!(category("LKINCA-00005"), "staking"); // Kraken staking
    assert_eq!(category(",USDT,"), "interest"); // Binance POS savings interest
    assert_eq!(category(",ARB,"), "airdrop"); // Binance Airdrop Assets
    assert_eq!(category("rig-2025-01"), "mining");
    let direct = income(dir.path(), &["--format", "json"]);
    let (from_ledger, _) = ok(
        dir.path(),
        &["income", "ledger.csv", "--year", "2025", "--format", "json"],
    );
    assert_eq!(direct, from_ledger);
}

/// `lots` shows each income lot at its fair value: the basis is the income.
#[test]
fn each_income_lot_is_at_its_fair_value() {
    let dir = workdir();
    let j: Value = serde_json::from_str(&income(dir.path(), &["--format", "json"])).unwrap();
    let mut args = vec!["lots"];
    args.extend(EXPORTS);
    args.extend([
        "--prices",
        "prices.csv",
        "--as-of",
        "2025-12-31",
        "--format",
        "csv",
    ]);
    let (lots, _) = ok(dir.path(), &args);
    for r in j["rows"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        let lot = lots
            .lines()
            .find(|l| l.split(',').nth(2) == Some(id))
            .unwrap_or_else(|| panic!("no lot {id} in {lots}"));
        let c: Vec<&str> = lot.split(',').collect();
        assert_eq!(c[4], r["quantity"].as_str().unwrap(), "{lot}");
        assert_eq!(c[5], r["usd_value"].as_str().unwrap(), "{lot}");
    }
}

/// `report --format json` carries the same object under `income`; the table
/// says where the income goes and points to `harvest income`.
#[test]
fn the_report_carries_the_same_income() {
    let dir = workdir();
    let mut args = vec!["report"];
    args.extend(EXPORTS);
    args.extend([
        "--year",
        "2025",
        "--prices",
        "prices.csv",
        "--format",
        "json",
    ]);
    let (report, _) = ok(dir.path(), &args);
    let r: Value = serde_json::from_str(&report).unwrap();
    let i: Value = serde_json::from_str(&income(dir.path(), &["--format", "json"])).unwrap();
    assert_eq!(r["income"], i);
    args.truncate(args.len() - 2);
    let (table, _) = ok(dir.path(), &args);
    assert!(
        table.contains("Income from digital assets in 2025: 133.01 (33.96 on Schedule 1 line 8v, 99.05 on Schedule C); harvest income lists it."),
        "{table}"
    );
}

#[test]
fn without_the_business_setting_everything_goes_on_line_8v() {
    let dir = workdir();
    std::fs::remove_file(dir.path().join("harvest.toml")).unwrap();
    let j: Value = serde_json::from_str(&income(dir.path(), &["--format", "json"])).unwrap();
    assert_eq!(j["schedule_1_line_8v"], "133.01");
    assert_eq!(j["schedule_c"], "0.00");
}

#[test]
fn bad_settings_and_flags_are_clear_errors() {
    let dir = workdir();
    std::fs::write(
        dir.path().join("harvest.toml"),
        "income_as_business = [\"salary\"]\n",
    )
    .unwrap();
    let o = run(dir.path(), &["income", "mining.csv", "--year", "2025"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("income_as_business = [.. \"salary\" ..] is not an income category"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("harvest.toml")).unwrap();
    for (flag, want) in [
        ("coinbase", "ACCOUNT=DOLLARS"),
        ("coinbase=abc", "a number in dollars"),
        ("coinbase=-5", "cannot be negative"),
        ("=5", "the account is empty"),
    ] {
        let o = run(
            dir.path(),
            &["income", "mining.csv", "--year", "2025", "--1099misc", flag],
        );
        assert_eq!(o.status.code(), Some(2), "{flag}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(want), "{flag}: {e}");
    }
    let o = run(
        dir.path(),
        &[
            "income",
            "mining.csv",
            "--year",
            "2025",
            "--1099misc",
            "rig=1",
            "--1099misc",
            "rig=2",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    // A form for an account with no income is compared, and said on stderr.
    let (out, err) = ok(
        dir.path(),
        &[
            "income",
            "mining.csv",
            "--year",
            "2025",
            "--1099misc",
            "gemini=12.00",
            "--format",
            "csv",
        ],
    );
    assert!(out.lines().count() == 4, "{out}");
    assert!(
        err.contains("--1099misc gemini: the ledger has no income of 2025 in that account (accounts with income: rig)"),
        "{err}"
    );
}
